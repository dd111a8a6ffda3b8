"""How a layer knows its weights and the layers inside it: it records them when they are assigned.

Assigning an attribute (`self.dense = Dense(3)`, `self.scale = Variable(...)`,
`self.blocks = [Dense(3), Dense(4)]`) runs `Layer.__setattr__`, which records
the layer's own Variables and direct sub-layers (`_tracked()`): the weights made
by add_weight first, then what its attributes hold, in the order the attributes
were first assigned, looking inside lists, tuples and dicts. Lists and dicts are
kept as tracked ones (tracked_containers.py), which ask the layer to record
again when they change; deleting or reassigning an attribute records again too.

The whole tree (this layer, the layers inside it, every weight) is then a walk
over those records, depth first, each layer and weight once, where first met.
"""

from __future__ import annotations

import weakref
from typing import Any

from ..autograd.variable import Variable
from .tracked_containers import adopt, tracked

# Attributes of the base class's own bookkeeping: never weights or sub-layers.
_BOOKKEEPING = frozenset({"_own_variables", "_regularizers", "_inbound_nodes", "_symbolic_losses",
                          "_input_shape_arg", "_last_call", "_symbolic_metrics", "_auto_config"})


class Tracking:
    """The part of Layer that records its weights and sub-layers (see Layer for the whole class)."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Tracking":
        layer = super().__new__(cls)
        state = layer.__dict__
        state["_tracked_record"] = ([], [])  # (own Variables, direct sub-layers), see _record
        state["_parents"] = weakref.WeakSet()  # the layers whose records hold this one
        state["_tree_version"] = 0  # moves on when this layer's tree changes, see _tree_changed
        return layer

    def __getstate__(self) -> dict:
        # For copy and pickle: weak references do not travel, and the kept tree is only a shortcut.
        state = dict(self.__dict__)
        del state["_parents"]
        state.pop("_gathered_tree", None)
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)  # _parents is the fresh one __new__ made
        for name in state.get("_tracked_names", ()):
            if name in state:  # a tracked list or dict travels as a plain one: tracked again here
                value = self.__dict__[name] = tracked(state[name])
                adopt(value, self)
        for layer in self._tracked()[1]:
            layer._parents.add(self)

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _BOOKKEEPING:
            object.__setattr__(self, name, value)
            if name == "_own_variables":
                self._record()
            return
        names = self.__dict__.get("_tracked_names")
        if _may_hold_weights(value):
            value = tracked(value)
            adopt(value, self)
            if names is None:
                names = {}
                object.__setattr__(self, "_tracked_names", names)
            names[name] = None  # an attribute keeps its place when set again
        object.__setattr__(self, name, value)
        if names is not None and name in names:
            self._record()
        elif name == "_trainable":
            self._tree_changed()  # which weights are trained changed

    def __delattr__(self, name: str) -> None:
        object.__delattr__(self, name)
        if name in self.__dict__.get("_tracked_names", ()):
            self._record()

    def _tracked(self) -> tuple[list[Variable], list["Tracking"]]:
        """This layer's own Variables and direct sub-layers, as recorded: read them, never change them."""
        return self.__dict__["_tracked_record"]

    def _record(self) -> None:
        """Records this layer's own Variables and direct sub-layers from its attributes.

        Variables come first in the order add_weight made them, then those held by
        attributes; attributes in the order they were first assigned, lists,
        tuples and dicts depth first in order; each Variable and layer once.
        """
        attributes = self.__dict__
        variables: list[Variable] = list(attributes.get("_own_variables", ()))
        layers: list[Tracking] = []
        pending = [attributes.get(key) for key in reversed(attributes.get("_tracked_names", ()))]
        while pending:
            value = pending.pop()
            if isinstance(value, Variable):
                variables.append(value)
            elif isinstance(value, Tracking):
                if value is not self:
                    layers.append(value)
            elif isinstance(value, (list, tuple)):
                pending.extend(reversed(value))
            elif isinstance(value, dict):
                pending.extend(reversed(value.values()))
        record = (unique(variables), unique(layers))
        old_variables, old_layers = attributes["_tracked_record"]
        if _same(record[0], old_variables) and _same(record[1], old_layers):
            return
        attributes["_tracked_record"] = record
        for layer in old_layers:
            layer._parents.discard(self)
        for layer in record[1]:
            layer._parents.add(self)
        self._tree_changed()

    def _tree_changed(self) -> None:
        """Moves on the version of this layer's tree and of every tree holding it (its parents, theirs...)."""
        stack, seen = [self], set()
        while stack:
            layer = stack.pop()
            if id(layer) not in seen:
                seen.add(id(layer))
                layer.__dict__["_tree_version"] += 1
                stack.extend(layer._parents)

    def _gathered(self) -> "Gathered":
        """What this layer's tree holds: its layers, its weights, which are trained.

        Every training step asks for the trainable weights and the losses, so the
        answer is kept on this layer, tagged with its tree's version: any change
        to a record in the tree, or to a layer's `trainable`, moves that version
        on (see _tree_changed), and a Variable's own `trainable` flag is compared.
        """
        kept = self.__dict__.get("_gathered_tree")
        if kept is not None and kept.version == self._tree_version and kept.flags_unchanged():
            return kept
        kept = self.__dict__["_gathered_tree"] = Gathered(self)
        return kept

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list["Tracking"]:
        """This layer and those inside it, depth first, each once."""
        found = list(self._gathered().layers) if recursive else [self] + self._tracked()[1]
        return found if include_self else found[1:]


