"""ReLU, LeakyReLU, PReLU, ELU, Softmax: values against NumPy and real Keras 3, gradients, shapes,
configs, a training step in a functional model, and the refusals."""

import json

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck


def np_softmax(x, axis):
    shifted = np.exp(x - x.max(axis=axis, keepdims=True))
    return shifted / shifted.sum(axis=axis, keepdims=True)


def np_relu(x, max_value=None, negative_slope=0.0, threshold=0.0):
    """Piece by piece, as the Keras docs state the formula."""
    out = np.where(x > threshold, x, negative_slope * (x - threshold))
    return out if max_value is None else np.where(x >= max_value, max_value, out)


# (tinyfit class, arguments, NumPy reference written from the documented formula)
CASES = [
    ("ReLU", {}, lambda x: np.maximum(x, 0)),
    ("ReLU", dict(max_value=1.0), lambda x: np_relu(x, max_value=1.0)),
    ("ReLU", dict(negative_slope=0.1, threshold=0.5, max_value=1.5),
     lambda x: np_relu(x, 1.5, 0.1, 0.5)),
    ("LeakyReLU", {}, lambda x: np.where(x > 0, x, 0.3 * x)),
    ("LeakyReLU", dict(negative_slope=0.05), lambda x: np.where(x > 0, x, 0.05 * x)),
    ("ELU", {}, lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0)))),
    ("ELU", dict(alpha=0.5), lambda x: np.where(x > 0, x, 0.5 * np.expm1(np.minimum(x, 0)))),
    ("Softmax", {}, lambda x: np_softmax(x, -1)),
    ("Softmax", dict(axis=1), lambda x: np_softmax(x, 1)),
    ("Softmax", dict(axis=(1, 2)), lambda x: np_softmax(x, (1, 2))),
]
IDS = [f"{name}-{kwargs}" for name, kwargs, _ in CASES]


def sample(shape=(3, 4, 5), seed=0):
    return np.random.default_rng(seed).normal(scale=1.5, size=shape)


@pytest.mark.parametrize("name, kwargs, reference", CASES, ids=IDS)
def test_values_match_the_formula_and_gradients_check(name, kwargs, reference):
    layer = getattr(layers, name)(dtype="float64", **kwargs)
    x = sample()
    np.testing.assert_allclose(layer(x).numpy(), reference(x), rtol=1e-12, atol=1e-12)
    gradcheck(layer, [x])


@pytest.mark.parametrize("name, kwargs, reference", CASES, ids=IDS)
def test_values_match_keras_3(keras3, name, kwargs, reference):
    x = sample().astype("float32")
    ours = getattr(layers, name)(**kwargs)(x).numpy()
    theirs = np.asarray(getattr(keras3.layers, name)(**kwargs)(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("shared_axes", [None, [1], [1, 2], 2])
def test_prelu_learns_one_slope_per_unshared_entry(shared_axes):
    layer = layers.PReLU(shared_axes=shared_axes, dtype="float64")
    x = sample((2, 3, 4))
    out = layer(x)
    shared = [] if shared_axes is None else np.atleast_1d(shared_axes).tolist()
    assert layer.alpha.shape == tuple(1 if axis in shared else n for axis, n in enumerate(x.shape) if axis)
    np.testing.assert_array_equal(out.numpy(), np.maximum(x, 0))  # alpha starts at zero: a ReLU
    alpha = np.random.default_rng(3).uniform(0.1, 0.9, size=layer.alpha.shape)
    layer.set_weights([alpha])
    np.testing.assert_allclose(layer(x).numpy(), np.where(x >= 0, x, alpha[None] * x), rtol=1e-12)
    gradcheck(layer, [x])


def test_prelu_gradient_reaches_alpha():
    layer = layers.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1], dtype="float64")
    x = sample((2, 3, 4))
    layer(x).sum().backward()
    # d/d alpha_c = sum of the negative inputs of channel c (alpha is shared along axis 1)
    np.testing.assert_allclose(layer.alpha.grad, np.minimum(x, 0).sum(axis=(0, 1))[None], rtol=1e-12)


