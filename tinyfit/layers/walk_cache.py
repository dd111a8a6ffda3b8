"""What one walk over a layer tree found, kept until something that could change it does.

Every training step asks a model for its trainable weights (the optimizer), its
losses (add_loss, regularizers) and sometimes its layers; each answer is a walk
over every layer's attributes. The tree rarely changes between steps, so the
first walk's result is kept on the layer it started from (a `Walk`) and reused
while it is still right. It is still right when none of these happened since:

- an attribute that holds (or held) a layer, a Variable, a list or a dict was set
  or deleted on any layer, a weight was added (add_weight), a `trainable` flag or
  `built` was set on any layer: `Layer.__setattr__`, `__delattr__` and
  `add_weight` call `tree_changed()`, which moves a global counter on;
- a list or dict the walk looked into was changed in place (`layers.append(...)`):
  the walk notes the items of each, and compares them again;
- a Variable's own `trainable` flag was flipped: the walk notes every flag.

The counter is global, not per tree: a change anywhere makes every tree walk again
once, which costs one walk and can never leave a stale answer behind.
"""

from __future__ import annotations

from typing import Any

_generation = 0  # moved on by every change that may alter some walk


def tree_changed() -> None:
    """Marks every kept walk as possibly out of date."""
    global _generation
    _generation += 1


class Walk:
    """A layer tree as one walk found it: its layers, its weights, and what the walk read.

    Attributes:
        layers: the layers, the root first, depth first, each once.
        weights: (owner layer, Variable, trained?) of every weight, no repeats.
        trainable, non_trainable: the Variables that are trained, and the others.
        layer_ids: {id(layer)} of `layers`.
        regularized: (Variable, regularizer) of the trained weights that have one.
    """

    __slots__ = ("generation", "containers", "variables", "flags", "layers", "weights", "trainable",
                 "non_trainable", "layer_ids", "regularized")

    def __init__(self, layers: list, weights: list, containers: list):
        self.generation = _generation
        # Each list or dict looked into, with its items (kept alive, so that no id among
        # them is reused while this walk is kept) and their ids (compared on every check).
        self.containers = []
        for container in containers:
            is_dict = isinstance(container, dict)
            items = tuple(container.values() if is_dict else container)
            self.containers.append((container, is_dict, items, tuple(map(id, items))))
        self.variables = [v for _, v, _ in weights]
        self.flags = [v._trainable for v in self.variables]
        self.layers, self.weights = layers, weights
        self.trainable = [v for _, v, trained in weights if trained]
        self.non_trainable = [v for _, v, trained in weights if not trained]
        self.layer_ids = {id(layer) for layer in layers}
        trained = {id(v) for v in self.trainable}
        self.regularized = [(v, regularizer) for layer in layers for v, regularizer in layer._regularizers
                            if id(v) in trained]

    def still_valid(self) -> bool:
        """Whether nothing the walk depends on has changed since it was made."""
        if self.generation != _generation:
            return False
        for container, is_dict, _, ids in self.containers:
            if tuple(map(id, container.values() if is_dict else container)) != ids:
                return False
        return [v._trainable for v in self.variables] == self.flags

