"""MonitorCallback: the "is this epoch better?" logic shared by EarlyStopping and ReduceLROnPlateau."""

from __future__ import annotations

import difflib
import warnings

from ..utils.metric_direction import higher_is_better
from .callback import Callback, Logs


class MonitorCallback(Callback):
    """Watches one logged value (`monitor`) and tells whether an epoch improved on the best so far.

    Args:
        monitor: a key of the epoch logs, e.g. "val_loss" or "val_accuracy".
        mode: "min", "max", or "auto" (max for accuracy-like names, min otherwise).
        baseline: a value to beat; None for none.
        min_delta: the least change that counts as an improvement.
    """

    def __init__(self, monitor: str = "val_loss", mode: str = "auto", baseline: float | None = None,
                 min_delta: float = 0.0):
        super().__init__()
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"{type(self).__name__}: mode={mode!r} is not one of 'auto', 'min', 'max'.")
        self.monitor = monitor
        self.mode = mode
        self.baseline = baseline
        self.min_delta = abs(min_delta)
        self.best: float | None = baseline
        self._seen_monitor = False
        self._warned_missing = False

    @property
    def direction(self) -> str:
        """"min" or "max": which way is better for the monitored value."""
        if self.mode != "auto":
            return self.mode
        return "max" if higher_is_better(self.monitor) else "min"

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        """True when `value` beats `reference` by more than min_delta (always, when there is none)."""
        if reference is None:
            return True
        if self.direction == "max":
            return value - self.min_delta > reference
        return value + self.min_delta < reference

    def get_state(self) -> dict | None:
        return {"best": self.best, "seen_monitor": self._seen_monitor, "warned_missing": self._warned_missing}

    def set_state(self, state: dict) -> None:
        self.best = state["best"]
        self._seen_monitor = state["seen_monitor"]
        self._warned_missing = state["warned_missing"]

    def _reset_monitor(self) -> None:
        self.best = self.baseline
        self._seen_monitor = False
        self._warned_missing = False

    def get_monitor_value(self, logs: Logs) -> float | None:
        """The monitored value from the epoch's logs, or None for an epoch without it.

        Raises a ValueError, listing the keys that are logged, when `monitor`
        names a value that is never logged. A validation key that is missing
        because the epoch ran no validation only warns, once.
        """
        logs = logs or {}
        if self.monitor in logs:
            self._seen_monitor = True
            return float(logs[self.monitor])
        if self._seen_monitor:  # present in other epochs (validation_freq > 1)
            return None
        keys = list(logs)
        message = (f"{type(self).__name__}: monitor={self.monitor!r} is not in the logs; available keys: "
                   f"{', '.join(keys) if keys else '(none)'}.")
        validation_ran = any(key.startswith("val_") for key in keys)
        if self.monitor.startswith("val_") and not validation_ran:
            if not self._warned_missing:
                self._warned_missing = True
                warnings.warn(
                    message + " Validation values are logged only in epochs that run validation: pass "
                    "validation_data or validation_split to fit() (and check validation_freq).",
                    stacklevel=3,
                )
            return None
        suggestion = _closest_key(self.monitor, keys)
        raise ValueError(message + (f" Did you mean monitor={suggestion!r}?" if suggestion else ""))


def _closest_key(monitor: str, keys: list[str]) -> str | None:
    close = difflib.get_close_matches(monitor, keys, n=1)
    if close:
        return close[0]
    # "val_acc" -> "val_sparse_categorical_accuracy": same prefix, the short name inside the long one.
    prefix = "val_" if monitor.startswith("val_") else ""
    core = monitor.removeprefix("val_")
    candidates = [k for k in keys if k.startswith(prefix) and (prefix or not k.startswith("val_"))
                  and core in k.removeprefix("val_")]
    return candidates[0] if len(candidates) == 1 else None

