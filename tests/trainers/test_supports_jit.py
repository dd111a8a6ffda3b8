"""supports_jit: what jit_compile="auto" replays is what layers, losses, activations and
regularizers declare, tinyfit's own and a user's alike. A declared one is replayed with the
eager step's history and weights; one that declares nothing (a subclass included: it does not
inherit its parent's word) keeps the model eager, and describe() says why."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.trainers.vouched import supports_jit

RTOL, ATOL = 1e-5, 1e-6
N, FEATURES, CLASSES = 96, 6, 3


def blobs():
    rng = np.random.default_rng(0)
    y = rng.integers(0, CLASSES, N)
    centers = rng.standard_normal((CLASSES, FEATURES)).astype("float32") * 2
    return (centers[y] + 0.5 * rng.standard_normal((N, FEATURES))).astype("float32"), y.astype("int64")


def train(build, jit, loss="sparse_categorical_crossentropy"):
    """Trains the model `build()` makes from seed 3; returns (history, weights, model)."""
    keras.utils.set_random_seed(3)
    model = build()
    model.compile(optimizer="adam", loss=loss, metrics=["sparse_categorical_accuracy"], jit_compile=jit)
    history = model.fit(*blobs(), batch_size=16, epochs=2, verbose=0)
    return history.history, model.get_weights(), model


def how(model):
    """'replayed', or the reason the model runs eagerly."""
    described = model._compiled_step.describe()
    return described.get("model") or ("replayed" if "replayed" in described.values() else str(described))


def assert_same(eager, compiled):
    (h0, w0, _), (h1, w1, _) = eager, compiled
    assert h0.keys() == h1.keys()
    for key in h0:
        np.testing.assert_allclose(h1[key], h0[key], rtol=RTOL, atol=ATOL, err_msg=key)
    for a, b in zip(w0, w1):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- a user's layer
class Scale(layers.Layer):
    """x * w + b, feature by feature: the same ops whatever the values."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")
        self.b = self.add_weight(shape=(input_shape[-1],), initializer="zeros")

    def call(self, x):
        return ops.tanh(x * self.w + self.b)


class DeclaredScale(Scale):
    supports_jit = True


class DeclaredAtInit(Scale):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_jit = True


class UndeclaredChild(DeclaredScale):
    """Says nothing itself: its parent's declaration is not its own."""


class OwnDense(layers.Dense):
    """A subclass of a built-in layer that says nothing."""

    def __init__(self, units=4, **kwargs):
        super().__init__(units, **kwargs)


def with_layer(layer_class):
    def build():
        inputs = keras.Input(shape=(FEATURES,))
        x = layer_class()(layers.Dense(8, activation="relu")(inputs))
        return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))
    return build


@pytest.mark.parametrize("layer_class", [DeclaredScale, DeclaredAtInit])
def test_a_users_layer_that_declares_supports_jit_is_replayed_with_eagers_results(layer_class):
    eager, compiled = (train(with_layer(layer_class), jit) for jit in (False, "auto"))
    assert how(compiled[2]) == "replayed"
    assert_same(eager, compiled)


@pytest.mark.parametrize("layer_class", [Scale, UndeclaredChild, OwnDense])
def test_a_layer_that_does_not_declare_it_keeps_the_model_eager_and_says_why(layer_class):
    eager, compiled = (train(with_layer(layer_class), jit) for jit in (False, "auto"))
    reason = how(compiled[2])
    assert reason.startswith("eager:") and f"({layer_class.__name__})" in reason
    assert "is not one of tinyfit's value-independent layers" in reason and "supports_jit = True" in reason
    assert_same(eager, compiled)


# ---------------------------------------------------------------- a user's loss
def my_crossentropy(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


def declared_crossentropy(y_true, y_pred):
    return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


declared_crossentropy.supports_jit = True


class DeclaredLoss(keras.losses.Loss):
    supports_jit = True

    def call(self, y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)


class UndeclaredLoss(DeclaredLoss):
    """Says nothing itself."""


class OwnCrossentropy(keras.losses.SparseCategoricalCrossentropy):
    """A subclass of a built-in loss that says nothing."""


def mlp():
    inputs = keras.Input(shape=(FEATURES,))
    return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(layers.Dense(8)(inputs)))