def test_prelu_matches_keras_3_with_the_same_alpha(keras3):
    x = sample((2, 3, 4)).astype("float32")
    alpha = np.random.default_rng(5).uniform(0, 1, size=(1, 4)).astype("float32")
    ours, theirs = layers.PReLU(shared_axes=[1]), keras3.layers.PReLU(shared_axes=[1])
    ours.build(x.shape)
    theirs.build(x.shape)
    ours.set_weights([alpha])
    theirs.set_weights([alpha])
    np.testing.assert_allclose(ours(x).numpy(), np.asarray(theirs(x)), rtol=1e-6)


MASKS = [
    np.array([[True, False, True, True, False]]).repeat(3, axis=0)[:, None, :].repeat(4, axis=1),
    np.random.default_rng(2).uniform(size=(3, 1, 5)),  # floats: > 0.5 counts; broadcast over axis 1
    np.array([True, True, False, True, True]),  # one mask for every row
]


@pytest.mark.parametrize("mask", MASKS, ids=["bool", "float-broadcast", "1d"])
def test_softmax_mask_gives_masked_positions_zero_and_matches_keras(keras3, mask):
    x = sample().astype("float32")
    out = layers.Softmax()(x, mask=mask).numpy()
    keep = np.broadcast_to(np.asarray(mask) > 0.5 if mask.dtype.kind == "f" else mask, x.shape)
    assert np.all(out[~keep] == 0)
    # The unmasked positions share all the probability, as a softmax over them alone.
    expected = np.where(keep, np.exp(x - x.max(axis=-1, keepdims=True)), 0)
    with np.errstate(invalid="ignore"):
        expected = np.nan_to_num(expected / expected.sum(axis=-1, keepdims=True))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(out, np.asarray(keras3.layers.Softmax()(x, mask=mask)), rtol=1e-5, atol=1e-7)


