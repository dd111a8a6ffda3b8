"""Activations: values against NumPy formulas, gradients against finite differences,
lookup by name, serialization, and the unknown-name error."""

import math

import numpy as np
import pytest

import tinyfit
from tinyfit import activations
from tinyfit.autograd.gradcheck import gradcheck

X = np.array([-30.0, -3.0, -1.0, -0.25, 0.5, 1.0, 2.5, 30.0])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _erf(x):
    return np.vectorize(math.erf)(x)


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


REFERENCES = {
    "relu": lambda x: np.maximum(x, 0),
    "relu6": lambda x: np.clip(x, 0, 6),
    "leaky_relu": lambda x: np.where(x > 0, x, 0.2 * x),
    "elu": lambda x: np.where(x > 0, x, np.expm1(np.minimum(x, 0))),
    "selu": lambda x: 1.0507009873554805 * np.where(x > 0, x, 1.6732632423543772 * np.expm1(np.minimum(x, 0))),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6 + 0.5, 0, 1),
    "tanh": np.tanh,
    "softplus": _softplus,
    "softsign": lambda x: x / (1 + np.abs(x)),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
    "gelu": lambda x: 0.5 * x * (1 + _erf(x / np.sqrt(2))),
    "exponential": np.exp,
    "linear": lambda x: x,
}


def test_activations_all_is_pinned():
    assert activations.__all__ == [
        "relu", "relu6", "leaky_relu", "elu", "selu", "sigmoid", "hard_sigmoid", "tanh",
        "softplus", "softsign", "silu", "swish", "mish", "gelu", "exponential", "linear",
        "softmax", "log_softmax", "get", "serialize", "deserialize", "register", "names",
    ]


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_values_match_numpy(name):
    x = X if name != "exponential" else X / 10
    out = activations.get(name)(tinyfit.Tensor(x, dtype="float64"))
    np.testing.assert_allclose(np.asarray(out), REFERENCES[name](x), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", sorted(set(REFERENCES) - {"linear"}))
def test_gradients_match_finite_differences(name):
    # Away from the kinks (0 for relu-likes, 6 for relu6, +-3 for hard_sigmoid).
    x = np.array([-2.3, -0.7, 0.4, 1.3, 2.2])
    gradcheck(activations.get(name), [x], atol=1e-5, rtol=1e-4)


def test_elu_gradient_stays_finite_for_large_inputs():
    x = tinyfit.Tensor([100.0, -100.0], requires_grad=True)
    tinyfit.ops.sum(activations.elu(x)).backward()
    np.testing.assert_allclose(x.grad, [1.0, 0.0], atol=1e-6)


def test_relu_options_follow_keras():
    x = tinyfit.Tensor(np.array([-2.0, -0.5, 0.5, 2.0, 8.0]))
    np.testing.assert_allclose(activations.relu(x, max_value=1.0).numpy(), [0, 0, 0.5, 1, 1])
    np.testing.assert_allclose(activations.relu(x, negative_slope=0.1).numpy(), [-0.2, -0.05, 0.5, 2, 8])
    np.testing.assert_allclose(activations.relu(x, threshold=1.0).numpy(), [0, 0, 0, 2, 8])


def test_gelu_approximation_is_close_to_the_exact_value():
    x = tinyfit.Tensor(np.linspace(-4, 4, 41), dtype="float64")
    exact = activations.gelu(x).numpy()
    approx = activations.gelu(x, approximate=True).numpy()
    np.testing.assert_allclose(exact, REFERENCES["gelu"](x.numpy()), rtol=2e-7, atol=1e-300)
    assert np.max(np.abs(exact - approx)) < 1e-3


def test_softmax_and_log_softmax_on_an_axis():
    x = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 1000.0]])
    expected = np.exp(x - x.max(-1, keepdims=True))
    expected /= expected.sum(-1, keepdims=True)
    out = activations.softmax(tinyfit.Tensor(x, dtype="float64"))
    np.testing.assert_allclose(out.numpy(), expected)
    shifted = x - x.max(-1, keepdims=True)
    log_expected = shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))
    np.testing.assert_allclose(activations.log_softmax(tinyfit.Tensor(x, dtype="float64")).numpy(), log_expected)
    along_0 = activations.softmax(tinyfit.Tensor(x, dtype="float64"), axis=0).numpy()
    np.testing.assert_allclose(along_0.sum(axis=0), np.ones(3))


def test_get_accepts_none_names_dicts_and_functions():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh

    def mine(x):
        return x

    assert activations.get(mine) is mine


def test_unknown_name_error_suggests_and_lists_names():
    with pytest.raises(ValueError, match=r"Unknown activation 'sigmod'\. Did you mean 'sigmoid'\? Known activation"
                                         r" names: elu, exponential, gelu"):
        activations.get("sigmod")
    with pytest.raises(TypeError, match="Could not interpret activation identifier 3"):
        activations.get(3)


def test_serialize_round_trips_through_get():
    for name in activations.names():
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn


def test_register_makes_a_function_available_by_name():
    @activations.register("test_double")
    def double(x):
        return x * 2

    assert activations.get("test_double") is double
    assert activations.serialize(double) == "test_double"
