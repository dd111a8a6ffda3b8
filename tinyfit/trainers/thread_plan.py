"""The BLAS thread plan of a run, and the passes it times (tinyfit/utils/blas_threads.py chooses).

fit, evaluate and predict each make a plan for their run; it times what a step costs on
one thread and on the library's count, and the model keeps the choice.
"""

from __future__ import annotations

import contextlib
from typing import Any

from .. import backend
from ..autograd.ops import workspace
from ..data import unpack_x_y_sample_weight
from ..utils import blas_threads
from .loop_utils import leaving_no_trace
from .step_kinds import uses_builtin_steps


def thread_plan(model: Any, kind: str, callbacks: Any):
    """This run's BLAS thread plan ("train", "test" or "predict"); the model keeps its choices.

    A run that a callback can resume (one offering `resume_point`, as BackupAndRestore does)
    keeps its first count to the end: a resumed run then computes exactly what this one would."""
    choices = model.__dict__.setdefault("_blas_thread_choices", {})
    resumable = any(callable(getattr(cb, "resume_point", None)) for cb in callbacks.callbacks)
    backward = _trains_built_in(model, kind)
    return blas_threads.for_run(choices, kind, on_cpu=backend.default_device() == "cpu",
                                revisit=not resumable, scope=lambda: leaving_no_trace(model, backward))


def timed_pass(model: Any, data: Any, function: Any) -> None:
    """What the thread plan times, inside leaving_no_trace: for a built-in training step, its
    forward, loss and backward (its real cost: in a convnet the backward weighs most); else
    the forward pass. `function` is the run's step function (step_function.py); one assigned to
    `model.train_function` by hand is timed by its forward pass, on fresh arrays."""
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    # Each pass borrows the workspace as the function's steps do: a convnet's passes on fresh
    # arrays would time the page faults of its big arrays, not the threads.
    pools = getattr(function, "pools", None)
    with workspace.step() if pools is not None and pools() else contextlib.nullcontext():
        if getattr(function, "name", None) == "train_step" and _trains_built_in(model, "train"):
            _, loss = model._forward_and_loss(x, y, sample_weight, training=True)
            if loss.requires_grad:
                loss.backward()
            return
        model(x, training=False)


def _trains_built_in(model: Any, kind: str) -> bool:
    return kind == "train" and uses_builtin_steps(model) and bool(model.trainable_weights)
