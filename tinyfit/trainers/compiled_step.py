"""The compiled step: record one training (or test) step, replay it on later batches.

What a JIT does, in tinyfit's words. An eager step (Trainer.train_step) calls
the model's layers, which call ops, which make Tensors and link them into a
graph; backward() sorts that graph and walks it back. On the next batch all of
it happens again, although nothing but the numbers has changed. A compiled step
keeps what does not change:

1. Record. The first step for a batch *signature* (the shapes and dtypes of x,
   y and sample_weight, and whether it trains) runs eagerly, exactly as
   Trainer.train_step (or test_step) does, with an autograd Recording on
   during the forward pass and the loss. The recording (a Tape, see
   autograd/recorder.py) lists every Function applied and every Variable
   assigned, and says for each array whether it was part of the batch, a
   weight, the result of an earlier op, or a constant.
2. Check. The second step with that signature records again; the two tapes must
   match (the same ops, the same attributes, the same constants). A mismatch
   means the code did something a tape cannot repeat (Python branching on
   values, an array computed outside the ops), and the signature stays eager.
3. Replay. Later steps with that signature run the tape's forwards on the new
   batch's plain arrays (no Tensor, no layer call, no graph), as Python written
   from the tape once (`source()` prints it); a training step
   then runs its backwards in reverse order and hands one gradient per weight
   to the optimizer, as the eager step does. The loss and metric trackers are
   then fed from the replayed outputs with the model's own methods.

A last batch of another size is a new signature: it is recorded in turn (up to
MAX_SIGNATURES shapes per model; further ones run eagerly).
Anything that changes the model's shape of computation invalidates every tape:
the layers and weights are fingerprinted (which layers, which weights, which
are trained) whenever the model's tree of layers has changed (layers/tracking.py), and a
changed fingerprint starts the recording over.

What a tape cannot see, and how the step stays correct anyway:
- A custom `train_step` (or `test_step`) is the user's code: it always runs eagerly.
- `jit_compile="auto"` (the default) compiles only functional and Sequential
  models whose layers, activations, regularizers and losses each declare
  `supports_jit = True`: their code runs the same ops whatever the values.
  tinyfit's own declare it where that holds; a class of yours may declare it
  in its body (a subclass does not inherit its parent's word, since it may
  override call()), a function of yours with `fn.supports_jit = True`. Any
  other model runs eagerly.
- `jit_compile=True` compiles any model whose two recordings agree, and warns
  when they do not and the model runs eagerly. Branching on values that
  happened to go the same way in both recordings cannot be detected: that is
  why "auto" does not compile code it does not know.
- Layers that report add_metric() values, or hold Metric objects they update
  in call(), run eagerly (their updates happen outside the ops).
- Changing a layer's configuration (e.g. a Dropout's rate) after the first
  step is seen only where the op reads it back; call compile() again to start
  over.
- A replayed step calls no layer, so `model.losses` keeps the values of the
  last eager call (the loss that is minimized is the replayed one).
- fit() compiles its training and validation steps, evaluate() its test steps;
  predict() runs eagerly, and `compile(run_eagerly=True)` turns compiling off.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd import Tensor
from ..autograd.recorder import Recording, Tape
from ..tree import flatten, map_structure
from .step_kinds import builtin_step
from .steps import EagerPhases
from .vouched import unvouched_reason

JIT_CHOICES = ("auto", True, False)
# Batch shapes recorded per model at most; data whose shapes keep changing (sequences of
# every length) would otherwise keep a tape for each. Steps of further shapes run eagerly.
MAX_SIGNATURES = 16
_NO_GRADIENT = "the loss depends on no trainable weight"


def check_jit_compile(value: Any) -> Any:
    """`value` when it is one of "auto", True, False; a ValueError naming the choices otherwise."""
    if not any(value is choice or (isinstance(value, str) and value == choice) for choice in JIT_CHOICES):
        raise ValueError(
            f"compile(jit_compile=...): got {value!r}; choose \"auto\" (compile the training step where "
            "tinyfit knows it is safe), True (compile it whenever two recorded steps agree) or False "
            "(always run eagerly)."
        )
    return value


class _Plan:
    """What is known about one batch signature: its tapes so far, or why it stays eager."""

    __slots__ = ("first", "tape", "eager_because", "outputs", "trackers", "masks")

    def __init__(self) -> None:
        self.first: Tape | None = None  # the first recording, waiting for a second to agree
        self.tape: Tape | None = None  # set once two recordings agree: replay it
        self.eager_because: str | None = None
        self.outputs: Any = None  # the structure of y_pred, leaves = positions in the tape's outputs
        self.trackers: list = []  # (output loss tracker, position in the tape's outputs, batch size)
        self.masks: dict = {}  # position of a masked output -> position of its mask (layers/layer_masks.py)


class CompiledStep:
    """The training (or test) step of `model`, recorded and replayed per batch signature.

    Args:
        model: a compiled Model using Trainer's own train_step (test_step).
        mode: "auto" or True (see the module docstring).
        training: True for the training step, False for the test step.
    """

    def __init__(self, model: Any, mode: Any, training: bool = True):
        self.model = model
        self.mode = mode
        self.training = training
        self.plans: dict[Any, _Plan] = {}
        self._fingerprint: Any = None
        self._walk: Any = None  # the model's walk the fingerprint was taken from
        self.eager_because: str | None = None  # for the whole model, e.g. an unknown layer under "auto"
        self._warned: set[str] = set()

    def __call__(self, data: tuple) -> dict[str, float]:
        model = self.model
        walk = model._gathered()  # kept by the model while its tree is unchanged (layers/tracking.py)
        if walk is not self._walk:
            self._walk = walk
            fingerprint = (tuple(map(id, walk.layers)),
                           tuple((id(v), trained, v.requires_grad) for _, v, trained in walk.weights))
            if fingerprint != self._fingerprint:  # a new model, or one changed since the tapes were made
                self._fingerprint = fingerprint
                self.plans.clear()
                self.eager_because = _unsafe_for_auto(model) if self.mode == "auto" else None
        if self.eager_because is not None:
            return self._eager(data)
        signature = _signature(data)
        plan = self.plans.get(signature)
        if plan is None:
            plan = self.plans[signature] = _Plan()
            if len(self.plans) > MAX_SIGNATURES:
                plan.eager_because = f"the model has met more than {MAX_SIGNATURES} batch shapes"
        if plan.tape is not None:
            return self._replay(plan, data, walk.trainable)
        if plan.eager_because is not None:
            return self._eager(data)
        return self._record(plan, data)

    def describe(self) -> dict[str, str]:
        """Each batch signature seen, and how its steps run now ("replayed", "recording", or why eager)."""
        if self.eager_because is not None:
            return {"model": f"eager: {self.eager_because}"}
        return {str(key): "replayed" if plan.tape is not None else
                ("recording" if plan.eager_because is None else f"eager: {plan.eager_because}")
                for key, plan in self.plans.items()}

    def source(self) -> str:
        """The Python each replayed batch signature runs (its tape's forward and backward), as text.

        A signature not replayed yet, or left eager, is named in a comment with the reason.
        """
        if self.eager_because is not None:
            return f"# every step runs eagerly: {self.eager_because}\n"
        if not self.plans:
            return "# no step has run yet: the first two steps of each batch shape are recorded\n"
        parts = []
        for key, plan in self.plans.items():
            if plan.tape is None:
                how = "recording" if plan.eager_because is None else f"eager: {plan.eager_because}"
                parts.append(f"# batch signature {key}: {how}\n")
            else:
                text = plan.tape.source if self.training else plan.tape.generated.forward_source
                parts.append(f"# batch signature {key}: replayed\n{text}")
        return "\n\n".join(parts)

    # ------------------------------------------------------------ record
    def _eager(self, data: tuple) -> dict[str, float]:
        """The reference step, the built-in one."""
        return builtin_step("train_step" if self.training else "test_step")(self.model, data)

    def _record(self, plan: _Plan, data: tuple) -> dict[str, float]:
        """One eager step, recorded: the built-in step, its forward phase under a Recording."""
        model = self.model
        if self.training and not model.trainable_weights:  # nothing to train: the eager step says so
            plan.eager_because = "the model has no trainable weights"
            return self._eager(data)
        recorder = _Recorder(model, data)
        logs = model._built_in_step(data, self.training, recorder)
        reason = recorder.reason
        if reason is None and plan.first is not None:
            reason = plan.first.difference(recorder.tape)
            if reason is not None:
                reason = f"two recorded steps differ: {reason}"
        if reason is not None:
            plan.eager_because = reason
            # fit() warns about a loss that reaches no weight already, in the words that fit that case
            said = reason == _NO_GRADIENT and model._gradient_check == "missed"
            if self.mode is True and reason not in self._warned and not said:
                self._warned.add(reason)
                warnings.warn(f"compile(jit_compile=True): the {'training' if self.training else 'test'} "
                              f"step of model {model.name!r} runs "
                              f"eagerly for batches of this shape, because {reason}.", UserWarning, stacklevel=4)
        elif plan.first is None:
            plan.first = recorder.tape
        else:
            recorder.fill(plan)
        return logs

    # ------------------------------------------------------------ replay
    def _replay(self, plan: _Plan, data: tuple, variables: list) -> dict[str, float]:
        """The built-in step on the recorded tape: its forwards, backwards and the optimizer's update."""
        return self.model._built_in_step(data, self.training, _Replay(self.model, plan, data, variables))


class _Recorder(EagerPhases):
    """The built-in step's phases, the forward one recorded into a tape (see the module docstring)."""

    __slots__ = ("data", "tape", "reason", "y_pred", "parts", "masks")

    def __init__(self, model: Any, data: tuple):
        super().__init__(model)
        self.data = data
        self.tape: Tape | None = None
        self.reason: str | None = None  # why this recording cannot be replayed, once known

    def forward_and_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> tuple[Any, Tensor]:
        model = self.model
        loss_trackers = _per_output_trackers(model)
        noted = {name: _NotedValues() for name in loss_trackers}
        _set_per_output_trackers(model, noted)
        try:
            with Recording(flatten(self.data, none_is_leaf=False), model.weights) as recording:
                y_pred, loss = super().forward_and_loss(x, y, sample_weight, training)
        finally:
            _set_per_output_trackers(model, loss_trackers)
        predictions = flatten(y_pred, none_is_leaf=False)
        self.parts = [(loss_trackers[name], value, size) for name, n in noted.items() for value, size in n.values]
        # An output's mask is replayed with it, so that the metrics leave padded steps out on every batch.
        self.masks = [(i, p._keras_mask) for i, p in enumerate(predictions, start=1)
                      if getattr(p, "_keras_mask", None) is not None]
        self.tape = recording.tape([loss] + predictions + [value for _, value, _ in self.parts]
                                   + [m for _, m in self.masks])
        self.y_pred = y_pred
        for tracker, value, size in self.parts:
            tracker.update_state(value.detach(), sample_weight=size)
        self.reason = _not_replayable(model, loss if training else None)
        return y_pred, loss

    def fill(self, plan: _Plan) -> None:
        """Tells `plan` where its replays find the outputs, the per-output losses and the masks."""
        outputs = len(flatten(self.y_pred, none_is_leaf=False))
        count = iter(range(1, outputs + 1))
        plan.outputs = map_structure(lambda _: next(count), self.y_pred, none_is_leaf=False)
        start = 1 + outputs
        plan.trackers = [(tracker, start + i, size) for i, (tracker, _, size) in enumerate(self.parts)]
        start += len(self.parts)
        plan.masks = {position: start + i for i, (position, _) in enumerate(self.masks)}
        plan.tape, plan.first = self.tape, None


class _Replay(EagerPhases):
    """The built-in step's phases on a recorded tape: plain arrays in, no layer called, no graph."""

    __slots__ = ("plan", "data", "variables", "run")

    def __init__(self, model: Any, plan: _Plan, data: tuple, variables: list):
        super().__init__(model)
        self.plan, self.data, self.variables = plan, data, variables

    def forward_and_loss(self, x: Any, y: Any, sample_weight: Any, training: bool) -> tuple[Any, Tensor]:
        plan = self.plan
        self.run = plan.tape.forward([t.data for t in flatten(self.data, none_is_leaf=False)])
        outputs = plan.tape.output_arrays(self.run)
        for tracker, position, size in plan.trackers:
            tracker.update_state(Tensor._make(outputs[position], False), sample_weight=size)
        y_pred = map_structure(lambda i: _output(outputs, i, plan.masks), plan.outputs, none_is_leaf=False)
        return y_pred, Tensor._make(outputs[0], False)

    def backward_and_apply(self, loss: Tensor) -> None:
        # No check of fit's first step here: a loss that reaches no weight is never replayed
        # (_not_replayable, or the optimizer refuses a step whose gradients are all None).
        gradients = self.plan.tape.backward(self.run, output=0)
        self.model.optimizer.apply([gradients.get(id(v)) for v in self.variables], self.variables)


# ------------------------------------------------------------------ helpers
def _output(outputs: list, position: int, masks: dict) -> Tensor:
    """One replayed output as a Tensor, carrying its replayed mask when it had one."""
    tensor = Tensor._make(outputs[position], False)
    if position in masks:
        tensor._keras_mask = Tensor._make(outputs[masks[position]], False)
    return tensor


def _signature(data: Any) -> Any:
    """The batch's structure with each array's shape and dtype: steps with equal signatures share a tape."""
    if isinstance(data, Tensor):
        return data.shape, data.dtype
    if isinstance(data, dict):
        return ("dict",) + tuple((k, _signature(v)) for k, v in data.items())
    if isinstance(data, (list, tuple)):
        return (type(data).__name__,) + tuple(_signature(v) for v in data)
    return data if data is None else type(data).__name__


def _not_replayable(model: Any, loss: Tensor | None) -> str | None:
    """Why a recorded step (its loss, for a training step) cannot be replayed faithfully; None when it can."""
    if loss is not None and not loss.requires_grad:
        return _NO_GRADIENT
    if model._added_metric_values():
        return "a layer reports add_metric() values, which are gathered outside the ops"
    own = set(map(id, model.metrics))  # the model's own trackers are fed by the step itself
    if any(id(m) not in own for m in model._held_metrics()):
        return "a layer holds Metric objects, which update outside the ops"
    return None


def _unsafe_for_auto(model: Any) -> str | None:
    """Why "auto" leaves this model eager (code tinyfit cannot vouch for); None when it compiles it."""
    reason = unvouched_reason(model)
    if reason is not None:
        return reason
    compiled = model._compile_loss
    for loss in compiled.losses if compiled is not None else []:
        read = getattr(loss, "read_outside_ops", None)  # what a Loss reads back while it reduces
        if read is not None:
            return f"the loss {loss.name!r} reads {read} back outside the ops"
    return None


# The per-output loss trackers of a several-output model are fed inside compute_loss.
# While recording, they are swapped for _NotedValues, so the compiled step knows which
# recorded values feed them and can feed them itself on each replay.
class _NotedValues:
    """Stands in for a loss tracker during a recording: keeps what it is given."""

    def __init__(self) -> None:
        self.values: list[tuple[Tensor, Any]] = []

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        self.values.append((values, sample_weight))


def _per_output_trackers(model: Any) -> dict[str, Any]:
    compiled = model._compile_loss
    return dict(compiled.trackers) if compiled is not None else {}


def _set_per_output_trackers(model: Any, trackers: dict[str, Any]) -> None:
    if model._compile_loss is not None:
        model._compile_loss.trackers = trackers
