"""Codegen: a tape's replay written out as a Python function, one or two lines per op.

A tape (recorder.py) is a list of steps. Replaying it with a loop pays, on every
op of every batch, for work that is the same each time: looking up the op's
input slots, building the argument list, checking what backward returned. Since
the steps never change, tinyfit writes that loop out once, unrolled, as Python
source, and compiles it:

    def forward(x0, x1):
        w2 = var_2.data                       # dense/kernel
        ...
        matmul_5 = MatMul()
        matmul_5.needs_grad = (False, True)
        x5 = as_array(matmul_5.forward(x0, w2))

Every array is a local name: `x` for the batch and the ops' results, `w` for the
weights, `c` for constants, `g` for gradients, each numbered by its slot. The op
classes, the Variables and the constants reach the function through its globals,
never as text; attributes that are plain numbers, strings or tuples of them are
written as literals. The forward makes a fresh context per op on every call, as
Function.apply does, because a forward keeps on its context what its backward
needs. The backward adds gradients per slot in the loop's order, with the same
arithmetic, so both give the same bits.

What to read: `Tape.source` prints the functions of a tape.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import math
import re
import weakref
from typing import Any

from .function import as_array

_NONE, _MAYBE, _SET = 0, 1, 2  # what a gradient name holds at a point of the backward: see _Backward
_count = itertools.count()


def first_grad(grads: tuple) -> Any:
    """The gradient for the only input of an op whose backward returned a tuple."""
    return grads[0] if grads else None


def grads_for(grads: Any, n: int) -> tuple:
    """A backward's result as one entry per input, as a loop zipping it with the inputs would see it."""
    if type(grads) is not tuple:
        grads = (grads,)
    return grads[:n] + (None,) * (n - len(grads))


