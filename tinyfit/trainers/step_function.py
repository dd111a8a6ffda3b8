"""The step functions: the one thing fit, evaluate and predict call for each batch.

Keras makes its step functions once (`make_train_function`) and its loop only
calls them; tinyfit does the same. What a batch runs is decided here, once per
compile, from what the model is, never again per batch:

    the built-in train_step, compiled   the step recorded and replayed (compiled_step.py)
    the built-in train_step, eager      Steps.train_step (steps.py)
    a train_step of the model's own     that method, with what fit does around a custom step:
                                        the gradients cleared after it, its logs made floats,
                                        a warning when it logs a loss nothing fed

and the same for test_step. The predict function runs predict_step and hands back
NumPy arrays.

`model.make_train_function()` (test, predict) makes the function and keeps it as
`model.train_function` until the next compile(); `model.train_function.how` says
which of the above it is, and `print(model.train_function.source)` shows the Python
a compiled step generated from its recording (autograd/codegen.py).

A built-in step of a model tinyfit vouches for (vouched.py) runs inside a
workspace step (autograd/ops/workspace.py): its large arrays are lent from a
pool and go back to it when the step ends, so the next step makes none. The
predict function gives its outputs away first, since the caller keeps them.
Any other step runs on fresh arrays: its code might keep one.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from ..autograd.ops import workspace
from ..data.structure import batch_size_of
from ..tree import map_structure
from .compile_utils import to_float
from .step_kinds import uses_builtin_steps
from .steps import warn_once
from .vouched import unvouched_reason

_STEPS = {"train": "train_step", "test": "test_step"}


class StepFunction:
    """One batch of training ("train") or evaluation ("test"): `logs = function(data)`.

    Args:
        model: a compiled model.
        kind: "train" or "test".
    """

    def __init__(self, model: Any, kind: str):
        self.model = model
        self.name = _STEPS[kind]
        self.custom = not uses_builtin_steps(model, (self.name,))
        compiled = model._compiled_step if kind == "train" else model._compiled_test_step
        self._compiled = compiled if not self.custom else None
        if self._compiled is not None:
            self._step, self.how = compiled, "compiled: recorded once per batch shape, then replayed"
        elif self.custom:
            self._step, self.how = getattr(model, self.name), f"the model's own {self.name}"
        else:
            self._step, self.how = getattr(model, self.name), f"the built-in {self.name}, eager"
        # The built-in steps log every metric's value as floats already; anything else is made so.
        self._logs_ready = not self.custom and uses_builtin_steps(model, ("compute_metrics",))
        self._pooled = None if self.custom else _Vouched(model)

    def __call__(self, data: tuple) -> dict[str, Any]:
        model = self.model
        try:
            if self.pools():
                with workspace.step():  # the built-in steps log floats: no array leaves the step
                    logs = self._step(data)
            else:
                logs = self._step(data)
        finally:
            if self.custom and self.name == "train_step":
                model.zero_grad()  # a custom step may leave its gradients behind
        added = model._added_metrics.update(model, batch_size_of(data[0]))  # a step that skipped compute_metrics
        if self._logs_ready and not added:
            return logs
        logs = ({k: _as_float_if_scalar(v) for k, v in logs.items()} if isinstance(logs, dict)
                else model.get_metrics_result())
        if added:  # the step did not call compute_metrics: its logs get the add_metric() values here
            logs.update({m.name: to_float(m.result()) for m in model._added_metrics.metrics})
        if self.custom:
            _check_loss_tracker_fed(model, self.name, logs)
        return logs

    def pools(self) -> bool:
        """Whether this function's steps borrow the workspace's pooled buffers (a built-in step of a
        model tinyfit vouches for)."""
        return self._pooled is not None and self._pooled()

    @property
    def source(self) -> str:
        """The Python a compiled step generated from its recording, for each batch shape it replays
        (print it: one line per op, forward then backward); for an eager step, a comment saying why
        there is none."""
        if self._compiled is None:
            return f"# {self.how}: each batch runs the step's own Python, nothing is generated\n"
        return self._compiled.source()

    def __repr__(self) -> str:
        return f"<{self.name} function of {self.model.name!r}: {self.how}>"


class PredictFunction:
    """One batch of prediction: the model's outputs, as NumPy arrays."""

    how = "predict_step, eager"
    name = "predict_step"

    def __init__(self, model: Any):
        self.model = model
        self._pooled = _Vouched(model) if uses_builtin_steps(model, ("predict_step",)) else None

    def pools(self) -> bool:
        """Whether predict_step borrows the workspace's pooled buffers (see StepFunction.pools)."""
        return self._pooled is not None and self._pooled()

    def __call__(self, data: tuple) -> Any:
        if not self.pools():
            return map_structure(ops.convert_to_numpy, self.model.predict_step(data), none_is_leaf=False)
        with workspace.step() as scope:  # the outputs are the caller's: given away, never lent again
            return map_structure(lambda t: scope.keep(ops.convert_to_numpy(t)), self.model.predict_step(data),
                                 none_is_leaf=False)

    def __repr__(self) -> str:
        return f"<predict function of {self.model.name!r}: {self.how}>"


class _Vouched:
    """`vouched()`: whether tinyfit vouches for the model's code, asked again only when its tree of
    layers has changed (layers/tracking.py keeps the walk until then)."""

    def __init__(self, model: Any):
        self.model = model
        self._walk: Any = None
        self._answer = False

    def __call__(self) -> bool:
        walk = self.model._gathered()
        if walk is not self._walk:
            self._walk, self._answer = walk, unvouched_reason(self.model) is None
        return self._answer


def make_step_function(model: Any, kind: str) -> StepFunction | PredictFunction:
    """The function that runs one batch of `kind` ("train", "test" or "predict") for `model`."""
    return PredictFunction(model) if kind == "predict" else StepFunction(model, kind)


def _as_float_if_scalar(value: Any) -> Any:
    try:
        return to_float(value)
    except (TypeError, ValueError):
        return value


def _check_loss_tracker_fed(model: Any, name: str, logs: dict[str, Any]) -> None:
    """Warns (once) when a custom step logs loss 0.0 from the loss tracker while nothing has fed it."""
    tracker = model._loss_tracker
    if (logs.get("loss") != 0.0 or tracker is None or float(tracker.count.numpy()) != 0
            or not any(m is tracker for m in model.metrics)):
        return
    warn_once(model, (
        f"{type(model).__name__}.{name}() logged loss = 0.0: that is the loss tracker's value (the 'loss' "
        "metric), and nothing has fed it. compute_loss() returns the loss without recording it, as in "
        f"Keras 3. Record it in {name}(): `for metric in self.metrics: if metric.name == \"loss\": "
        "metric.update_state(loss)`, or return your own figures, e.g. {\"loss\": loss}."))
