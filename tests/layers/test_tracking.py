"""Weights and sub-layers recorded at assignment (tracking.py, tracked_containers.py): the
gathered tree is reused while nothing changed, and every kind of change is seen at once,
through nested layers, lists and dicts, by the weights, the losses and the layers lists;
a model changed between fits trains what it should."""

import numpy as np
import pytest

import tinyfit
from tinyfit import layers
from tinyfit.autograd.variable import Variable
from tinyfit.layers.tracked_containers import TrackedList
from tinyfit.utils import set_random_seed

X = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
Y = np.random.default_rng(1).normal(size=(8, 2)).astype("float32")


class Inner(layers.Layer):
    """A layer two levels down, holding a Dense and a weight of its own."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(2, kernel_regularizer="l2", name=f"{self.name}_dense")

    def build(self, input_shape):
        self.gain = self.add_weight(shape=(2,), initializer="ones", name="gain")

    def call(self, x):
        return self.dense(x) * self.gain


class Outer(tinyfit.Model):
    def __init__(self):
        super().__init__()
        self.inner = Inner(name="inner")
        self.blocks = [layers.Dense(2, name="block_0")]
        self.heads = {"a": layers.Dense(2, name="head_a")}

    def call(self, x):
        x = self.inner(x)
        for block in self.blocks:
            x = block(x)
        return self.heads["a"](x)


def _built_outer():
    set_random_seed(0)
    model = Outer()
    model(X)
    return model


def _paths(variables):
    return [v.path for v in variables]


def test_a_walk_is_reused_while_nothing_changes():
    model = _built_outer()
    first = model._gathered()
    model(X)  # calls set bookkeeping only: the walk stays
    _ = model.losses, model.trainable_weights, model.weights
    assert model._gathered() is first


def test_the_lists_handed_out_are_copies():
    model = _built_outer()
    weights = model.trainable_weights
    weights.clear()
    model._flatten_layers().clear()
    assert len(model.trainable_weights) == 7 and len(model._flatten_layers()) == 5


def test_flipping_trainable_on_a_nested_layer_is_seen():
    model = _built_outer()
    assert "inner_dense/kernel" in _paths(model.trainable_weights)
    model.inner.dense.trainable = False
    assert "inner_dense/kernel" not in _paths(model.trainable_weights)
    assert "inner_dense/kernel" in _paths(model.non_trainable_weights)
    assert model.losses == []  # a frozen weight's regularizer is no loss
    model.inner.dense.trainable = True
    assert "inner_dense/kernel" in _paths(model.trainable_weights) and len(model.losses) == 1


def test_flipping_a_variables_own_trainable_flag_is_seen():
    model = _built_outer()
    model.trainable_weights  # kept
    model.inner.gain.trainable = False
    assert "inner/gain" not in _paths(model.trainable_weights)


def test_an_attribute_set_after_first_use_is_seen_even_two_levels_down():
    model = _built_outer()
    model.inner.extra = layers.Dense(3, name="extra")
    model.inner.extra.build((None, 2))
    paths = _paths(model.weights)  # depth first: the inner layer's weights, then the blocks' and heads'
    assert paths[paths.index("inner_dense/bias") + 1:][:2] == ["extra/kernel", "extra/bias"]
    assert model.inner.extra in model._flatten_layers()
    model.inner.scale = Variable(np.ones(2, dtype="float32"), name="scale")  # a Variable attribute
    assert "scale" in _paths(model.trainable_weights)
    del model.inner.extra
    assert "extra/kernel" not in _paths(model.weights)


def test_lists_and_dicts_changed_in_place_are_seen():
    model = _built_outer()
    model.trainable_weights  # kept
    model.blocks.append(layers.Dense(2, name="block_1"))
    model.blocks[1].build((None, 2))
    assert _paths(model.weights)[-4:-2] == ["block_1/kernel", "block_1/bias"]
    model.blocks[0] = layers.Dense(2, name="block_0b")  # replaced in place (the old one may be freed)
    model.blocks[0].build((None, 2))
    assert "block_0/kernel" not in _paths(model.weights) and "block_0b/kernel" in _paths(model.weights)
    model.heads["b"] = layers.Dense(2, name="head_b")
    model.heads["b"].build((None, 2))
    assert _paths(model.weights)[-2:] == ["head_b/kernel", "head_b/bias"]
    model.heads["b"] = model.heads.pop("a")  # the same layers under other keys: same weights, new order
    assert _paths(model.weights)[-2:] == ["head_a/kernel", "head_a/bias"]


def test_add_weight_and_build_after_first_use_are_seen():
    holder = Outer()
    assert holder.weights == []  # nothing built yet: kept as such
    holder.inner.build((None, 3))  # the gain; the Dense inside is still unbuilt
    assert _paths(holder.weights) == ["inner/gain"]
    holder.inner.dense.build((None, 3))
    assert len(holder.weights) == 3
    holder.inner.bonus = holder.inner.add_weight(shape=(), name="bonus")
    assert "inner/bonus" in _paths(holder.weights)
    counter = holder.inner.add_weight(shape=(), name="counter", trainable=False)  # kept nowhere but the layer
    assert counter in holder.non_trainable_weights


def test_a_frozen_layer_stays_put_while_the_rest_trains_and_a_new_one_trains_too():
    for jit_compile in (False, "auto"):
        model = _built_outer()
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit_compile)
        model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
        model.inner.trainable = False
        frozen = [v.numpy().copy() for v in model.inner.weights]
        trained = model.heads["a"].kernel.numpy().copy()
        model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
        for value, v in zip(frozen, model.inner.weights):
            np.testing.assert_array_equal(v.numpy(), value)
        assert not np.array_equal(model.heads["a"].kernel.numpy(), trained)

        model.blocks.append(layers.Dense(2, name="late"))  # called by call() from now on
        model.compile(optimizer="sgd", loss="mse", jit_compile=jit_compile)  # an optimizer for the new weights
        model.fit(X, Y, batch_size=4, epochs=1, verbose=0)  # built on its first call, inside fit
        start = model.blocks[1].kernel.numpy().copy()
        model.fit(X, Y, batch_size=4, epochs=1, verbose=0)
        assert not np.array_equal(model.blocks[1].kernel.numpy(), start), jit_compile
        assert "late/kernel" in _paths(model.trainable_weights)


@pytest.mark.parametrize("change", ["trainable", "append", "attribute"])
def test_a_changed_model_trains_as_a_fresh_one_built_that_way(change):
    """After the change, the kept-walk model and an identical model built with the change
    from the start take the same training steps."""
    def make(changed_from_start):
        model = _built_outer()
        if not changed_from_start:
            model.trainable_weights  # the walk is kept before the change
        if change == "trainable":
            model.inner.dense.trainable = False
        elif change == "append":
            model.blocks.append(layers.Dense(2, name="more"))
            model.blocks[-1].build((None, 2))
        else:
            model.heads["a"].bias_scale = Variable(np.ones(2, dtype="float32"), name="bias_scale")
        model.compile(optimizer="sgd", loss="mse", jit_compile=False)
        return model

    fresh, kept = make(True), make(False)
    kept.set_weights(fresh.get_weights())
    for model in (fresh, kept):
        model.fit(X, Y, batch_size=4, epochs=2, verbose=0, shuffle=False)
    assert _paths(kept.trainable_weights) == _paths(fresh.trainable_weights)
    for a, b in zip(fresh.get_weights(), kept.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)


# ------------------------------------------------------------ recorded at assignment
class Blocks(layers.Layer):
    """Sub-layers held every way a layer can hold them, some added after the assignment."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.first = layers.Dense(2, name="first")
        self.blocks = []
        self.blocks.append(layers.Dense(2, name="b0"))  # filled after it was assigned
        self.blocks += [layers.Dense(2, name="b1")]
        self.table = {}
        self.table["t"] = layers.Dense(2, name="t")
        self.pair = ([layers.Dense(2, name="p0")], {"q": layers.Dense(2, name="q")})  # tracked inside a tuple
        self.pair[0].append(layers.Dense(2, name="p1"))
        self.pair[1]["r"] = layers.Dense(2, name="r")

    def call(self, x):
        for layer in self._flatten_layers(include_self=False):
            x = layer(x)
        return x


