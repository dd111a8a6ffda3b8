"""The built-in steps: what one batch does in fit, evaluate and predict.

`Model` inherits them through Trainer. Each is one batch's work, written once:

    train_step    forward, loss, backward, the optimizer's update, the metrics
    test_step     forward, loss and metrics, with no graph
    predict_step  forward only

train_step and test_step are one method, `_built_in_step`, run in phases (forward and
loss; backward and update; the trackers and metrics): EagerPhases runs them as written,
and the compiled step (compiled_step.py) records and replays the same phases.

`compute_loss` and `compute_metrics` are the parts a step asks for; a model may
override any of these methods (see trainer.py for a custom train_step). Which
function fit() then calls for each batch is decided once, in step_function.py.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any

from ..autograd import Tensor, no_grad
from ..autograd.ops import workspace
from ..data import unpack_x_y_sample_weight
from ..data.structure import batch_size_of
from ..tree import map_structure
from ..utils.declared import overrides


class Steps:
    """train_step, test_step, predict_step and the loss and metrics they compute (mixed into Trainer)."""

    # During fit: "due" until the first built-in training step says whether its loss sent a gradient
    # to any trainable weight ("reached") or to none ("missed"); None outside fit.
    _gradient_check = None

    def zero_grad(self) -> None:
        """Forgets the gradients of the trainable weights (backward() adds to `.grad`)."""
        for v in self.trainable_weights:
            v.grad = None

    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The compiled loss plus every loss the layers added (add_loss, regularizers).

        Args:
            x: the inputs (unused by the default; there for overrides).
            y, y_pred: targets and outputs, structured like the model's outputs.
            sample_weight: weights for the compiled loss.
            training: whether this is a training step.

        Returns:
            A 0-d Tensor that keeps its graph, ready for `backward()`. It is not
            recorded anywhere: the step feeds the loss tracker ("loss" in
            `metrics`) if it wants the loss logged.
        """
        total = None
        if self._compile_loss is not None:
            total, _ = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "No loss to minimize: compile() was given no loss and the model added none with "
                "add_loss(). Pass loss=... to compile()."
            )
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, float]:
        """Updates the compiled metrics with this batch; returns every metric's value (the loss too)."""
        self._update_metrics(x, y, y_pred, sample_weight)
        return self.get_metrics_result()

    def _step_logs(self, x: Any, y: Any, y_pred: Any, sample_weight: Any) -> dict[str, Any]:
        """What the built-in steps log: compute_metrics's values, left unread (0-d tensors) until
        someone looks (a callback, the progress bar, the epoch's end: utils/log_values.py), so that
        a step on a GPU does not wait for the device to hand back figures nobody reads. A model's
        own compute_metrics answers as it likes."""
        # step_kinds.uses_builtin_steps asks the same; it imports this module, and this runs every step.
        if overrides(type(self), Steps, "compute_metrics"):
            return self.compute_metrics(x, y, y_pred, sample_weight)
        self._update_metrics(x, y, y_pred, sample_weight)
        return self._metric_results()

    def _update_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any) -> None:
        if y is not None and self.compiled:
            with no_grad():
                # A metric of the user's may keep what it is given (collecting predictions for the
                # epoch's end): the outputs are never lent to a later step of a pooled workspace.
                y_pred = map_structure(_kept, y_pred, none_is_leaf=False)
                self._compile_metrics.update_state(y, y_pred, sample_weight)
                self._weighted_metrics.update_state(y, y_pred, sample_weight)
        if self.compiled:
            self._added_metrics.update(self, batch_size_of(y_pred if x is None else x))

    def _metric_results(self) -> dict[str, Any]:
        """Every metric's current value, unread (see compute_metrics), kept out of the step's pooled buffers."""
        results = {}
        for m in self.metrics:
            value = m.result()
            if isinstance(value, Tensor):
                workspace.keep(value.data)
            results[m.name] = value
        return results

    def train_step(self, data: Any) -> dict[str, float]:
        """One optimization step on one batch: forward, loss, backward, update.

        Args:
            data: the batch, `(x,)`, `(x, y)` or `(x, y, sample_weight)`.

        Returns:
            The metrics after this step, {"loss": ..., metric name: ...}, each a 0-d tensor that
            fit() reads into a float when it logs it.
        """
        return self._built_in_step(data, True, EagerPhases(self))

    def _built_in_step(self, data: Any, training: bool, phases: "EagerPhases") -> dict[str, Any]:
        """The built-in training (or test) step, written once: `phases` runs its forward and loss and
        its backward and update, eagerly (EagerPhases) or recorded and replayed (compiled_step.py)."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with contextlib.nullcontext() if training else no_grad():
            y_pred, loss = phases.forward_and_loss(x, y, sample_weight, training)
            self._loss_tracker.update_state(loss.detach(), sample_weight=batch_size_of(x))
            if training:
                phases.backward_and_apply(loss)
            return self._step_logs(x, y, y_pred, sample_weight)

    # The phases of the built-in steps, as they run eagerly (EagerPhases). The compiled step
    # (compiled_step.py) records these very methods, then replays what it recorded.
    def _forward_and_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> tuple[Any, Tensor]:
        """The forward pass and the loss: (y_pred, loss)."""
        y_pred = self(x, training=training)
        return y_pred, self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=training)

    def _backward_and_apply(self, loss: Tensor) -> None:
        """The gradients of `loss` and the optimizer's update of the trainable weights."""
        variables = self.trainable_weights
        gradients = []  # none at all when the loss has no graph
        if variables and loss.requires_grad:
            for v in variables:
                v.grad = None
            loss.backward()
            gradients = [v.grad for v in variables]
            if self._gradient_check == "due":
                self._note_gradients(gradients)
            self.optimizer.apply(gradients, variables)
            for v in variables:
                v.grad = None  # the gradients are used up; holding them wastes memory
        elif not variables:
            warn_once(self, "The model has no trainable weights: fit() computes the loss but changes nothing.")
        elif self._gradient_check == "due":
            self._note_gradients(gradients)

    def _note_gradients(self, gradients: list) -> None:
        """For fit's first step: whether any trainable weight got a gradient. None means the loss's
        graph never reached that weight; a zero gradient (a dead relu) still counts as reached."""
        self._gradient_check = "reached" if any(g is not None for g in gradients) else "missed"

    def test_step(self, data: Any) -> dict[str, float]:
        """One evaluation step: forward, loss and metrics, no gradient."""
        return self._built_in_step(data, False, EagerPhases(self))

    def predict_step(self, data: Any) -> Any:
        """The model's outputs for one batch."""
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return self(x, training=False)


class EagerPhases:
    """How the built-in step's phases run by default: the model's own, as written."""

    __slots__ = ("model",)

    def __init__(self, model: Any):
        self.model = model

    def forward_and_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> tuple[Any, Tensor]:
        return self.model._forward_and_loss(x, y, sample_weight, training)

    def backward_and_apply(self, loss: Tensor) -> None:
        self.model._backward_and_apply(loss)


def _kept(t: Any) -> Any:
    if isinstance(t, Tensor):
        workspace.keep(t.data)
        kept = t.detach()
        mask = getattr(t, "_keras_mask", None)
        if mask is not None:  # the metrics leave padded steps out
            workspace.keep(mask.data)
            kept._keras_mask = mask
        return kept
    return t


def warn_once(model: Any, message: str) -> None:
    """Warns with `message` the first time this model meets it."""
    said = model.__dict__.setdefault("_warnings_given", set())
    if message not in said:
        said.add(message)
        warnings.warn(message, UserWarning, stacklevel=3)