@pytest.mark.parametrize("loss", [declared_crossentropy, DeclaredLoss, keras.losses.LossFunctionWrapper])
def test_a_users_loss_that_declares_supports_jit_is_replayed_with_eagers_results(loss):
    make = {keras.losses.LossFunctionWrapper: lambda: keras.losses.LossFunctionWrapper(declared_crossentropy),
            DeclaredLoss: DeclaredLoss}.get(loss, lambda: loss)
    eager, compiled = (train(mlp, jit, loss=make()) for jit in (False, "auto"))
    assert how(compiled[2]) == "replayed"
    assert_same(eager, compiled)


@pytest.mark.parametrize("loss, name", [
    (my_crossentropy, "my_crossentropy"), (UndeclaredLoss, "undeclared_loss"),
    (OwnCrossentropy, "sparse_categorical_crossentropy"),
    (lambda: keras.losses.LossFunctionWrapper(my_crossentropy), "my_crossentropy"),
])
def test_a_loss_that_does_not_declare_it_keeps_the_model_eager_and_says_why(loss, name):
    make = loss if isinstance(loss, type) or loss.__name__ == "<lambda>" else (lambda: loss)
    eager, compiled = (train(mlp, jit, loss=make()) for jit in (False, "auto"))
    assert how(compiled[2]) == f"eager: the loss {name!r} is not one of tinyfit's own: it does not declare " \
                               "supports_jit = True"
    assert_same(eager, compiled)


# ---------------------------------------------------------------- activations and regularizers
def my_swish(x):
    return x * ops.sigmoid(x)


def declared_swish(x):
    return x * ops.sigmoid(x)


declared_swish.supports_jit = True


class DeclaredL2(keras.regularizers.Regularizer):
    supports_jit = True

    def __call__(self, x):
        return ops.sum(ops.square(x)) * 0.01


class UndeclaredL2(DeclaredL2):
    """Says nothing itself."""


def dense_with(**kwargs):
    def build():
        inputs = keras.Input(shape=(FEATURES,))
        x = layers.Dense(8, **kwargs)(inputs)
        return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))
    return build


@pytest.mark.parametrize("kwargs", [
    {"activation": declared_swish}, {"kernel_regularizer": DeclaredL2()}, {"activity_regularizer": DeclaredL2()},
])
def test_a_users_activation_or_regularizer_that_declares_it_is_replayed_with_eagers_results(kwargs):
    eager, compiled = (train(dense_with(**kwargs), jit) for jit in (False, "auto"))
    assert how(compiled[2]) == "replayed"
    assert_same(eager, compiled)


@pytest.mark.parametrize("kwargs, what", [
    ({"activation": my_swish}, "an activation"), ({"kernel_regularizer": UndeclaredL2()}, "a regularizer"),
    ({"activity_regularizer": UndeclaredL2()}, "an activity regularizer"),
])
def test_an_activation_or_regularizer_that_does_not_declare_it_keeps_the_model_eager(kwargs, what):
    eager, compiled = (train(dense_with(**kwargs), jit) for jit in (False, "auto"))
    assert how(compiled[2]).endswith(f"has {what} tinyfit does not know: it does not declare supports_jit = True")
    assert_same(eager, compiled)


# ---------------------------------------------------------------- the rule itself
def test_tinyfits_own_declare_it_and_the_bases_do_not():
    assert supports_jit(layers.Dense(2))
    for name in ("relu", "swish", "gelu", "softmax", "linear"):
        assert supports_jit(keras.activations.get(name)), name
    for regularizer in ("l1", "l2", "l1_l2"):
        assert supports_jit(keras.regularizers.get(regularizer)), regularizer
    for name in keras.losses.__all__:
        value = getattr(keras.losses, name)
        if name in ("Loss", "get", "serialize", "deserialize"):
            continue
        if name == "LossFunctionWrapper":
            value = value(keras.losses.hinge)
        assert supports_jit(value() if isinstance(value, type) else value), name
    assert keras.layers.Layer.supports_jit is False and keras.losses.Loss.supports_jit is False
    assert keras.regularizers.Regularizer.supports_jit is False
    assert not supports_jit(layers.Lambda(lambda x: x)) and not supports_jit(OwnDense(2))
    assert not supports_jit(my_swish) and not supports_jit(lambda x: x)