class Gathered:
    """One walk over a layer tree's records: its layers and weights, in order.

    Attributes:
        layers: the layers, the root first, depth first, each once.
        weights: (owner layer, Variable, trained?) of every weight, no repeats. A
            weight is trained when it is trainable and so are its layer and every layer around it.
        variables, trainable, non_trainable: all the Variables, those trained, the others.
        layer_ids: {id(layer)} of `layers`.
        regularized: (Variable, regularizer) of the trained weights that have one.
    """

    __slots__ = ("version", "flags", "layers", "weights", "variables", "trainable", "non_trainable",
                 "layer_ids", "regularized")

    def __init__(self, root: Tracking):
        self.version = root._tree_version
        layers: list[Tracking] = []
        weights: list[tuple[Tracking, Variable, bool]] = []
        seen: set[int] = set()
        stack: list[tuple[Tracking, bool]] = [(root, True)]
        while stack:
            layer, trained = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            trained = trained and layer._trainable
            own, sublayers = layer._tracked()
            for v in own:
                if id(v) not in seen:
                    seen.add(id(v))
                    weights.append((layer, v, trained and v.trainable))
            for sub in reversed(sublayers):  # reversed, so the first is visited first
                stack.append((sub, trained))
        self.layers, self.weights = layers, weights
        self.variables = [v for _, v, _ in weights]
        self.flags = [v._trainable for v in self.variables]
        self.trainable = [v for _, v, trained in weights if trained]
        self.non_trainable = [v for _, v, trained in weights if not trained]
        self.layer_ids = {id(layer) for layer in layers}
        trained_ids = {id(v) for v in self.trainable}
        self.regularized = [(v, regularizer) for layer in layers for v, regularizer in layer._regularizers
                            if id(v) in trained_ids]

    def flags_unchanged(self) -> bool:
        """Whether no Variable's own `trainable` flag was flipped since (Variables do not tell their layers)."""
        return [v._trainable for v in self.variables] == self.flags


def _may_hold_weights(value: Any) -> bool:
    """Whether an attribute's value is, or may come to hold, a weight or a layer.

    Lists and dicts may be filled later; a tuple never changes, so one look
    inside it now is enough.
    """
    if isinstance(value, (Variable, Tracking, list, dict)):
        return True
    return isinstance(value, tuple) and any(_may_hold_weights(item) for item in value)


def _same(a: list, b: list) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


def unique(items: list[Any]) -> list[Any]:
    """The items, each once (by identity), in their first order."""
    seen: set[int] = set()
    return [x for x in items if not (id(x) in seen or seen.add(id(x)))]