class Generated:
    """A tape's forward and backward as source and as compiled functions.

    `forward(*inputs)` returns (outputs, contexts); `backward(output)` returns a
    function of (contexts, seed) that gives one gradient (or None) per variable slot.
    """

    def __init__(self, steps: list, ops: list, input_slots: list[int], variables: list,
                 constants: dict[int, Any], outputs: list[int]):
        self.steps, self.ops, self.input_slots = steps, ops, input_slots
        self.variables, self.constants, self.outputs = variables, constants, outputs
        self.names: dict[int, str] = {}  # slot -> the name of its array in the forward
        self.scope: dict[str, Any] = {"as_array": as_array, "first_grad": first_grad, "grads_for": grads_for}
        for slot in input_slots:
            self.names[slot] = f"x{slot}"
        for slot, variable in variables:
            self.names[slot] = f"w{slot}"
            self.scope[f"var_{slot}"] = variable
        for slot, value in constants.items():
            self.names[slot] = f"c{slot}"
            self.scope[f"c{slot}"] = value
        for op in ops:
            self.names[op.output] = f"x{op.output}"
        self.produced = {op.output for op in ops}
        self.variable_slots = {slot for slot, _ in variables}
        self.contexts = [f"{_snake(op.function.__name__)}_{op.output}" for op in ops]
        self.classes = self._class_names()
        self.forward_source = self._forward_source()
        self.forward = self._compile(self.forward_source, "forward")
        self._backward: dict[int, tuple[str, Any]] = {}

    # ------------------------------------------------------------------ names
    def _class_names(self) -> dict[type, str]:
        """A global name per op class: its own name, unless another class or a local name has it."""
        taken = set(self.scope) | set(self.names.values()) | set(self.contexts) | {"forward", "backward"}
        names: dict[type, str] = {}
        for op in self.ops:
            cls = op.function
            if cls in names:
                continue
            name = cls.__name__ if cls.__name__.isidentifier() and not keyword.iskeyword(cls.__name__) else "Op"
            unique = name
            for k in itertools.count(2):
                if unique not in taken and not _looks_generated(unique):
                    break
                unique = f"{name}_{k}"
            taken.add(unique)
            names[cls] = unique
            self.scope[unique] = cls
        return names

    def _attribute(self, index: int, key: str, value: Any) -> str:
        if _is_literal(value):
            return repr(value)
        name = f"attr_{self.ops[index].output}_{key}"
        self.scope[name] = value
        return name

    def _variable_name(self, variable: Any) -> str:
        """The global name of an assigned Variable: its slot's when it was read, else one of its own."""
        for slot, v in self.variables:
            if v is variable:
                return f"var_{slot}"
        for name, value in self.scope.items():
            if value is variable:
                return name
        name = f"assigned_{len(self.scope)}"
        self.scope[name] = variable
        return name

    # ------------------------------------------------------------------ forward
    def _forward_source(self) -> str:
        args = ", ".join(self.names[s] for s in self.input_slots)
        lines = [f"def forward({args}):"]
        for slot, variable in self.variables:
            lines.append(f"    w{slot} = var_{slot}.data  # {getattr(variable, 'path', '')}".rstrip(" #"))
        index = 0
        for step in self.steps:
            if not hasattr(step, "function"):  # an assignment to a Variable
                lines.append(f"    {self._variable_name(step.variable)}.{step.method}({self.names[step.source]})")
                continue
            ctx = self.contexts[index]
            arguments = [self.names[s] for s in step.inputs]
            for key, value in step.attrs.items():
                if key.isidentifier() and not keyword.iskeyword(key):
                    arguments.append(f"{key}={self._attribute(index, key, value)}")
                else:
                    self.scope[f"attrs_{index}"] = step.attrs
                    arguments = [self.names[s] for s in step.inputs] + [f"**attrs_{index}"]
                    break
            lines.append(f"    {ctx} = {self.classes[step.function]}()")
            if step.needs_grad:
                lines.append(f"    {ctx}.needs_grad = {step.needs_grad!r}")
            lines += _wrapped(f"    x{step.output} = as_array({ctx}.forward(", arguments, "))")
            index += 1
        outputs = _tuple([self.names[s] for s in self.outputs])
        if len(self.contexts) == 1:
            lines.append(f"    return {outputs}, {_tuple(self.contexts)}")
        else:
            lines += _wrapped(f"    return {outputs}, (", self.contexts, ")")
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------------ backward
    def backward(self, output: int) -> Any:
        """The compiled backward from `outputs[output]`, made on first use."""
        made = self._backward.get(output)
        if made is None:
            source = _Backward(self, self.outputs[output]).source()
            made = self._backward[output] = (source, self._compile(source, "backward"))
        return made[1]

    def backward_source(self, output: int) -> str:
        self.backward(output)
        return self._backward[output][0]

    def _compile(self, source: str, name: str) -> Any:
        # A file name of its own, with the source in linecache, so a traceback shows the generated line.
        filename = f"<tinyfit tape {next(_count)}: {name}>"
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        weakref.finalize(self, linecache.cache.pop, filename, None)  # kept while the tape is
        namespace = dict(self.scope)
        exec(compile(source, filename, "exec"), namespace)  # tinyfit's own text, written from its recording
        return namespace[name]


