"""How a layer finds its weights and the layers inside it (the part of Layer that tracks them).

Weights and sub-layers are found by looking through the layer's attributes
(also inside lists, tuples and dicts), in the order they were assigned.
"""

from __future__ import annotations

from typing import Any

from ..autograd.variable import Variable
from .walk_cache import Walk, tree_changed

# Attributes of the base class's own bookkeeping: never weights or sub-layers.
_BOOKKEEPING = frozenset({"_own_variables", "_regularizers", "_inbound_nodes", "_symbolic_losses",
                          "_input_shape_arg", "_last_call", "_symbolic_metrics", "_auto_config"})


class Tracking:
    """The part of Layer that finds the layer's weights and sub-layers."""

    def _walk(self) -> tuple[list["Tracking"], list[tuple["Tracking", Variable, bool]]]:
        """This layer and every layer inside it (depth first, each once), and every
        weight as (owner layer, weight, trained?), own weights first, no repeats.

        A weight is trained when it is trainable and its layer and every layer
        around it are too. The lists are kept until the tree changes (see
        walk_cache.py): read them, never change them.
        """
        walk = self._walked()
        return walk.layers, walk.weights

    def _walked(self) -> Walk:
        """The kept walk over this layer's tree, or a new one when the tree may have changed."""
        walk = self.__dict__.get("_walk_cache")
        if walk is not None and walk.still_valid():
            return walk
        layers: list[Tracking] = []
        weights: list[tuple[Tracking, Variable, bool]] = []
        containers: list = []
        seen: set[int] = set()
        stack: list[tuple[Tracking, bool]] = [(self, True)]
        while stack:
            layer, trained = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            trained = trained and layer._trainable
            own, sublayers, held_in = layer._tracked()
            containers += held_in
            for v in own:
                if id(v) not in seen:
                    seen.add(id(v))
                    weights.append((layer, v, trained and v.trainable))
            for sub in reversed(sublayers):  # reversed, so the first is visited first
                stack.append((sub, trained))
        walk = self.__dict__["_walk_cache"] = Walk(layers, weights, containers)
        return walk

    def _walk_weights(self) -> list[tuple["Tracking", Variable, bool]]:
        return self._walk()[1]

    def __setattr__(self, name: str, value: Any) -> None:
        # Remember which attributes may hold weights or sub-layers (containers
        # included: their contents are read when needed, so a list filled after
        # it was assigned still counts), so tracking never scans the others.
        names = self.__dict__.get("_tracked_names")
        if name not in _BOOKKEEPING and _may_hold_weights(value):
            if names is None:
                names = {}
                object.__setattr__(self, "_tracked_names", names)
            names[name] = None
        if name == "_own_variables" or (names is not None and name in names):
            self.__dict__.pop("_tracked_cache", None)  # what _tracked() found may have changed
            tree_changed()  # and so may every walk through this layer
        elif name == "_trainable" or name == "built":
            tree_changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.pop("_tracked_cache", None)
        tree_changed()
        object.__delattr__(self, name)

    def _tracked(self) -> tuple[list[Variable], list["Tracking"], list]:
        """This layer's own Variables and direct sub-layers, in the order they were assigned,
        and the lists and dicts they were found in.

        The answer is kept until an attribute it came from is set again, or a weight
        is added. Not when it came through a list or dict: those change in place,
        unseen, so their contents are read afresh each time (a kept walk over the
        tree compares their items instead).
        """
        cached = self.__dict__.get("_tracked_cache")
        if cached is not None:
            return cached
        variables: list[Variable] = list(self._own_variables)
        layers: list[Tracking] = []
        attributes = self.__dict__
        pending = [attributes.get(key) for key in reversed(attributes.get("_tracked_names", ()))]
        containers: list = []  # the lists and dicts looked into
        while pending:  # depth first through lists, tuples and dicts, in order
            value = pending.pop()
            if isinstance(value, Variable):
                variables.append(value)
            elif isinstance(value, Tracking):
                if value is not self:
                    layers.append(value)
            elif isinstance(value, (list, tuple)):
                if isinstance(value, list):
                    containers.append(value)
                pending.extend(reversed(value))
            elif isinstance(value, dict):
                containers.append(value)
                pending.extend(reversed(value.values()))
        found = unique(variables), unique(layers), containers
        if not containers:
            object.__setattr__(self, "_tracked_cache", found)
        return found

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list["Tracking"]:
        """This layer and those inside it, depth first, each once."""
        found = list(self._walked().layers) if recursive else [self] + self._tracked()[1]
        return found if include_self else found[1:]


def _may_hold_weights(value: Any) -> bool:
    """Whether an attribute's value is, or may come to hold, a weight or a layer.

    Lists and dicts may be filled later; a tuple never changes, so one look
    inside it now is enough.
    """
    if isinstance(value, (Variable, Tracking, list, dict)):
        return True
    return isinstance(value, tuple) and any(_may_hold_weights(item) for item in value)


def unique(items: list[Any]) -> list[Any]:
    """The items, each once (by identity), in their first order."""
    seen: set[int] = set()
    return [x for x in items if not (id(x) in seen or seen.add(id(x)))]
