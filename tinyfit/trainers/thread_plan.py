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
from .vouched import unvouched_reason


def thread_plan(model: Any, kind: str, callbacks: Any):
    """This run's BLAS thread plan ("train", "test" or "predict"); the model keeps its choices.

    A run that a callback can resume (one offering `resume_point`, as BackupAndRestore does)
    keeps its first count to the end: a resumed run then computes exactly what this one would."""
    choices = model.__dict__.setdefault("_blas_thread_choices", {})
    resumable = any(callable(getattr(cb, "resume_point", None)) for cb in callbacks.callbacks)
    backward = _trains_built_in(model, kind)
    return blas_threads.for_run(choices, kind, on_cpu=backend.default_device() == "cpu",
                                revisit=not resumable, scope=lambda: leaving_no_trace(model, backward))


def timed_pass(model: Any, data: Any, kind: str) -> None:
    """What the thread plan times, inside leaving_no_trace: for a built-in training step, its
    forward, loss and backward (its real cost: in a convnet the backward weighs most); else
    the forward pass."""
    x, y, sample_weight = unpack_x_y_sample_weight(data)
    # Each pass is a workspace step, as a real step is (for a model tinyfit vouches for): a convnet's
    # passes on fresh arrays would time the page faults of its big arrays, not the threads.
    pooled = uses_builtin_steps(model) and unvouched_reason(model) is None
    with workspace.step() if pooled else contextlib.nullcontext():
        if _trains_built_in(model, kind):
            _, loss = model._forward_and_loss(x, y, sample_weight, training=True)
            if loss.requires_grad:
                loss.backward()
            return
        model(x, training=False)


def _trains_built_in(model: Any, kind: str) -> bool:
    return kind == "train" and uses_builtin_steps(model) and bool(model.trainable_weights)
