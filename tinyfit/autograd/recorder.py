"""Recording: the Functions one computation applies, written down so they can be run again.

Eager autograd pays for its flexibility on every step: each op makes a Tensor,
remembers its parents, and backward() sorts the whole graph again. When a
training step does the same thing on every batch (the same ops, on arrays of
the same shapes), all that bookkeeping can be done once. This module is the
"once":

    with Recording(inputs=[x, y], variables=model.weights) as recording:
        loss = ...                      # ordinary eager code, run for real
    tape = recording.tape(outputs=[loss])

While a Recording is active, `Function.apply` reports every op to it (the
Function class, its attributes, which arrays went in and came out) and
`Variable.assign` reports every in-place update. Each array is given a slot
number by where it came from:

    an input        one of the arrays named in `inputs=` (the batch)
    a variable      a Variable's array, read afresh on every replay (weights change)
    a result        the output of an op recorded earlier
    a constant      anything else: kept, and handed to every replay as it is

`tape.forward(arrays)` then runs the recorded ops again on new input arrays:
plain backend arrays, no Tensor, no graph, no sort.
`tape.backward(run, output)` runs the ops' backward methods in reverse order of
the recording (a valid order, since the recording happened in execution order)
and returns one gradient per variable. Both run as Python written from the tape
once (codegen.py), one or two lines per op; `print(tape.source)` shows it.

Limits, which the caller must respect (tinyfit's compiled step does):
- Only what goes through Function.apply and Variable.assign is seen. Arrays
  computed on the side (e.g. with NumPy on `t.data`) become constants, frozen
  at their recorded value.
- Python decisions made on values (`if loss > 1:`) are replayed as they went
  during the recording.
- Random ops must draw inside their Function's forward (as tinyfit's Dropout
  op does), so that each replay draws afresh, in the same order as eager code.
Two recordings of the same computation can be compared with `tape.difference`:
a constant that changed, or ops that differ, show that the code did something
the tape cannot repeat faithfully.
"""

from __future__ import annotations

import threading
from typing import Any

from .. import backend
from . import function as _function
from .codegen import Generated
from .tensor import Tensor, _leaf_grad
from .variable import Variable


class _Op:
    """One recorded Function call: which class, its attributes, slots in and out."""

    __slots__ = ("function", "attrs", "inputs", "output", "needs_grad")

    def __init__(self, function: type, attrs: dict, inputs: tuple[int, ...], output: int,
                 needs_grad: tuple[bool, ...]):
        self.function, self.attrs, self.inputs, self.output = function, attrs, inputs, output
        self.needs_grad = needs_grad

    def describe(self) -> str:
        return f"{self.function.__name__}{self.inputs} -> {self.output}"


class _Assign:
    """One recorded `variable.assign/assign_add/assign_sub(value)`, value read from a slot."""

    __slots__ = ("variable", "method", "source")

    def __init__(self, variable: Variable, method: str, source: int):
        self.variable, self.method, self.source = variable, method, source

    def describe(self) -> str:
        return f"{self.variable.path}.{self.method}({self.source})"


class Recording:
    """Notes the ops applied and the variables assigned while active (a context manager).

    Args:
        inputs: the Tensors whose arrays will be new on each replay (the batch).
        variables: Variables the computation may read; their arrays are read
            afresh on each replay. Variables met but not listed are added.
    """

    def __init__(self, inputs: list[Tensor], variables: list[Variable]):
        self.steps: list[_Op | _Assign] = []
        self.constants: dict[int, Any] = {}  # slot -> array (or number) kept as recorded
        self.variables: dict[int, Variable] = {}  # slot -> Variable
        self._slot_of: dict[int, int] = {}  # id(array) -> slot
        self._keep: list[Any] = []  # every array seen, alive, so no id is reused while recording
        self._count = 0
        # Ops run by other threads meanwhile (a data pipeline's workers) are not part of this computation.
        self._thread = threading.get_ident()
        self.input_slots = [self._new_slot(t.data) for t in inputs]
        for v in variables:
            self._variable_slot(v)

    def __enter__(self) -> "Recording":
        if _function._recording is not None:
            raise RuntimeError("Recording: another recording is already active; recordings do not nest.")
        _function._recording = self
        return self

    def __exit__(self, *exc: Any) -> bool:
        _function._recording = None
        return False

    # ---------------------------------------------------------- slots
    def _new_slot(self, array: Any) -> int:
        slot = self._count
        self._count += 1
        self._slot_of[id(array)] = slot
        self._keep.append(array)
        return slot

    def _variable_slot(self, variable: Variable) -> int:
        slot = self._slot_of.get(id(variable.data))
        if slot is None or slot not in self.variables:
            slot = self._new_slot(variable.data)
            self.variables[slot] = variable
        return slot

    def slot_of(self, value: Any) -> int:
        """The slot of a Tensor, array or number met as an input: known, or a new constant."""
        if isinstance(value, Variable):
            return self._variable_slot(value)
        array = value.data if isinstance(value, Tensor) else value
        slot = self._slot_of.get(id(array))
        if slot is None:
            slot = self._new_slot(array)
            self.constants[slot] = array
        return slot

    # ---------------------------------------------------------- what the hooks call
    def note_op(self, function: type, ctx: Any, inputs: tuple, attrs: dict, output: Any) -> None:
        """Called by Function.apply after each forward."""
        if threading.get_ident() != self._thread:
            return
        slots = tuple([self.slot_of(t) for t in inputs])
        self.steps.append(_Op(function, attrs, slots, self._new_slot(output), ctx.needs_grad))

    def note_assign(self, variable: Variable, method: str, value: Any) -> None:
        """Called by Variable.assign, assign_add and assign_sub before they write."""
        if threading.get_ident() != self._thread:
            return
        self.steps.append(_Assign(variable, method, self.slot_of(value)))
        # The variable's array is the same object after the write, so later reads of it
        # still find the variable's slot: they will see the assigned value on replay too.

    def tape(self, outputs: list[Tensor]) -> "Tape":
        """The recording, finished: `outputs` are the arrays a replay hands back."""
        return Tape(self, [self.slot_of(t) for t in outputs])