class _Backward:
    """Writes the backward from one root slot.

    The loop it replaces keeps one gradient per slot, None until an op adds to it,
    and skips an op whose output has none. Here each slot's gradient is a local
    name, and the writer knows at each line whether that name is unset (_NONE: no
    op can have written it yet), may be None (_MAYBE: an op's backward may have
    returned None for it), or holds an array (_SET: the root's seed). An op whose
    output is unset is left out, and each addition is written as the loop would do
    it for that state, so the arithmetic and its order are the loop's.
    """

    def __init__(self, generated: Generated, root: int):
        self.g, self.root = generated, root
        self.state: dict[int, int] = {root: _SET}
        self.declared: set[int] = set()  # names first set under an `if`
        self.read: set[int] = {root}  # slots whose gradient name was ever set

    def source(self) -> str:
        g = self.g
        body: list[str] = []
        used = [False] * len(g.ops)
        for index in range(len(g.ops) - 1, -1, -1):
            op = g.ops[index]
            state = self.state.get(op.output, _NONE)
            if state == _NONE:
                continue
            used[index] = True
            body += self._op(index, op, state)
        lines = [f"def backward(contexts, g{self.root}):"]
        if g.contexts:
            targets = [c if u else "_" for c, u in zip(g.contexts, used)]
            lines += _wrapped("    (", targets, ",) = contexts" if len(targets) == 1 else ") = contexts")
        if self.declared:  # set only under an `if`: None until then, as in the loop's list
            lines.append(f"    {' = '.join(f'g{slot}' for slot in sorted(self.declared))} = None")
        lines += body
        lines.append(f"    return {_tuple([f'g{s}' if s in self.read else 'None' for s, _ in g.variables])}")
        return "\n".join(lines) + "\n"

    def _op(self, index: int, op: Any, state: int) -> list[str]:
        g = self.g
        ctx, out = g.contexts[index], op.output
        wanted = [i for i, (slot, needed) in enumerate(zip(op.inputs, op.needs_grad))
                  if needed and self._kept(slot)]
        if not wanted:  # the loop would call backward only to drop what it returns
            return []
        lines = [f"    # {g.classes[op.function]}"]
        indent = "    "
        if state == _MAYBE:
            lines.append(f"    if g{out} is not None:")
            indent = "        "
        if len(op.inputs) == 1:
            slot = op.inputs[0]
            target = f"g{slot}" if self.state.get(slot, _NONE) == _NONE else "p0"
            lines.append(f"{indent}{target} = {ctx}.backward(g{out})")
            lines.append(f"{indent}if type({target}) is tuple:")
            lines.append(f"{indent}    {target} = first_grad({target})")
            if target == "p0":
                lines += self._add(indent, slot, "p0")
            else:
                self._first_set(indent, slot)
        else:
            n = len(op.inputs)
            parts = ", ".join(f"p{i}" if i in wanted else "_" for i in range(n))
            lines.append(f"{indent}r = {ctx}.backward(g{out})")
            lines.append(f"{indent}if type(r) is not tuple or len(r) != {n}:")
            lines.append(f"{indent}    r = grads_for(r, {n})")
            lines.append(f"{indent}{parts} = r")
            for i in wanted:
                lines += self._add(indent, op.inputs[i], f"p{i}")
        lines.append(f"{indent}del g{out}")  # as the loop lets go of it: the workspace may hand its memory out again
        self.state[out] = _NONE
        return lines

    def _add(self, indent: str, slot: int, value: str) -> list[str]:
        state = self.state.get(slot, _NONE)
        if state == _NONE:
            self._first_set(indent, slot)
            return [f"{indent}g{slot} = {value}"]
        return [f"{indent}if {value} is not None:",
                f"{indent}    g{slot} = {value} if g{slot} is None else g{slot} + {value}"]

    def _first_set(self, indent: str, slot: int) -> None:
        self.state[slot] = _MAYBE
        self.read.add(slot)
        if len(indent) > 4:
            self.declared.add(slot)

    def _kept(self, slot: int) -> bool:
        """Whether a slot's gradient is read later: an op's result, or a variable's."""
        return slot in self.g.produced or slot in self.g.variable_slots


def _wrapped(head: str, arguments: list[str], tail: str, width: int = 100) -> list[str]:
    """A call on one line, or its arguments on lines of their own when the line would be long."""
    line = head + ", ".join(arguments) + tail
    if len(line) <= width:
        return [line]
    lines, current = [head], "        "
    for argument in arguments:
        if len(current) + len(argument) + 2 > width and current.strip():
            lines.append(current.rstrip())
            current = "        "
        current += argument + ", "
    lines.append(current.rstrip(", ") + tail)
    return lines


def _snake(name: str) -> str:
    """A context's name from its class's: MaxPool -> max_pool; op for long or odd names."""
    snake = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()
    readable = snake.isidentifier() and len(snake) <= 20 and snake not in ("var", "attr", "assigned")
    return snake if readable else "op"  # var_3, attr_3_..., assigned_3 name the globals


def _tuple(names: list[str]) -> str:
    return f"({names[0]},)" if len(names) == 1 else f"({', '.join(names)})"  # () when empty


def _is_literal(value: Any) -> bool:
    """Whether `repr(value)` gives back an equal value of the same type when run."""
    kind = type(value)
    if kind in (int, bool, str) or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is tuple:
        return all(_is_literal(v) for v in value)
    return False


def _looks_generated(name: str) -> bool:
    """Whether a name has the shape of the generated names (x3, w2, c5, g7, p0, r, var_2, attr_5_axis)."""
    if name in ("r", "_") or name.startswith(("var_", "attr_", "attrs_", "assigned_")):
        return True
    return name[:1] in "xwcgp" and name[1:].isdigit()
