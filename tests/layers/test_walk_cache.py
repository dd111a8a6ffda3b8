"""Kept walks over a layer tree (walk_cache.py): reused while nothing changed, and every kind
of change seen at once, through nested layers, lists and dicts, by the weights, the losses
and the layers lists; a model changed between fits trains what it should."""

import numpy as np
import pytest

import tinyfit
from tinyfit import layers
from tinyfit.autograd.variable import Variable
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
    first = model._walked()
    model(X)  # calls set bookkeeping only: the walk stays
    _ = model.losses, model.trainable_weights, model.weights
    assert model._walked() is first


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