class Replay:
    """What one forward replay leaves behind: the output arrays and the ops' contexts."""

    __slots__ = ("outputs", "contexts")

    def __init__(self, outputs: tuple, contexts: tuple):
        self.outputs, self.contexts = outputs, contexts


class Tape:
    """A finished recording: run it forward on new inputs, then backward to the variables.

    The replay runs as generated Python (codegen.py): the steps written out once, one
    or two lines per op, compiled on the first replay. `tape.source` shows them.
    """

    def __init__(self, recording: Recording, outputs: list[int]):
        self.steps = recording.steps
        self.ops = [s for s in self.steps if type(s) is _Op]
        self.input_slots = recording.input_slots
        self.variables = list(recording.variables.items())
        self.constants = dict(recording.constants)
        self.outputs = outputs
        self._template = [None] * recording._count
        for slot, array in recording.constants.items():
            self._template[slot] = array
        self._generated: Generated | None = None

    def __getstate__(self) -> dict:
        # The compiled functions hold this tape's Variables in their globals: a copy writes its own.
        return {**self.__dict__, "_generated": None}

    @property
    def generated(self) -> Generated:
        """The tape as compiled Python functions, written on first use."""
        if self._generated is None:
            self._generated = Generated(self.steps, self.ops, self.input_slots, self.variables,
                                        self.constants, self.outputs)
        return self._generated

    @property
    def source(self) -> str:
        """The Python that replays this tape: its forward, and its backward from the first output."""
        generated = self.generated
        return generated.forward_source + "\n\n" + generated.backward_source(0)

    def forward(self, inputs: list) -> Replay:
        """Runs the recorded ops and assignments in order on `inputs` (arrays, as recorded)."""
        outputs, contexts = self.generated.forward(*inputs)
        return Replay(outputs, contexts)

    def output_arrays(self, run: Replay) -> list:
        return list(run.outputs)

    def backward(self, run: Replay, output: int = 0) -> dict[int, Any]:
        """Gradients of `outputs[output]` (a one-element array) for the variables, keyed by id(variable).

        The same arithmetic as Tensor.backward, without the graph: a gradient
        per slot, pushed through each op's backward from the last op to the first.
        """
        root_value = run.outputs[output]
        seed = backend.array_module(root_value).ones(root_value.shape, dtype=root_value.dtype)
        grads = self.generated.backward(output)(run.contexts, seed)
        found = {}
        handed_out: set[int] = set()
        for (_, variable), g in zip(self.variables, grads):
            if g is not None and variable.requires_grad:
                # A gradient as .grad would hold it: own memory, the variable's dtype.
                holder = Tensor._make(variable.data, False)
                found[id(variable)] = _leaf_grad(holder, g, handed_out)
        return found

    # ---------------------------------------------------------- comparing two recordings
    def difference(self, other: "Tape") -> str | None:
        """None when `other` recorded the same computation; else what differs, in words."""
        if len(self.steps) != len(other.steps):
            return f"the steps applied {len(self.steps)} and {len(other.steps)} ops and assignments"
        for i, (a, b) in enumerate(zip(self.steps, other.steps)):
            if type(a) is not type(b):
                return f"step {i} was {a.describe()} once and {b.describe()} the other time"
            if type(a) is _Op:
                if a.function is not b.function or a.inputs != b.inputs or a.output != b.output \
                        or a.needs_grad != b.needs_grad or not _same(a.attrs, b.attrs):
                    return f"op {i} was {a.describe()} once and {b.describe()} the other time"
            elif a.variable is not b.variable or a.method != b.method or a.source != b.source:
                return f"step {i} was {a.describe()} once and {b.describe()} the other time"
        if self.outputs != other.outputs or self.input_slots != other.input_slots:
            return "the outputs came from different ops"
        if [(s, id(v)) for s, v in self.variables] != [(s, id(v)) for s, v in other.variables]:
            return "different variables were read"
        for slot, (a, b) in enumerate(zip(self._template, other._template)):
            if not _same(a, b):
                return (f"a value computed outside the recorded ops (slot {slot}, used by "
                        f"{self._user_of(slot)}) changed from one step to the next")
        return None

    def _user_of(self, slot: int) -> str:
        for step in self.steps:
            if (type(step) is _Op and slot in step.inputs) or (type(step) is _Assign and step.source == slot):
                return step.describe()
        return "an output"


def _same(a: Any, b: Any) -> bool:
    """Whether two recorded attributes or constants are equal (arrays by value)."""
    if a is b:
        return True
    if backend.is_array(a) or backend.is_array(b):
        if not (backend.is_array(a) and backend.is_array(b)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        if backend.device_of(a) != backend.device_of(b):
            return False
        return bool(backend.array_module(a).array_equal(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
