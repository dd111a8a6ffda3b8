"""The metrics of add_metric(): one running mean per name, fed after every step.

A layer (or a functional model) logs a value with `add_metric(value, name=...)`
during a call; the layers keep the values of their last call. After each
training or test step the trainer hands them here: each name gets a Mean,
made the first time the name appears, weighted by the batch size as the loss
is, so its result is the average over the epoch so far. These Means join
`model.metrics`, so they are reset each epoch and reach the progress bar,
History, evaluate() and the "val_" logs exactly as the compiled metrics do.
"""

from __future__ import annotations

from typing import Any

from .. import metrics as metrics_module
from .. import ops


class AddedMetrics:
    """The Mean trackers of the values given to add_metric(), by name, in order of appearance."""

    def __init__(self) -> None:
        self.trackers: dict[str, metrics_module.Mean] = {}
        self._seen_call: object | None = None  # the model call whose values were last taken

    @property
    def metrics(self) -> list[Any]:
        return list(self.trackers.values())

    def update(self, model: Any, batch_size: int) -> bool:
        """Folds the values of the model's last call into the trackers, once per call.

        Args:
            model: the model; its `_added_metric_values()` gives (name, value) pairs.
            batch_size: the weight of this batch.

        Returns:
            Whether any value was taken (the logs then need reading again).
        """
        call = getattr(model, "_last_call", None)
        if call is None or call is self._seen_call:
            return False
        self._seen_call = call
        values = model._added_metric_values()
        for name, value in values:
            tracker = self.trackers.get(name)
            if tracker is None:
                tracker = self.trackers[name] = self._new_tracker(name, model)
            tracker.update_state(value if value.ndim == 0 else ops.mean(value), sample_weight=batch_size)
        return bool(values)

    def _new_tracker(self, name: str, model: Any) -> metrics_module.Mean:
        mine = set(map(id, self.trackers.values()))
        taken_names = [m.name for m in model.metrics if id(m) not in mine]
        if name in taken_names:
            raise ValueError(
                f"add_metric(name={name!r}): the model already reports a metric named {name!r} (its metrics "
                f"are {', '.join(map(repr, taken_names))}). Give the added metric another name."
            )
        return metrics_module.Mean(name=name)
