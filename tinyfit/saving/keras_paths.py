"""Where Keras 3's HDF5 layout puts each layer's weights: the attribute paths its saving walks.

Keras walks a model from the top. Each layer it meets writes its own variables (trainable
first, then the others) as `<path>/vars/0, 1, ...`; then it visits the layer's children:
- a functional or Sequential model: its layer list, as `layers/<class in snake_case, numbered>`;
- any other layer of the user's: its attributes in sorted order, public names before private
  ones (`_name`), a subclassed model's `layers` list among them. An attribute holding a layer
  adds `<attribute>/`; one holding a list, tuple or dict adds `<attribute>/<class, numbered>/`
  per layer inside (dict values in order), a container inside it `container`, `container_1`, ...
A layer met twice is written once, where first met. tinyfit's layers keep their sublayers in
attributes too, so the same walk over the same class gives the same paths on both sides. One of
tinyfit's own layers holding sublayers (a wrapper such as TimeDistributed) says in its class body
`keras_sublayer_names = True` when its attributes holding them have Keras's names, so that the
walk finds them where Keras puts them; others are refused.
"""

from __future__ import annotations

from typing import Any

from .. import layers as _layers
from ..autograd.variable import Variable
from .keras_names import is_functional, is_sequential, keras_class_name, snake_case, unique_name
from .keras_order import keras_layers

__all__ = ["weight_groups"]

# tinyfit's own bookkeeping attributes that hold layers: never a user's sublayers.
_INTERNAL = frozenset({"_layers", "_tracked_names", "_tracked_record", "_gathered_tree", "_parents",
                       "_tree_version", "_compile_arguments"})


def _is_tinyfit_class(cls: type) -> bool:
    return cls.__module__.split(".")[0] == "tinyfit"


def _own_variables(layer: Any) -> list:
    own = list(layer._tracked()[0])
    # Keras keeps a layer's trainable variables before its non-trainable ones (BatchNormalization:
    # gamma, beta, moving_mean, moving_variance), each in creation order.
    return [v for v in own if getattr(v, "trainable", True)] + [v for v in own if not getattr(v, "trainable", True)]


def _name_key(name: str) -> str:
    return f"~{name}" if name.startswith("_") else name  # private attributes last, as Keras sorts them


def _attributes(layer: Any) -> list[tuple[str, Any]]:
    """(name, value) of the attributes Keras's walk visits on the same class, in its order."""
    names = {name for name in layer.__dict__.get("_tracked_names", ()) if name not in _INTERNAL}
    for cls in type(layer).__mro__:
        if cls is object or _is_tinyfit_class(cls):
            continue
        # A property of the user's class (e.g. one giving a private sublayer a public name) counts too.
        names |= {name for name, value in vars(cls).items() if isinstance(value, property)}
    if isinstance(layer, _layers.registry.lookup("Model")):
        names.add("layers")
    found = []
    for name in sorted((n for n in names if not n.startswith("__")), key=_name_key):
        try:
            found.append((name, getattr(layer, name)))
        except Exception:  # as Keras: an attribute that cannot be read holds nothing to save
            continue
    return found


def weight_groups(model: Any) -> list[tuple[str, str, list]]:
    """[(group path, layer name, [variables])] of every layer in `model`, in Keras's layout."""
    groups: list[tuple[str, str, list]] = []
    seen: set[int] = set()

    def walk(layer: Any, path: str) -> None:
        if id(layer) in seen:  # a layer met twice is written once, where first met
            return
        seen.add(id(layer))
        structural = is_functional(layer) or is_sequential(layer)
        own = [] if structural else _own_variables(layer)
        groups.append((f"{path}vars", layer.name, own))
        if structural:
            container(keras_layers(layer), f"{path}layers/", set())
        elif not _is_tinyfit_class(type(layer)) or vars(type(layer)).get("keras_sublayer_names"):
            for name, value in _attributes(layer):
                child(value, f"{path}{name}/")
        elif layer._tracked()[1]:
            raise ValueError(
                f"Layer {layer.name!r} ({type(layer).__name__}) holds layers of its own under names Keras 3 "
                f"may not share, so its weights have no known place in Keras's HDF5 layout. Save in tinyfit's "
                f"own format: model.save('model.tinyfit') or model.save_weights('model.weights.tinyfit').")

    def child(value: Any, path: str) -> None:
        if isinstance(value, _layers.Layer):
            walk(value, path)
        elif isinstance(value, (list, tuple, dict)):
            container(value, path, set())

    def container(items: Any, path: str, visited: set[int]) -> None:
        if id(items) in visited:
            return
        visited.add(id(items))
        used: dict[str, int] = {}
        for item in (items.values() if isinstance(items, dict) else items):
            if isinstance(item, _layers.Layer):
                walk(item, f"{path}{unique_name(snake_case(keras_class_name(item)), used)}/")
            elif isinstance(item, (list, tuple, dict)):
                container(item, f"{path}{unique_name('container', used)}/", visited)

    walk(model, "")
    placed = {id(v) for _, _, variables in groups for v in variables}
    stray = [v.path for v in model.weights if id(v) not in placed and isinstance(v, Variable)]
    if stray:
        raise ValueError(
            f"Model {model.name!r}: the weights {stray[:5]} are not held by any layer or attribute Keras 3's "
            f"layout walks, so they have no place in its HDF5 file. Hold each sublayer and weight in an "
            f"attribute (or a list or dict in one), or save in tinyfit's own format: model.save('model.tinyfit').")
    return groups
