"""What fit, evaluate and predict do around their steps: callbacks, resuming, results.

Small functions the loops in trainer.py share, kept apart so that the loops read as loops.
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import numpy

from .. import backend
from ..autograd import Tensor, enable_grad, no_grad
from ..callbacks import CallbackList
from ..layers.probe import NoTrace
from ..tree import map_structure


def whole_batch(adapter: Any, caller: str) -> tuple:
    if not hasattr(adapter, "whole"):
        raise TypeError(
            f"{caller}: takes one batch of arrays (x, y, sample_weight), not a source of batches "
            f"({getattr(adapter, 'source', 'the data')}); use fit/evaluate/predict for those."
        )
    return adapter.whole()


def no_gradient_message(model: Any, shown: int = 3) -> str:
    """The warning for a loss that sends no gradient to any trainable weight, naming both."""
    names = [v.path for v in model.trainable_weights]
    if len(names) > shown + 1:
        names = names[:shown] + [f"{len(names) - shown} more"]
    weights = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    compiled = model._compile_loss
    outputs = zip(compiled.output_names, compiled.losses) if compiled is not None else []
    if compiled is not None and len(compiled.output_names) == 1:
        what = [f"the loss {loss.name!r}" for _, loss in outputs if loss is not None]
    else:
        what = [f"the loss of output {output!r} ({loss.name!r})" for output, loss in outputs if loss is not None]
    if model.losses:
        what.append("the add_loss() terms")
    if not what:  # a compute_loss() of the user's own, with no compiled loss
        what = ["the loss"]
    what = ", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0]
    return (f"No trainable weight receives a gradient from {what}: fit() computes the loss but changes "
            f"none of the weights ({weights}). The loss must be computed from y_pred, the model's outputs, "
            "with tinyfit ops all the way: ops.stop_gradient(), .detach() or a round trip through NumPy "
            "cuts the graph, and so does a model whose outputs do not come from its trainable layers "
            "(a constant output, or a call() that leaves those layers off the path to the output).")


def callback_list(callbacks: Any, model: Any, verbose: Any, epochs: int, steps: int,
                   add_history: bool = True, **params: Any) -> CallbackList:
    if isinstance(callbacks, CallbackList):
        return callbacks
    # params beyond verbose/epochs/steps: fit says whether it validates (do_validation), so a
    # callback can check a "val_..." name before the first epoch.
    return CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0, model=model,
                        verbose=verbose, epochs=epochs, steps=steps, **params)


@contextlib.contextmanager
def leaving_no_trace(model: Any, backward: bool = False) -> Iterator[None]:
    """A block after which the model, its metrics and every random state are as before.

    No graph is built in it; with `backward`, one is, for a backward pass whose gradients
    are cleared when the block ends."""
    # The compiled metrics too: a several-output model's loss trackers are fed inside compute_loss.
    metrics = [(v, v.data.copy()) for m in (model.metrics if model.compiled else []) for v in m.variables]
    with (enable_grad() if backward else no_grad()), NoTrace(model):
        try:
            yield
        finally:
            for variable, value in metrics:
                variable.data[...] = value
            if backward:
                for variable in model.trainable_weights:
                    variable.grad = None


def resume_point(callbacks: CallbackList) -> dict | None:
    """The first resume point a callback offers (BackupAndRestore's `resume_point(callbacks)`), or None."""
    for cb in callbacks.callbacks:
        offer = getattr(cb, "resume_point", None)
        point = offer(callbacks.callbacks) if callable(offer) else None
        if point is not None:
            return point
    return None


def history_of(callbacks: CallbackList) -> Any:
    from ..callbacks import History

    for cb in callbacks.callbacks:
        if isinstance(cb, History):
            return cb
    return None


def as_list(logs: dict[str, Any], names: list[str]):
    """The values in the order of `names`, then any other keys sorted (Keras's order)."""
    values = [logs[n] for n in names if n in logs] + [logs[k] for k in sorted(logs) if k not in names]
    return values[0] if len(values) == 1 else values


def concatenate_outputs(outputs: list[Any]) -> Any:
    first = outputs[0]
    if isinstance(first, dict):
        return {k: numpy.concatenate([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return [numpy.concatenate([o[i] for o in outputs]) for i in range(len(first))]
    return numpy.concatenate(outputs)


def to_tensors(batch: tuple) -> tuple:
    """A NumPy batch as a tuple of Tensors on the backend's device: (x,), (x, y) or (x, y, sw)."""
    x, y, sample_weight = batch
    device = backend.default_device()

    def inputs(a):
        a = a if a.dtype.kind == "f" else a.astype("float32")  # pixels as uint8 are still values
        return Tensor(backend.to_device(a, device))

    def targets(a):
        return Tensor(backend.to_device(a, device))

    data = (map_structure(inputs, x, none_is_leaf=False),)
    if y is not None or sample_weight is not None:
        data += (map_structure(targets, y, none_is_leaf=False),)
    if sample_weight is not None:
        data += (map_structure(targets, sample_weight, none_is_leaf=False),)
    return data
