"""TextProgress: a run's progress as text lines, one Progbar per bar.

    Epoch 1/2
    25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 1.0712 - val_loss: 1.0120
    Epoch 2/2
    25/25 ━━━━━━━━━━━━━━━━━━━━ 0s 2ms/step - loss: 0.9315 - val_loss: 0.9034

A printed line stays printed, so a bar's header goes out when the bar begins,
and a nested bar (validation inside an epoch) is not drawn at all: its results
join the outer bar's line, as the epoch's logs carry them. `progress_mode`
("off", "live", "epoch") is decided by each Progbar from `verbose` and the stream.
"""

from __future__ import annotations

import sys
from typing import Any, Iterable, TextIO

from .progbar import Progbar
from .progress_display import ProgressDisplay

__all__ = ["TextProgress"]


class TextProgress(ProgressDisplay):
    """Progress printed as text, as `progress_mode(verbose, stream)` decides.

    Args:
        verbose: "auto", 0, 1 or 2; see tinyfit.utils.progbar.progress_mode.
        stream: where to print; sys.stdout (looked up at each print) by default.
    """

    def __init__(self, verbose: Any = "auto", stream: TextIO | None = None):
        self.verbose = verbose
        self.stream = stream
        self.bar: Progbar | None = None  # the outermost bar under way, the one drawn
        self._nested = 0  # bars begun inside it and not finished yet

    def begin(self, label: str, target: int | None, *, header: str = "", nested: bool = False,
              unit: str = "step") -> None:
        if nested:
            self._nested += 1
            return
        self.bar = Progbar(target, verbose=self.verbose, unit_name=unit, stream=self.stream, averages=False)
        self._nested = 0
        if header and self.bar.mode != "off":
            out = self.stream if self.stream is not None else sys.stdout
            out.write(header + "\n")
            out.flush()

    def update(self, current: int, values: Iterable[tuple[str, Any]] = ()) -> None:
        if self.bar is not None and not self._nested:
            self.bar.update(current, values, finalize=False)

    def finish(self, current: int, values: Iterable[tuple[str, Any]] = (), *, keep: bool = True) -> None:
        """Ends the bar under way at `current`, printing its line (`keep` cannot take back a printed line)."""
        if self._nested:
            self._nested -= 1
            return
        if self.bar is None:
            return
        if self.bar.target is None:  # a stream of unknown length: now we know it
            self.bar.target = current
        self.bar.update(current, values, finalize=True)
        self.bar = None

    def stop(self) -> None:
        """Ends the line under way with "(stopped)" (see Progbar.stop)."""
        if self.bar is not None:
            self.bar.stop()
        self.close()

    def close(self) -> None:
        self.bar = None
        self._nested = 0
