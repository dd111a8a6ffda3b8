"""Dot and dot: values against a loop over samples and real Keras 3, gradients, cosine similarity,
symbolic shapes, configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck

# (axes, shape of x, shape of y)
CASES = [
    (1, (3, 4), (3, 4)),
    (-1, (2, 3, 4), (2, 5, 4)),
    ((2, 1), (2, 3, 4), (2, 4, 5)),
    ((1, 2), (2, 3, 4), (2, 5, 3)),
    ((1, -1), (2, 4), (2, 3, 4)),
]


def loop_dot(x, y, axes, normalize=False):
    """Sample by sample, np.tensordot over the two axes (counted within the sample)."""
    a, b = ((axes, axes) if isinstance(axes, int) else axes)
    a, b = a % x.ndim, b % y.ndim
    if normalize:
        x = x / np.linalg.norm(x, axis=a, keepdims=True)
        y = y / np.linalg.norm(y, axis=b, keepdims=True)
    out = np.stack([np.tensordot(xs, ys, axes=(a - 1, b - 1)) for xs, ys in zip(x, y)])
    return out[:, None] if out.ndim == 1 else out


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("axes, x_shape, y_shape", CASES)
def test_dot_matches_a_loop_over_samples_and_gradchecks(axes, x_shape, y_shape, normalize):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=x_shape), rng.normal(size=y_shape)
    layer = layers.Dot(axes, normalize=normalize, dtype="float64")
    out = layer([x, y])
    np.testing.assert_allclose(out.numpy(), loop_dot(x, y, axes, normalize), rtol=1e-12)
    assert out.shape == layer.compute_output_shape([x_shape, y_shape])
    gradcheck(lambda a, b: layer([a, b]), [x, y])


def test_normalized_dot_of_vectors_is_their_cosine():
    x = np.array([[1.0, 0.0], [3.0, 4.0]], "float32")
    y = np.array([[2.0, 0.0], [-3.0, -4.0]], "float32")
    np.testing.assert_allclose(layers.dot([x, y], axes=1, normalize=True).numpy(), [[1.0], [-1.0]], rtol=1e-6)


@pytest.mark.parametrize("normalize", [False, True])
@pytest.mark.parametrize("axes, x_shape, y_shape", CASES)
def test_dot_matches_keras_3(keras3, axes, x_shape, y_shape, normalize):
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=x_shape).astype("float32"), rng.normal(size=y_shape).astype("float32")
    ours, theirs = layers.Dot(axes, normalize=normalize), keras3.layers.Dot(axes, normalize=normalize)
    np.testing.assert_allclose(ours([x, y]).numpy(), np.asarray(theirs([x, y])), rtol=1e-5, atol=1e-6)
    shapes = [(None,) + x_shape[1:], (None,) + y_shape[1:]]
    assert ours.compute_output_shape(shapes) == tuple(theirs.compute_output_shape(shapes))
    assert {k: ours.get_config()[k] for k in ("axes", "normalize")} == \
        {k: theirs.get_config()[k] for k in ("axes", "normalize")}


def test_dot_in_a_functional_model_trains_and_round_trips():
    rng = np.random.default_rng(2)
    a, b = keras.Input(shape=(6,)), keras.Input(shape=(6,))
    similarity = layers.dot([layers.Dense(4, name="left")(a), layers.Dense(4)(b)], axes=1, normalize=True)
    assert similarity.shape == (None, 1)
    model = keras.Model([a, b], layers.Dense(1)(similarity))
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    x = [rng.normal(size=(8, 6)).astype("float32") for _ in range(2)]
    y = rng.normal(size=(8, 1)).astype("float32")
    before = model.get_layer("left").get_weights()[0].copy()
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert not np.allclose(model.get_layer("left").get_weights()[0], before)
    rebuilt = keras.Model.from_config(json.loads(json.dumps(model.get_config())))
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)
    layer = [l for l in model.layers if isinstance(l, layers.Dot)][0]
    assert layer.get_config()["axes"] == 1 and layer.get_config()["normalize"] is True


def test_symbolic_shapes_with_unknown_sizes():
    x, y = keras.Input(shape=(None, 4)), keras.Input(shape=(4, 7))
    assert layers.Dot((2, 1))([x, y]).shape == (None, None, 7)


@pytest.mark.parametrize("make_layer, message", [
    (lambda: layers.Dot((1, 2, 3)), r"axes must be an int or a pair of ints .*got \(1, 2, 3\)"),
    (lambda: layers.Dot("1"), r"axes must be an int or a pair of ints"),
])
def test_bad_axes_are_named(make_layer, message):
    with pytest.raises(ValueError, match=message):
        make_layer()


@pytest.mark.parametrize("axes, shapes, message", [
    (1, [(2, 3), (2, 4)], r"differ in size along the axes to multiply: 3 \(axis 1 of the first\) != 4"),
    (0, [(2, 3), (2, 3)], r"axis 0 must be in 1..1 .*axis 0 is the batch"),
    ((1, 3), [(2, 3), (2, 3)], r"axis 3 must be in 1..1"),
])
def test_shapes_that_do_not_fit_are_named(axes, shapes, message):
    with pytest.raises(ValueError, match=message):
        layers.Dot(axes)([np.ones(s, "float32") for s in shapes])


def test_dot_takes_exactly_two_inputs():
    with pytest.raises(ValueError, match=r"takes exactly 2 inputs, got 3"):
        layers.Dot(1)([np.ones((2, 3), "float32")] * 3)
