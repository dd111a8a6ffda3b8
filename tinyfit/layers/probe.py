"""Probing: how a layer called on symbolic inputs learns its output shapes, leaving no trace.

Calling a layer on KerasTensors (from `keras.Input`) runs its `call` twice on
small made-up tensors (no gradients, training off). This works for any layer,
custom ones with several inputs and add_loss included, without each layer
having to describe its output shape.

Sizes that are not fixed. The two runs differ in every unknown axis (2 then 3
samples, 5 then 7 for other unknown axes) and in their values (all ones, then
varied values; zeros then 0/1 for integers). An output axis whose size differs
between the runs is reported unknown (None): it follows an unknown input size,
or the values themselves (`x[x > 0.5]`, a `numpy.unique`). This is a test, not a
proof: a size that depends on the values in a way both runs happen to agree on
(say, a count of negative inputs, zero in both) still looks fixed. Layers whose
output shape is a formula answer from `compute_output_shape` instead
(`ShapeByArithmetic`) and need no probing.

No trace. The made-up data must not change anything a real call would see
later, as Keras guarantees with its stateless scope. Each run:
- undoes every Variable assignment (`assign`, `assign_add`, `assign_sub`), so a
  layer counting its calls counts only real ones;
- puts back the state of the Metric objects the layers hold (they may update
  their variables directly);
- drops the losses and metric values added (`add_loss`, `add_metric`);
- puts back every random state (tinyfit's generator, NumPy's and Python's global
  ones, NumPy generators the layers hold), so building a model symbolically
  draws nothing and training afterwards is the same as without it.
What a layer does to build itself (its first call may come during a probe) is
the exception: its weights and their random draws are real, and stay.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Any, Iterator

import numpy

from .. import backend
from ..autograd.grad_mode import no_grad
from ..autograd.tensor import Tensor
from ..autograd.variable import assignments_kept, assignments_undone
from ..utils.random import get_random_states, set_random_states
from .call_context import CallContext, LayerCall, current_call
from .symbolic import KerasTensor
from .weight_budget import charge_probe
from ..tree import flatten, map_structure

# The two probes: sizes for the unknown axes (the batch axis first), and whether the values vary.
_PROBES = (((2, 5), False), ((3, 7), True))


def is_shape(value: Any) -> bool:
    return isinstance(value, (tuple, list)) and all(n is None or isinstance(n, int) for n in value)


def placeholders_for(shapes: Any) -> Any:
    """KerasTensors for a shape, or for a list/tuple/dict of shapes."""
    if is_shape(shapes):
        return KerasTensor(shapes)
    if isinstance(shapes, dict):
        return {key: placeholders_for(value) for key, value in shapes.items()}
    if isinstance(shapes, (list, tuple)):
        return type(shapes)(placeholders_for(value) for value in shapes)
    raise TypeError(f"Expected a shape (a tuple of sizes or None) or a list/dict of them, got {shapes!r}.")


def infer_output_spec(layer: Any, args: tuple, kwargs: dict) -> Any:
    """KerasTensors shaped like what `layer.call` returns for these symbolic arguments (see the module)."""
    first, second = (_probe(layer, args, kwargs, sizes, varied) for sizes, varied in _PROBES)
    first_leaves, second_leaves = flatten(first), flatten(second)
    if len(first_leaves) != len(second_leaves):
        raise ValueError(
            f"Layer {layer.name!r}: call() returned {len(first_leaves)} tensor(s) for one batch and "
            f"{len(second_leaves)} for another of a different size. A layer used in a model must return the "
            "same structure of tensors whatever its inputs' sizes and values."
        )
    pairs = iter(zip(first_leaves, second_leaves))
    return map_structure(lambda _: spec_of(layer, *next(pairs)), first)


def _probe(layer: Any, args: tuple, kwargs: dict, sizes: tuple[int, int], varied: bool) -> Any:
    """layer.call() on made-up data in place of the KerasTensors, leaving no trace."""
    for leaf in flatten((args, kwargs)):
        if isinstance(leaf, KerasTensor):  # a file's config may not make them huge (weight_budget.py)
            charge_probe(layer.name, _filled(leaf.shape, sizes))
    args, kwargs = map_structure(lambda t: stand_in(t, sizes, varied), (args, kwargs))
    kwargs.pop("training", None)
    with no_grad(), NoTrace(layer) as no_trace, _quiet():
        # Inner layers find the NoTrace through the call context: what they add is dropped.
        token = current_call.set(CallContext(False, LayerCall(layer, no_trace=no_trace)))
        try:
            return layer.call(*args, **layer._with_training(args, kwargs, False))
        finally:
            current_call.reset(token)


def stand_in(leaf: Any, sizes: tuple[int, int], varied: bool = False) -> Any:
    """A real tensor in place of a KerasTensor, its unknown axes filled in.

    Plain: ones (zeros for integers and booleans). Varied: values spread
    between 0.05 and 1 (0 and 1 for integers), always the same ones: positive,
    so that a log or a square root still works; drawn from a generator of their
    own, so that no random state moves.
    """
    if not isinstance(leaf, KerasTensor):
        return leaf
    shape = _filled(leaf.shape, sizes)
    dtype = numpy.dtype(leaf.dtype)
    floating = dtype.kind == "f"
    if not varied:
        values = numpy.full(shape, 1 if floating else 0, dtype=dtype)
    elif floating:
        values = numpy.random.default_rng(7).uniform(0.05, 1.0, size=shape).astype(dtype)
    else:
        values = (numpy.arange(int(numpy.prod(shape))) % 2).reshape(shape).astype(dtype)
    return Tensor._make(backend.to_device(values, backend.default_device()), False)


def _filled(shape: tuple, sizes: tuple[int, int]) -> tuple[int, ...]:
    batch, other = sizes
    return tuple((batch if i == 0 else other) if n is None else n for i, n in enumerate(shape))


def spec_of(layer: Any, a: Any, b: Any) -> Any:
    """The KerasTensor matching two probe outputs (axes whose sizes differ are unknown)."""
    if a is None:
        return None
    if not isinstance(a, Tensor):
        raise TypeError(
            f"Layer {layer.name!r} returned {type(a).__name__} from call(); layers must return tensors "
            "(or lists/tuples/dicts of them)."
        )
    shape = tuple(m if m == n else None for m, n in zip(a.shape, b.shape))
    if a.ndim != b.ndim:
        shape = tuple(None for _ in a.shape)
    return KerasTensor(shape, a.dtype, name=layer.name)


class NoTrace:
    """A `with` block after which the Variables it assigned, the state of the Metric objects
    `layer` (and the layers inside it) hold, and every random state are as before.

    `build(fn)` runs a layer's build inside the block for real: its assignments and
    random draws stay, as they would have without the block.
    """

    def __init__(self, layer: Any):
        self.layer = layer

    def __enter__(self) -> "NoTrace":
        self._metrics = [(v, v.data.copy()) for m in self.layer._held_metrics() for v in m.variables]
        self._generators = [(g, g.bit_generator.state) for g in _held_generators(self.layer)]
        self._randomness = get_random_states()  # what the block leaves: updated by each build
        self._undo = assignments_undone()
        self._undo.__enter__()
        return self

    def build(self, fn: Any) -> None:
        """Runs fn() (a layer's build) as if outside the block."""
        drawn_in_block = get_random_states()
        set_random_states(self._randomness)  # draw what the build would have drawn without the block
        try:
            with assignments_kept():
                fn()
        finally:
            self._randomness = get_random_states()
            set_random_states(drawn_in_block)

    def __exit__(self, *exc: Any) -> bool:
        self._undo.__exit__(*exc)
        for variable, value in self._metrics:
            variable.data[...] = value
        for generator, state in self._generators:
            generator.bit_generator.state = state
        set_random_states(self._randomness)
        return False


def _held_generators(layer: Any) -> list[numpy.random.Generator]:
    """NumPy generators held as attributes by `layer` or a layer inside it (e.g. a seeded Dropout's)."""
    return [value for sub in layer._flatten_layers() for value in sub.__dict__.values()
            if isinstance(value, numpy.random.Generator)]


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silences warnings while probing: the made-up data is not real, its warnings would mislead."""
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield
