"""Flat state: an optimizer's slots packed into one array per kind, so one update covers every variable.

On the first update, the slots of each kind (every variable's velocity, say) are
moved into one contiguous array per dtype and device, each slot Variable keeping a
view of its part. An optimizer whose update is element by element (`flat_updates =
True`: all of tinyfit's) then updates every variable in one pass over those arrays:
the gradients and weights are copied into flat arrays, `update_step` runs once on
them, and the new weights are copied back. One pass costs a handful of Python calls
instead of a handful per variable. Saving and loading see the slot Variables as before.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.variable import Variable


def pack_slots(variables: list[Variable], slot_of: dict, flat_updates: bool) -> "FlatState | None":
    """Moves the slots into one flat array per kind, dtype and device (each slot a view of its
    part, in the order of the variables); with `flat_updates`, returns the one-pass state
    when every variable has one dtype and device and a slot of every kind (else None).

    `slot_of` maps (slot name, id(variable)) to the slot; the flat state's own entries
    (its id in place of a variable's) are added to it, so `optimizer._slot(flat, name)`
    finds each kind's flat array during a pass.
    """
    groups: dict[tuple, list[Variable]] = {}
    for name in dict.fromkeys(name for name, _ in slot_of):
        for v in variables:
            slot = slot_of.get((name, id(v)))
            if slot is not None:
                groups.setdefault((name, slot.dtype, backend.device_of(slot.data)), []).append(slot)
    flats = {key: _as_views(slots) for key, slots in groups.items()}
    kinds = {(v.dtype, backend.device_of(v.data)) for v in variables}
    names = {name for name, _, _ in flats}
    if not (flat_updates and len(kinds) == 1 and len(flats) == len(names)
            and all(len(slots) == len(variables) for slots in groups.values())):
        return None
    state = FlatState(variables, {name: flat for (name, _, _), flat in flats.items()})
    for name, holder in state.slots.items():
        slot_of[name, id(state)] = holder
    return state


def same_objects(a: list, b: list) -> bool:
    """Whether two lists hold the same objects in the same order (by identity: Tensors compare by value)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x is not y:
            return False
    return True


def _as_views(slots: list[Variable]) -> Any:
    """Copies the slots (one dtype and device) into one flat array and makes each slot's data a view
    of its part; returns the flat array."""
    xp = backend.array_module(slots[0].data)
    flat = xp.empty(sum(slot.size for slot in slots), dtype=slots[0].dtype)
    start = 0
    for slot in slots:
        view = flat[start:start + slot.size].reshape(slot.shape)
        view[...] = slot.data
        slot.data = view
        start += slot.size
    return flat


class _Holder:
    """Holds an array as `.data`, as a slot Variable does."""

    __slots__ = ("data",)

    def __init__(self, data: Any):
        self.data = data


class FlatState:
    """All variables of an optimizer as one: flat gradient and weight arrays, and each slot kind's
    flat array, which update_step receives in place of one variable and its slots.

    The weights stay the layers' own arrays: they are copied in before the pass and back after
    it, so code holding a weight's array keeps seeing its values.
    """

    def __init__(self, variables: list[Variable], slots: dict[str, Any]):
        self.variables = list(variables)
        xp = backend.array_module(variables[0].data)
        size = sum(v.size for v in variables)
        self.data = xp.empty(size, dtype=variables[0].dtype)  # the weights, during a pass
        self.gradient = xp.empty(size, dtype=variables[0].dtype)
        self.weight_views, self.gradient_views, start = [], [], 0
        for v in variables:
            self.weight_views.append(self.data[start:start + v.size].reshape(v.shape))
            self.gradient_views.append(self.gradient[start:start + v.size].reshape(v.shape))
            start += v.size
        # Each slot kind's flat array, found by optimizer._slot(self, name) during a pass.
        self.slots = {name: _Holder(flat) for name, flat in slots.items()}

    def covers(self, variables: list[Variable]) -> bool:
        """Whether this step updates exactly these variables, in this order (no gradient was None)."""
        return same_objects(variables, self.variables)

    def gather(self, grads: list) -> None:
        for view, gradient, v, weights in zip(self.gradient_views, grads, self.variables, self.weight_views):
            view[...] = gradient
            weights[...] = v.data

    def scatter(self) -> None:
        for v, weights in zip(self.variables, self.weight_views):
            v.data[...] = weights
