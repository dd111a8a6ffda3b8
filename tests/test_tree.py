"""tinyfit.tree: one way to walk nested structures, with None a leaf or an absent value by choice."""

from collections import OrderedDict

import numpy as np
import pytest

import tinyfit
import tinyfit.data
from tinyfit.tree import flatten, map_structure

NESTED = {"a": [1, 2], "b": (3, None), "c": 4}


def test_flatten_walks_lists_tuples_and_dicts_in_order():
    assert flatten([[1, 2, 3], [4, [5], [[6]]]]) == [1, 2, 3, 4, 5, 6]
    # dicts in the order they were written (not sorted by key)
    assert flatten({"z": 1, "a": 2}) == [1, 2]
    assert flatten(OrderedDict([("b", [1]), ("a", (2, 3))])) == [1, 2, 3]
    array = np.ones((2, 3))
    assert flatten(array)[0] is array  # an array is one leaf, not a sequence of rows
    assert flatten("text") == ["text"]


@pytest.mark.parametrize("none_is_leaf, leaves, mapped", [
    (True, [1, 2, 3, None, 4], {"a": [10, 20], "b": (30, "None!"), "c": 40}),
    (False, [1, 2, 3, 4], {"a": [10, 20], "b": (30, None), "c": 40}),
])
def test_none_is_a_leaf_or_an_absent_value_as_asked(none_is_leaf, leaves, mapped):
    def times_ten(v):
        return "None!" if v is None else v * 10

    assert flatten(NESTED, none_is_leaf=none_is_leaf) == leaves
    assert map_structure(times_ten, NESTED, none_is_leaf=none_is_leaf) == mapped


def test_the_default_keeps_none_as_a_leaf_as_keras_does():
    assert flatten(None) == [None]
    seen = []
    assert map_structure(lambda v: seen.append(v) or "x", None) == "x"
    assert seen == [None]
    assert flatten(None, none_is_leaf=False) == []
    assert map_structure(lambda v: pytest.fail("fn saw an absent value"), None, none_is_leaf=False) is None


def test_map_structure_keeps_container_types():
    out = map_structure(lambda v: v + 1, ([1, (2, 3)], {"k": 4}))
    assert out == ([2, (3, 4)], {"k": 5})
    assert type(out) is tuple and type(out[0]) is list and type(out[0][1]) is tuple
    ordered = map_structure(str, OrderedDict([("b", 1), ("a", 2)]))
    assert list(ordered) == ["b", "a"]


def test_flatten_and_map_structure_line_up():
    # The use in layers and models: leaves computed from a flat list are put back in place.
    structure = {"out": [np.zeros(1), None], "aux": (np.ones(2),)}
    leaves = iter(range(len(flatten(structure))))
    numbered = map_structure(lambda _: next(leaves), structure)
    assert numbered == {"out": [0, 1], "aux": (2,)}


def test_one_module_for_structures():
    # The twins are gone: every flatten/map_structure a tinyfit module holds is tinyfit.tree's.
    import importlib
    import pkgutil

    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("tinyfit.layers.tree")
    found = 0
    for info in pkgutil.walk_packages(tinyfit.__path__, "tinyfit."):
        module = importlib.import_module(info.name)
        for name in ("flatten", "map_structure"):
            fn = getattr(module, name, None)
            if callable(fn) and not isinstance(fn, type):
                assert fn.__module__ == "tinyfit.tree", f"{info.name}.{name} is defined in {fn.__module__}"
                found += 1
    assert found >= 8  # layers, models, trainers and data all use it
    assert not {"flatten", "map_structure"} & set(tinyfit.data.__all__)


def test_tree_is_exported_where_keras_puts_it():
    import tinyfit as keras

    assert "tree" in keras.__all__
    assert keras.tree.__all__ == ["flatten", "map_structure"]
    assert keras.tree.flatten([[1], {"k": (2, 3)}]) == [1, 2, 3]
