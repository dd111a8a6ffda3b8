"""Merge layers and their functional forms: values against NumPy, gradients, model use, errors."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.autograd.gradcheck import gradcheck

RNG = np.random.default_rng(0)
A, B, C = (RNG.normal(size=(3, 4)) for _ in range(3))

ELEMENTWISE = [
    (layers.Add, layers.add, lambda *xs: sum(xs)),
    (layers.Multiply, layers.multiply, lambda *xs: np.prod(xs, axis=0)),
    (layers.Average, layers.average, lambda *xs: np.mean(xs, axis=0)),
    (layers.Maximum, layers.maximum, lambda *xs: np.max(xs, axis=0)),
    (layers.Minimum, layers.minimum, lambda *xs: np.min(xs, axis=0)),
]


@pytest.mark.parametrize("cls, fn, reference", ELEMENTWISE)
def test_elementwise_merges_match_numpy_and_gradcheck(cls, fn, reference):
    np.testing.assert_allclose(cls(dtype="float64")([A, B, C]).numpy(), reference(A, B, C), atol=1e-12)
    np.testing.assert_allclose(fn([A, B], dtype="float64").numpy(), reference(A, B), atol=1e-12)
    gradcheck(lambda a, b, c: cls()([a, b, c]), [A, B, C])


def test_subtract_takes_exactly_two_inputs():
    np.testing.assert_allclose(layers.Subtract(dtype="float64")([A, B]).numpy(), A - B)
    np.testing.assert_allclose(layers.subtract([A, B], dtype="float64").numpy(), A - B)
    gradcheck(lambda a, b: layers.Subtract()([a, b]), [A, B])
    with pytest.raises(ValueError, match=r"Subtract 's' takes exactly 2 inputs, got 3 \(shapes \(3, 4\), \(3, 4\), "
                                         r"\(3, 4\)\)"):
        layers.Subtract(name="s")([A, B, C])


def test_a_size_of_one_broadcasts():
    out = layers.Add(dtype="float64")([A, A[:, :1]])
    np.testing.assert_allclose(out.numpy(), A + A[:, :1])
    assert layers.Add().compute_output_shape([(None, 4), (None, 1)]) == (None, 4)


def test_concatenate_joins_along_the_axis_and_gradchecks():
    x, y = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 1))
    np.testing.assert_allclose(layers.Concatenate(dtype="float64")([x, y]).numpy(), np.concatenate([x, y], -1))
    np.testing.assert_allclose(layers.concatenate([x, x], axis=1, dtype="float64").numpy(),
                               np.concatenate([x, x], 1))
    gradcheck(lambda a, b: layers.Concatenate()([a, b]), [x, y])
    layer = layers.Concatenate(axis=1)
    assert layer.compute_output_shape([(None, 3, 4), (None, 5, 4)]) == (None, 8, 4)
    assert layer.compute_output_shape([(None, None, 4), (None, 5, None)]) == (None, None, 4)
    assert layer.get_config()["axis"] == 1


def test_functional_forms_in_a_model_definition():
    a, b = keras.Input(shape=(4,), name="a"), keras.Input(shape=(4,), name="b")
    joined = layers.concatenate([layers.add([a, b]), layers.maximum([a, b]), layers.subtract([a, b])])
    assert joined.shape == (None, 12)
    model = keras.Model([a, b], joined)
    x, y = A.astype("float32"), B.astype("float32")
    np.testing.assert_allclose(model([x, y]).numpy(), np.concatenate([x + y, np.maximum(x, y), x - y], -1),
                               rtol=1e-6)


def test_integer_inputs_join_floating_ones_as_floats():
    out = layers.Add()([np.array([[1, 2]], dtype="int32"), np.array([[0.5, 0.5]], dtype="float32")])
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), [[1.5, 2.5]])


# ------------------------------------------------------------------ errors
def test_incompatible_shapes_are_named():
    with pytest.raises(ValueError, match=r"Add 'add_bad': inputs of shapes \(None, 3\), \(None, 4\) cannot be combined "
                                         r"element by element: axis 1 has sizes \[3, 4\]"):
        layers.Add(name="add_bad")([keras.Input(shape=(3,)), keras.Input(shape=(4,))])
    with pytest.raises(ValueError, match=r"Multiply 'm': inputs of shapes \(3, 4\), \(3, 4, 1\) have different ranks"):
        layers.Multiply(name="m")([A, A[..., None]])
    with pytest.raises(ValueError, match=r"Concatenate 'cat': inputs of shapes \(3, 2\), \(4, 2\) cannot be joined "
                                         r"along axis -1: axis 0 has sizes \[3, 4\]"):
        layers.Concatenate(name="cat")([np.ones((3, 2)), np.ones((4, 2))])
    with pytest.raises(ValueError, match=r"cannot be joined along axis 1: axis 2 has sizes \[3, 5\]"):
        layers.concatenate([keras.Input(shape=(2, 3)), keras.Input(shape=(2, 5))], axis=1)
    with pytest.raises(ValueError, match=r"axis 0 is the batch axis"):
        layers.Concatenate(axis=0)([A, B])


def test_a_merge_needs_a_list_of_tensors():
    with pytest.raises(ValueError, match=r"Add 'lonely' must be called on a list of tensors, e.g. Add\(\)\(\[a, b\]\)"):
        layers.Add(name="lonely")(A)