def _names(layer):
    return [sub.name for sub in layer._flatten_layers(include_self=False)]


def test_containers_filled_after_assignment_are_recorded_in_order():
    holder = Blocks()
    assert _names(holder) == ["first", "b0", "b1", "t", "p0", "p1", "q", "r"]
    holder(X)
    assert _paths(holder.weights) == [f"{n}/{w}" for n in _names(holder) for w in ("kernel", "bias")]
    assert isinstance(holder.blocks, list) and isinstance(holder.table, dict)
    assert holder.blocks == [holder.blocks[0], holder.blocks[1]] and list(holder.table) == ["t"]


@pytest.mark.parametrize("change, expected", [
    (lambda h: h.blocks.pop(), ["first", "b0", "t"]),
    (lambda h: h.blocks.remove(h.blocks[0]), ["first", "b1", "t"]),
    (lambda h: h.blocks.clear(), ["first", "t"]),
    (lambda h: h.blocks.reverse(), ["first", "b1", "b0", "t"]),
    (lambda h: h.blocks.sort(key=lambda layer: layer.name, reverse=True), ["first", "b1", "b0", "t"]),
    (lambda h: h.blocks.insert(0, layers.Dense(2, name="new")), ["first", "new", "b0", "b1", "t"]),
    (lambda h: h.blocks.extend([layers.Dense(2, name="new")]), ["first", "b0", "b1", "new", "t"]),
    (lambda h: h.blocks.__setitem__(slice(0, 2), [layers.Dense(2, name="new")]), ["first", "new", "t"]),
    (lambda h: h.blocks.__delitem__(0), ["first", "b1", "t"]),
    (lambda h: h.blocks.__imul__(0), ["first", "t"]),
    (lambda h: h.table.pop("t"), ["first", "b0", "b1"]),
    (lambda h: h.table.popitem(), ["first", "b0", "b1"]),
    (lambda h: h.table.__delitem__("t"), ["first", "b0", "b1"]),
    (lambda h: h.table.clear(), ["first", "b0", "b1"]),
    (lambda h: h.table.update(u=layers.Dense(2, name="new")), ["first", "b0", "b1", "t", "new"]),
    (lambda h: h.table.setdefault("u", layers.Dense(2, name="new")), ["first", "b0", "b1", "t", "new"]),
    (lambda h: h.table.__ior__({"u": layers.Dense(2, name="new")}), ["first", "b0", "b1", "t", "new"]),
    (lambda h: h.blocks.append([layers.Dense(2, name="new")]), ["first", "b0", "b1", "new", "t"]),
    (lambda h: h.blocks.append({"x": [layers.Dense(2, name="new")]}), ["first", "b0", "b1", "new", "t"]),
])
def test_every_change_to_a_held_list_or_dict_is_recorded(change, expected):
    class Small(layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(2, name="first")
            self.blocks = [layers.Dense(2, name="b0"), layers.Dense(2, name="b1")]
            self.table = {"t": layers.Dense(2, name="t")}

    holder = Small()
    outer = tinyfit.Sequential([holder])
    before = outer._gathered()
    change(holder)
    assert _names(holder) == expected
    assert outer._gathered() is not before and _names(outer)[1:] == expected


def test_a_list_inside_an_added_list_is_tracked_too():
    holder = Blocks()
    holder.blocks.append([])
    holder.blocks[-1].append(layers.Dense(2, name="deep"))  # a list added later, changed later
    assert _names(holder)[3] == "deep"


def test_reassigning_or_deleting_an_attribute_drops_what_it_held():
    holder = Blocks()
    holder(X)
    old = holder.first
    holder.first = layers.Dense(2, name="again")  # keeps its place among the attributes
    assert _names(holder)[0] == "again" and old not in holder._flatten_layers()
    assert "first/kernel" not in _paths(holder.weights)
    holder.blocks = None  # a list replaced by something holding nothing
    assert "b0" not in _names(holder)
    del holder.table
    assert "t" not in _names(holder)
    del holder.pair
    assert _names(holder) == ["again"]
    old.add_weight(shape=(), name="late")  # the dropped layer tells no one it held it any more
    assert "first/late" not in _paths(holder.weights)
    assert holder not in old._parents


def test_a_variable_assigned_as_an_attribute_is_a_weight_after_the_made_ones():
    layer = layers.Dense(2, name="dense_with_scale")
    layer.scale = Variable(np.ones(2, dtype="float32"), name="scale")
    layer.build((None, 3))
    assert _paths(layer.weights) == ["dense_with_scale/kernel", "dense_with_scale/bias", "scale"]
    layer.scales = [Variable(np.ones(1, dtype="float32"), name="in_list"), layer.scale]  # the second: once
    assert _paths(layer.weights)[-2:] == ["scale", "in_list"]
    layer.scale.trainable = False
    assert "scale" not in _paths(layer.trainable_weights)


def test_a_layer_held_many_ways_counts_once_where_first_met():
    shared = layers.Dense(2, name="shared")
    holder = Blocks()
    holder.blocks.insert(0, shared)
    holder.table["again"] = shared
    holder.also = shared
    holder.pair[0].append(shared)
    assert _names(holder).count("shared") == 1 and _names(holder)[1] == "shared"
    holder(X)
    assert _paths(holder.weights).count("shared/kernel") == 1


def test_nested_models_keep_the_order_of_a_depth_first_walk():
    inner = tinyfit.Sequential([layers.Dense(3, name="in_a"), layers.Dense(2, name="in_b")], name="inner_seq")
    inputs = tinyfit.Input((3,))
    outputs = layers.Dense(2, name="head")(inner(layers.Dense(3, name="stem")(inputs)))
    model = tinyfit.Model(inputs, outputs)
    assert [p.split("/")[0] for p in _paths(model.weights)] == ["stem", "stem", "in_a", "in_a", "in_b", "in_b",
                                                                 "head", "head"]
    before = _paths(model.trainable_weights)
    inner.layers[0].trainable = False  # two levels down
    assert _paths(model.trainable_weights) == [p for p in before if not p.startswith("in_a/")]
    model.set_weights(model.get_weights())


def test_a_layer_in_two_models_tells_both_and_an_unrelated_change_tells_neither():
    shared = layers.Dense(2, name="shared_between")
    first, second, other = Blocks(), Blocks(), Blocks()
    first.blocks.append(shared)
    second.table["s"] = shared
    kept = first._gathered(), second._gathered()
    other.first = layers.Dense(2)  # another tree: nothing to redo here
    other.first.build((None, 2))
    assert first._gathered() is kept[0] and second._gathered() is kept[1]
    shared.build((None, 2))
    assert "shared_between/kernel" in _paths(first.weights) and "shared_between/kernel" in _paths(second.weights)


def test_sublayers_assigned_before_layer_init_are_recorded():
    class Early(layers.Layer):
        def __init__(self):
            self.blocks = [layers.Dense(2, name="early")]
            super().__init__()

    assert _names(Early()) == ["early"]


def test_copies_of_a_tracked_list_are_plain_and_belong_to_no_layer():
    import copy
    import pickle
    holder = Blocks()
    names = [1, 2]
    holder.numbers = names
    for made in (copy.copy(holder.numbers), copy.deepcopy(holder.numbers), pickle.loads(pickle.dumps(holder.numbers)),
                 holder.numbers.copy(), holder.numbers + []):
        assert type(made) is list and made == [1, 2]
    assert type(copy.deepcopy(holder.table)) is dict
    names.append(layers.Dense(2))  # the list that was assigned is not the one the attribute keeps
    assert len(holder.numbers) == 2


@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_a_copied_layer_tracks_its_own_lists_and_tells_its_own_parents(how):
    import copy
    import pickle
    outer = tinyfit.Sequential([Blocks(name="copied")])
    outer(X)
    twin = pickle.loads(pickle.dumps(outer)) if how == "pickle" else copy.deepcopy(outer)
    inner = twin.layers[0]
    assert _paths(twin.weights) == _paths(outer.weights)
    assert isinstance(inner.blocks, TrackedList)
    before = len(outer.weights)
    inner.blocks.append(layers.Dense(2, name="only_in_twin"))
    inner.blocks[-1].build((None, 2))
    assert "only_in_twin/kernel" in _paths(twin.weights) and len(outer.weights) == before
