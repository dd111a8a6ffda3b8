"""Masks: which steps of a padded sequence are real, carried beside the tensors as in Keras.

Sentences in a batch have different lengths, so the short ones are padded. A mask
says which steps are real: a boolean tensor, (batch, time) for a sequence, True
where a step is real and False where it is padding. It travels on the tensor it
describes, as the attribute `_keras_mask`, so it follows the data through a model
without anyone passing it by hand:

- a layer that makes a mask (`Embedding(mask_zero=True)`, `Masking`) attaches it to
  its output through `compute_mask`;
- a layer whose `call` has a `mask` parameter receives the mask of its input as
  `mask=` (with several tensor arguments, `query_mask=` for `query`, and so on), so
  recurrent layers skip padded steps and pooling averages over real ones;
- a layer with `supports_masking` passes the mask on to its output (`compute_mask`
  may change it: a recurrent layer that returns only its last output drops it);
- the loss and the metrics leave masked steps out of their averages.

A mask reaching a layer that does not support masking stops there, with a warning,
since from then on padded steps count like real ones.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..tree import flatten, map_structure
from ..utils.declared import overrides

__all__ = ["Masks", "mask_of", "masks_of", "any_mask"]


def mask_of(x: Any) -> Any:
    """The mask a tensor carries, or None."""
    return getattr(x, "_keras_mask", None) if isinstance(x, Tensor) else None


def masks_of(structure: Any) -> Any:
    """The masks of a structure of tensors, in the same structure (None where there is none)."""
    if isinstance(structure, Tensor):
        return getattr(structure, "_keras_mask", None)
    return map_structure(mask_of, structure)


def any_mask(masks: Any) -> bool:
    """Whether a structure of masks holds at least one."""
    if masks is None:
        return False
    return isinstance(masks, Tensor) or any(m is not None for m in flatten(masks))


class _CallParameters:
    """What a class's call() takes, looked up once per class."""

    def __init__(self, cls: type):
        parameters = list(inspect.signature(cls.call).parameters.values())[1:]  # without self
        self.positional = [p.name for p in parameters
                           if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        self.names = {p.name for p in parameters}
        self.takes_masks = any(n == "mask" or n.endswith("_mask") for n in self.names)
        self.makes_masks = overrides(cls, Masks, "compute_mask")


_PARAMETERS: dict[type, _CallParameters] = {}


def _parameters(cls: type) -> _CallParameters:
    found = _PARAMETERS.get(cls)
    if found is None:
        found = _PARAMETERS[cls] = _CallParameters(cls)
    return found


def _has_tensor(value: Any) -> bool:
    return isinstance(value, Tensor) or (isinstance(value, (list, tuple, dict))
                                         and any(isinstance(v, Tensor) for v in flatten(value)))


class Masks:
    """The masking part of Layer: `supports_masking`, `compute_mask`, and the mask bookkeeping
    of `__call__`."""

    @property
    def supports_masking(self) -> bool:
        """Whether the layer passes masks on (through `compute_mask`).

        By default, a layer that writes its own `compute_mask` supports masking and
        others do not; set it to True in `__init__` for a layer that keeps the time
        axis and treats each step alike (a Dense layer on each step, say).
        """
        value = self.__dict__.get("_supports_masking")
        return _parameters(type(self)).makes_masks if value is None else value

    @supports_masking.setter
    def supports_masking(self, value: bool) -> None:
        self.__dict__["_supports_masking"] = bool(value)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The mask of the outputs, given the inputs and their mask.

        The default hands the input's mask on unchanged when the layer supports
        masking, and gives None (no mask) otherwise.
        """
        return previous_mask if self.supports_masking else None

    # ------------------------------------------------------------ in __call__
    def _masks_in(self, args: tuple, kwargs: dict) -> tuple[dict, Any]:
        """kwargs with the masks call() asks for filled in, and the mask of the first input.

        Keras's rule: with one tensor argument, its mask goes to `mask=`; with several,
        each argument `name` whose `name_mask` parameter exists gets its own mask. A
        mask given by hand is kept.
        """
        first = args[0] if args else next(iter(kwargs.values()), None)
        previous = masks_of(first)
        spec = _parameters(type(self))
        if spec.takes_masks:
            bound = dict(zip(spec.positional, args))
            bound.update(kwargs)
            tensors = {k: v for k, v in bound.items()
                       if k != "mask" and not k.endswith("_mask") and _has_tensor(v)}
            given = dict(kwargs)
            if len(tensors) == 1 and "mask" in spec.names and bound.get("mask") is None:
                found = masks_of(next(iter(tensors.values())))
                if any_mask(found):
                    given["mask"] = found
            elif len(tensors) > 1:
                for name, value in tensors.items():
                    if f"{name}_mask" in spec.names and bound.get(f"{name}_mask") is None:
                        found = masks_of(value)
                        if any_mask(found):
                            given[f"{name}_mask"] = found
            kwargs = given
            if kwargs.get("mask") is not None:
                previous = kwargs["mask"]
        return kwargs, previous

    def _masks_out(self, inputs: Any, outputs: Any, previous: Any) -> None:
        """Attaches the outputs' masks (compute_mask) where the call did not attach them itself."""
        if not self.supports_masking:
            if any_mask(previous) and not self.__dict__.get("_warned_mask"):
                self.__dict__["_warned_mask"] = True
                warnings.warn(
                    f"Layer {self.name!r} ({type(self).__name__}) was given an input with a mask, but it "
                    "does not support masking, so the mask stops here: later layers, the loss and the "
                    "metrics count the padded steps like real ones. Put the masking layers (recurrent, "
                    "attention, pooling over time) before it, or drop the mask earlier.",
                    UserWarning, stacklevel=3)
            return
        tensors = [t for t in flatten(outputs) if isinstance(t, Tensor)]
        if not tensors or all(mask_of(t) is not None for t in tensors):
            return
        found = self.compute_mask(inputs, previous)
        if found is None:
            return
        for tensor, mask in zip(flatten(outputs), flatten(found)):
            if isinstance(tensor, Tensor) and mask is not None and mask_of(tensor) is None:
                tensor._keras_mask = mask

    def _mask_work(self, args: tuple, kwargs: dict) -> bool:
        """Whether this call has masks to hand on or to make (most calls have neither)."""
        if _parameters(type(self)).makes_masks:
            return True
        if not kwargs and all(type(a) is not list and type(a) is not tuple and type(a) is not dict
                              for a in args):
            return any(getattr(a, "_keras_mask", None) is not None for a in args)
        return any(mask_of(t) is not None for t in flatten((args, kwargs)))