def test_softmax_mask_is_stable_in_float32_and_a_fully_masked_row_is_zero():
    x = np.array([[1e4, -1e4, 3e4], [5.0, 6.0, 7.0]], dtype="float32")
    mask = np.array([[True, True, False], [False, False, False]])
    out = layers.Softmax()(x, mask=mask).numpy()
    assert out.dtype == np.float32 and np.isfinite(out).all()
    np.testing.assert_array_equal(out, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_softmax_mask_gradcheck():
    x = sample((2, 5))
    mask = np.array([[1, 0, 1, 1, 0], [0, 1, 1, 1, 1]], dtype=bool)
    layer = layers.Softmax(dtype="float64")
    gradcheck(lambda x: layer(x, mask=mask), [x])
    x_tensor = keras.Tensor(x, requires_grad=True, dtype="float64")
    layer(x_tensor, mask=mask).sum().backward()
    np.testing.assert_array_equal(x_tensor.grad[~mask], 0)  # masked scores have no say


def test_softmax_with_a_mask_in_a_functional_model():
    scores = keras.Input(shape=(5,))
    mask = keras.Input(shape=(5,), dtype="bool")
    model = keras.Model([scores, mask], layers.Softmax()(scores, mask=mask))
    x = sample((2, 5)).astype("float32")
    m = np.array([[1, 1, 0, 0, 1], [0, 1, 1, 1, 1]], dtype=bool)
    np.testing.assert_allclose(model.predict([x, m], verbose=0), layers.Softmax()(x, mask=m).numpy(), rtol=1e-6)


LAYERS = [
    lambda: layers.ReLU(max_value=6.0, negative_slope=0.01, threshold=0.1),
    lambda: layers.LeakyReLU(0.2),
    lambda: layers.PReLU(alpha_initializer="constant", alpha_regularizer="l2", shared_axes=[1]),
    lambda: layers.ELU(0.7),
    lambda: layers.Softmax(axis=(1, 2)),
]


@pytest.mark.parametrize("make", LAYERS, ids=["ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"])
def test_symbolic_shape_config_round_trip_and_one_training_step(make, train_one_step):
    layer = make()
    symbolic = layer(keras.Input(shape=(3, 4)))
    assert symbolic.shape == (None, 3, 4) and symbolic.dtype == "float32"
    assert layer.compute_output_shape((None, 3, 4)) == (None, 3, 4)
    config = layer.get_config()
    again = type(layer).from_config(json.loads(json.dumps(config)))
    assert again.get_config() == config
    model, x = train_one_step(make(), (3, 4))
    if isinstance(layer, layers.PReLU):
        prelu = next(l for l in model.layers if isinstance(l, layers.PReLU))
        assert prelu.alpha.shape == (1, 4) and len(model.losses) == 1  # the l2 penalty on alpha


def test_defaults_and_configs_are_keras_3s():
    assert layers.LeakyReLU().negative_slope == 0.3
    assert layers.ReLU().get_config() | {"name": None} == {
        "name": None, "trainable": True, "dtype": "float32", "max_value": None, "negative_slope": 0.0,
        "threshold": 0.0}
    prelu = layers.PReLU().get_config()
    assert prelu["alpha_initializer"]["class_name"] == "Zeros"
    assert (prelu["alpha_regularizer"], prelu["alpha_constraint"], prelu["shared_axes"]) == (None, None, None)
    assert layers.Softmax().get_config()["axis"] == -1 and layers.ELU().get_config()["alpha"] == 1.0


def test_numpy_numbers_are_accepted_and_saved_as_plain_floats():
    layer = layers.ReLU(max_value=np.float32(6), negative_slope=np.float16(0.5), threshold=np.int64(1))
    config = layer.get_config()
    assert (config["max_value"], config["negative_slope"], config["threshold"]) == (6.0, 0.5, 1.0)
    assert type(config["max_value"]) is float and json.loads(json.dumps(config)) == config
    assert layers.ELU(np.float32(0.5)).alpha == 0.5 and layers.LeakyReLU(np.float64(0.1)).negative_slope == 0.1


def test_leaky_relu_accepts_the_old_alpha_name_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1


def test_integer_inputs_become_floats():
    out = layers.ReLU()(np.array([[-2, 3]]))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[0.0, 3.0]])


@pytest.mark.parametrize("make, message", [
    (lambda: layers.ReLU(max_value=-1), r"ReLU: max_value must be a number >= 0, got -1"),
    (lambda: layers.ReLU(negative_slope=-0.1), r"negative_slope must be a number >= 0, got -0.1"),
    (lambda: layers.ReLU(threshold=None), r"threshold must be a number >= 0, got None"),
    (lambda: layers.LeakyReLU(negative_slope=-0.3), r"LeakyReLU: negative_slope must be a number >= 0"),
    (lambda: layers.ELU(alpha="big"), r"ELU: alpha must be a number, got 'big'"),
    (lambda: layers.PReLU(shared_axes=[0]), r"shared_axes must be an int or a list of ints >= 1.*got \[0\]"),
])
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_prelu_refusals_name_the_fix():
    with pytest.raises(NotImplementedError, match="alpha_constraint is not supported"):
        layers.PReLU(alpha_constraint="non_neg")
    with pytest.raises(ValueError, match=r"shared_axes \[3\] name axis 3, but inputs of shape \(2, 3, 4\)"):
        layers.PReLU(shared_axes=3)(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"axis 1 of the input shape \(None, None, 4\) is unknown.*"
                                         r"shared_axes=\[1\]"):
        layers.PReLU()(keras.Input(shape=(None, 4)))


def test_softmax_mask_that_does_not_broadcast_names_both_shapes():
    with pytest.raises(ValueError, match=r"mask shape \(3,\) for inputs of shape \(2, 5\)"):
        layers.Softmax()(np.zeros((2, 5)), mask=np.ones(3, bool))
