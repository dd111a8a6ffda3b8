"""TerminateOnNaN: stop training as soon as the loss is NaN or infinite."""

from __future__ import annotations

import math

from .callback import Callback, Logs


class TerminateOnNaN(Callback):
    """Stops fit() after the first batch whose loss is NaN or infinite."""

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            print(f"Batch {batch}: Invalid loss {float(loss)}, terminating training")
            self.model.stop_training = True
