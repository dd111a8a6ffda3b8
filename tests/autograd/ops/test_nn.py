"""Behaviour of the nn ops: softmax, log-softmax, the cross-entropies and one-hot.

Values are checked against plain-NumPy formulas written out here and against
numbers Keras documents; every gradient is checked by finite differences.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit.autograd import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops import nn

SMALL = settings(max_examples=20, deadline=None)
EPS = 1e-7


# ------------------------------------------------------------ references
def naive_log_softmax(x, axis):
    """Straight from the definition (no max shift): fine for the moderate logits drawn here."""
    return np.log(np.exp(x) / np.exp(x).sum(axis=axis, keepdims=True))


def naive_one_hot(labels, num_classes, axis):
    out = np.zeros(labels.shape + (num_classes,))
    for position in np.ndindex(labels.shape):
        out[position + (int(labels[position]),)] = 1.0
    return np.moveaxis(out, -1, axis)


def keras_probability_log(p, axis):
    """Keras's path for probabilities: rescale to sum 1, clip to [eps, 1 - eps], log."""
    p = p / p.sum(axis=axis, keepdims=True)
    return np.log(np.clip(p, EPS, 1 - EPS))


@st.composite
def classified(draw, min_classes=1):
    """(array of logits in float64, the class axis, integer labels along it)."""
    ndim = draw(st.integers(1, 3))
    shape = tuple(draw(st.integers(1, 4)) for _ in range(ndim))
    axis = draw(st.integers(-ndim, ndim - 1))
    shape = list(shape)
    shape[axis] = max(shape[axis], min_classes)
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal(shape) * 2
    label_shape = tuple(n for i, n in enumerate(shape) if i != axis % ndim)
    labels = rng.integers(0, shape[axis], label_shape)
    return x, axis, labels


# --------------------------------------------------------------- softmax
def test_softmax_and_log_softmax_match_keras_documented_values():
    x = Tensor([-1.0, 0.0, 1.0])
    np.testing.assert_allclose(nn.softmax(x).numpy(), [0.09003057, 0.24472848, 0.66524094], rtol=1e-6)
    np.testing.assert_allclose(nn.log_softmax(x).numpy(), [-2.4076061, -1.4076061, -0.4076061], rtol=1e-6)
    assert nn.softmax(x).dtype == np.float32 and nn.log_softmax(x).dtype == np.float32


@SMALL
@given(case=classified())
def test_softmax_and_log_softmax_values_and_gradients(case):
    x, axis, _ = case
    expected = naive_log_softmax(x, axis)
    np.testing.assert_allclose(nn.log_softmax(Tensor(x, dtype="float64"), axis=axis).numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(nn.softmax(Tensor(x, dtype="float64"), axis=axis).numpy(), np.exp(expected), atol=1e-12)
    assert gradcheck(lambda t: nn.softmax(t, axis=axis), [x])
    assert gradcheck(lambda t: nn.log_softmax(t, axis=axis), [x])


def test_softmax_over_several_axes():
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    s = nn.softmax(Tensor(x, dtype="float64"), axis=(1, 2)).numpy()
    np.testing.assert_allclose(s.sum(axis=(1, 2)), 1.0)
    np.testing.assert_allclose(nn.log_softmax(Tensor(x, dtype="float64"), axis=(1, 2)).numpy(),
                               naive_log_softmax(x, (1, 2)), atol=1e-12)
    assert gradcheck(lambda t: nn.softmax(t, axis=(0, 2)), [x])
    assert gradcheck(lambda t: nn.log_softmax(t, axis=(1, 2)), [x])


def test_softmax_is_stable_for_huge_logits():
    x = Tensor([[1000.0, 0.0, -1000.0]])
    np.testing.assert_allclose(nn.softmax(x).numpy(), [[1.0, 0.0, 0.0]])
    np.testing.assert_allclose(nn.log_softmax(x).numpy(), [[0.0, -1000.0, -2000.0]])


def test_softmax_output_remembers_its_logits():
    x = Tensor([[1.0, 2.0]])
    logits, axes = nn.softmax(x)._softmax_logits
    assert logits is x and axes == (1,)


def test_softmax_needs_an_axis():
    with pytest.raises(ValueError, match=r"softmax: .*axis=None.*shape \(2, 3\)"):
        nn.softmax(Tensor(np.zeros((2, 3))), axis=None)
    with pytest.raises(ValueError, match="log_softmax: axis 2 is out of range"):
        nn.log_softmax(Tensor(np.zeros((2, 3))), axis=2)


# ------------------------------------------------------------ documented numbers
KERAS_TARGET = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
KERAS_OUTPUT = [[0.9, 0.05, 0.05], [0.1, 0.8, 0.1], [0.2, 0.3, 0.5]]
KERAS_LOSS = [0.10536054, 0.22314355, 0.6931472]


def test_cross_entropies_match_keras_documented_values():
    out = nn.categorical_crossentropy(Tensor(KERAS_TARGET), Tensor(KERAS_OUTPUT))
    np.testing.assert_allclose(out.numpy(), KERAS_LOSS, rtol=1e-6)
    out = nn.sparse_categorical_crossentropy(Tensor(np.array([0, 1, 2])), Tensor(KERAS_OUTPUT))
    np.testing.assert_allclose(out.numpy(), KERAS_LOSS, rtol=1e-6)
    out = nn.binary_crossentropy(Tensor([0.0, 1.0, 1.0, 0.0]), Tensor([0.1, 0.9, 0.8, 0.2]))
    np.testing.assert_allclose(out.numpy(), [0.10536054, 0.10536054, 0.22314355, 0.22314355], rtol=1e-6)


@SMALL
@given(batch=st.integers(1, 5), classes=st.integers(1, 12))
def test_uniform_logits_cost_log_of_the_number_of_classes(batch, classes):
    labels = Tensor(np.arange(batch) % classes)
    loss = nn.sparse_categorical_crossentropy(labels, Tensor(np.zeros((batch, classes))), from_logits=True)
    np.testing.assert_allclose(loss.numpy(), np.full(batch, math.log(classes)), rtol=1e-6)


def test_a_confident_mistake_on_probabilities_is_clipped_as_keras_does():
    loss = nn.categorical_crossentropy(Tensor([[0.0, 1.0]]), Tensor([[1.0, 0.0]]))
    np.testing.assert_allclose(loss.numpy(), [-math.log(EPS)], rtol=1e-5)  # about 16.118
    # In float32, 1 - 1e-7 rounds to 1 - 2**-23, so the other side caps at -log(2**-23) = 15.94.
    loss = nn.binary_crossentropy(Tensor([1.0, 0.0]), Tensor([0.0, 1.0]))
    np.testing.assert_allclose(loss.numpy(), [-math.log(EPS), -math.log(2.0**-23)], rtol=1e-5)


# --------------------------------------------------- categorical cross-entropy
@SMALL
@given(case=classified(min_classes=2), seed=st.integers(0, 2**16))
def test_categorical_crossentropy_values_and_gradients(case, seed):
    x, axis, _ = case
    rng = np.random.default_rng(seed)
    target = rng.random(x.shape)
    probs = rng.uniform(0.1, 1.0, x.shape)
    f64 = lambda a: Tensor(a, dtype="float64")  # noqa: E731

    got = nn.categorical_crossentropy(f64(target), f64(x), from_logits=True, axis=axis)
    np.testing.assert_allclose(got.numpy(), -(target * naive_log_softmax(x, axis)).sum(axis=axis), atol=1e-12)
    got = nn.categorical_crossentropy(f64(target), f64(probs), axis=axis)
    np.testing.assert_allclose(got.numpy(), -(target * keras_probability_log(probs, axis)).sum(axis=axis),
                               atol=1e-12)

    assert gradcheck(lambda t, o: nn.categorical_crossentropy(t, o, from_logits=True, axis=axis), [target, x])
    assert gradcheck(lambda t, o: nn.categorical_crossentropy(t, o, axis=axis), [target, probs])
    assert gradcheck(lambda t, o: nn.categorical_crossentropy(t, nn.softmax(o, axis=axis), axis=axis),
                     [target, x])


def test_categorical_crossentropy_from_softmax_works_from_the_logits():
    logits = Tensor([[0.0, 40.0, -5.0]], requires_grad=True)
    target = Tensor([[1.0, 0.0, 0.0]])
    via_softmax = nn.categorical_crossentropy(target, nn.softmax(logits))
    direct = nn.categorical_crossentropy(target, logits, from_logits=True)
    # Clipped probabilities would cap this at -log(1e-7) = 16.1; the logits path is exact.
    np.testing.assert_allclose(via_softmax.numpy(), direct.numpy())
    np.testing.assert_allclose(via_softmax.numpy(), [40.0], rtol=1e-6)
    via_softmax.sum().backward()
    np.testing.assert_allclose(logits.grad, [[-1.0, 1.0, 0.0]], atol=1e-6)


def test_softmax_over_another_axis_is_treated_as_plain_probabilities():
    x = np.random.default_rng(2).standard_normal((3, 4))
    target = np.eye(4)[[0, 3, 1]]
    probs = nn.softmax(Tensor(x, dtype="float64"), axis=0)  # normalised over the batch, not the classes
    got = nn.categorical_crossentropy(Tensor(target, dtype="float64"), probs, axis=-1)
    expected = -(target * keras_probability_log(probs.numpy(), -1)).sum(axis=-1)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


def test_categorical_crossentropy_keeps_the_output_dtype():
    one_hot_ints = Tensor(np.eye(3, dtype="int64"))
    loss = nn.categorical_crossentropy(one_hot_ints, Tensor(np.zeros((3, 3))), from_logits=True)
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [math.log(3)] * 3, rtol=1e-6)


def test_categorical_crossentropy_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"target shape \(64,\) and output shape \(64, 10\) differ"
                                         r".*sparse_categorical_crossentropy"):
        nn.categorical_crossentropy(Tensor(np.zeros(64)), Tensor(np.zeros((64, 10))))
    with pytest.raises(ValueError, match=r"target shape \(64, 5\) and output shape \(64, 10\)"):
        nn.categorical_crossentropy(Tensor(np.zeros((64, 5))), Tensor(np.zeros((64, 10))))


def test_cross_entropy_needs_a_class_axis():
    with pytest.raises(ValueError, match="at least one axis"):
        nn.categorical_crossentropy(Tensor(1.0), Tensor(1.0))
    with pytest.raises(ValueError, match="axis must be one int"):
        nn.categorical_crossentropy(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))), axis=(0, 1))
    with pytest.raises(ValueError, match="axis must be one int"):
        nn.categorical_crossentropy(Tensor(np.zeros((2, 3))), Tensor(np.zeros((2, 3))), axis=True)
    loss = nn.sparse_categorical_crossentropy(Tensor(np.array([1, 2])), Tensor(np.zeros((2, 3))), True, np.int64(1))
    assert loss.shape == (2,)


# ---------------------------------------------- sparse categorical cross-entropy
@SMALL
@given(case=classified(min_classes=2), seed=st.integers(0, 2**16))
def test_sparse_categorical_crossentropy_values_and_gradients(case, seed):
    x, axis, labels = case
    probs = np.random.default_rng(seed).uniform(0.1, 1.0, x.shape)
    one_hot = naive_one_hot(labels, x.shape[axis], axis)
    f64 = lambda a: Tensor(a, dtype="float64")  # noqa: E731
    y = Tensor(labels)

    got = nn.sparse_categorical_crossentropy(y, f64(x), from_logits=True, axis=axis)
    np.testing.assert_allclose(got.numpy(), -(one_hot * naive_log_softmax(x, axis)).sum(axis=axis), atol=1e-12)
    got = nn.sparse_categorical_crossentropy(y, f64(probs), axis=axis)
    np.testing.assert_allclose(got.numpy(), -(one_hot * keras_probability_log(probs, axis)).sum(axis=axis),
                               atol=1e-12)
    got = nn.sparse_categorical_crossentropy(y, nn.softmax(f64(x), axis=axis), axis=axis)
    np.testing.assert_allclose(got.numpy(), -(one_hot * naive_log_softmax(x, axis)).sum(axis=axis), atol=1e-12)

    assert gradcheck(lambda o, t: nn.sparse_categorical_crossentropy(t, o, from_logits=True, axis=axis),
                     [x, labels])
    assert gradcheck(lambda o, t: nn.sparse_categorical_crossentropy(t, o, axis=axis), [probs, labels])
    assert gradcheck(lambda o, t: nn.sparse_categorical_crossentropy(t, nn.softmax(o, axis=axis), axis=axis),
                     [x, labels])


def test_sparse_gradient_is_softmax_minus_one_hot():
    x = np.random.default_rng(3).standard_normal((5, 4))
    labels = np.array([0, 3, 1, 1, 2])
    logits = Tensor(x, requires_grad=True, dtype="float64")
    weights = np.arange(1.0, 6.0)
    (nn.sparse_categorical_crossentropy(Tensor(labels), logits, from_logits=True) * Tensor(weights)).sum().backward()
    softmax = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(logits.grad, (softmax - np.eye(4)[labels]) * weights[:, None], atol=1e-12)


def test_sparse_softmax_fed_equals_from_logits_even_when_confidently_wrong():
    logits = Tensor([[0.0, 50.0], [3.0, 1.0]], requires_grad=True)
    labels = Tensor(np.array([0, 0]))
    via_softmax = nn.sparse_categorical_crossentropy(labels, nn.softmax(logits))
    direct = nn.sparse_categorical_crossentropy(labels, logits, from_logits=True)
    np.testing.assert_allclose(via_softmax.numpy(), direct.numpy())
    assert via_softmax.numpy()[0] == pytest.approx(50.0, rel=1e-6)  # not the clipped 16.1
    via_softmax.sum().backward()
    assert np.isfinite(logits.grad).all() and logits.grad[0, 0] == pytest.approx(-1.0)


@pytest.mark.parametrize("labels", [np.array([[2], [0]]), np.array([2.0, 0.0]), np.array([[2.0], [0.0]])])
def test_sparse_accepts_column_labels_and_integer_valued_floats(labels):
    output = Tensor([[0.1, 0.2, 0.7], [0.6, 0.3, 0.1]])
    loss = nn.sparse_categorical_crossentropy(Tensor(labels, dtype=labels.dtype), output)
    np.testing.assert_allclose(loss.numpy(), -np.log([0.7, 0.6]), rtol=1e-6)


def test_sparse_label_out_of_range_names_the_label_the_classes_and_the_fix():
    output = Tensor(np.zeros((3, 10)))
    message = ("sparse_categorical_crossentropy: label 12 is outside [0, 10) for an output with 10 classes "
               "(axis -1). Labels must be class indices 0..9; for one-hot targets use categorical_crossentropy.")
    with pytest.raises(ValueError) as info:
        nn.sparse_categorical_crossentropy(Tensor(np.array([1, 12, 3])), output, from_logits=True)
    assert str(info.value) == message
    with pytest.raises(ValueError, match=r"label -1 is outside \[0, 10\)"):
        nn.sparse_categorical_crossentropy(Tensor(np.array([1, -1, 3])), output)


def test_sparse_fractional_label_is_named():
    with pytest.raises(ValueError, match=r"label 0\.5 is not a whole number.*0\.\.2.*astype\('int32'\)"):
        nn.sparse_categorical_crossentropy(Tensor([0.0, 0.5]), Tensor(np.zeros((2, 3))))
    for bad in (np.nan, np.inf):
        with pytest.raises(ValueError, match=rf"label {bad!r} is not a whole number"):
            nn.sparse_categorical_crossentropy(Tensor([0.0, bad]), Tensor(np.zeros((2, 3))))


def test_sparse_target_shape_mismatch_names_both_shapes():
    output = Tensor(np.zeros((64, 10)))
    with pytest.raises(ValueError, match=r"target shape \(64, 10\) does not fit output shape \(64, 10\).*"
                                         r"\(64,\) or \(64, 1\).*one-hot.*categorical_crossentropy"):
        nn.sparse_categorical_crossentropy(Tensor(np.zeros((64, 10), dtype="int64")), output)
    with pytest.raises(ValueError, match=r"target shape \(32,\) does not fit output shape \(64, 10\)"):
        nn.sparse_categorical_crossentropy(Tensor(np.zeros(32, dtype="int64")), output)


# ------------------------------------------------------- binary cross-entropy
@SMALL
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), seed=st.integers(0, 2**16))
def test_binary_crossentropy_values_and_gradients(shape, seed):
    rng = np.random.default_rng(seed)
    target = rng.random(shape)
    x = rng.standard_normal(shape) * 2
    probs = rng.uniform(0.05, 0.95, shape)
    f64 = lambda a: Tensor(a, dtype="float64")  # noqa: E731

    sig = 1 / (1 + np.exp(-x))
    naive = -(target * np.log(sig) + (1 - target) * np.log(1 - sig))
    np.testing.assert_allclose(nn.binary_crossentropy(f64(target), f64(x), from_logits=True).numpy(), naive,
                               atol=1e-12)
    naive = -(target * np.log(probs) + (1 - target) * np.log(1 - probs))
    np.testing.assert_allclose(nn.binary_crossentropy(f64(target), f64(probs)).numpy(), naive, atol=1e-12)

    assert gradcheck(lambda t, o: nn.binary_crossentropy(t, o, from_logits=True), [target, x])
    assert gradcheck(lambda t, o: nn.binary_crossentropy(t, o), [target, probs])


def test_binary_crossentropy_from_logits_is_stable_for_huge_logits():
    # pyproject turns NumPy overflow warnings inside tinyfit into errors, so this also checks there are none.
    logits = Tensor([100.0, -100.0, 100.0, -100.0], requires_grad=True)
    loss = nn.binary_crossentropy(Tensor([0.0, 1.0, 1.0, 0.0]), logits, from_logits=True)
    np.testing.assert_allclose(loss.numpy(), [100.0, 100.0, 0.0, 0.0], atol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(logits.grad, [1.0, -1.0, 0.0, 0.0], atol=1e-6)


def test_binary_crossentropy_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"target shape \(64,\) and output shape \(64, 1\) differ.*"
                                         r"y\.reshape\(\(64, 1\)\)"):
        nn.binary_crossentropy(Tensor(np.zeros(64)), Tensor(np.zeros((64, 1))))


def test_from_logits_on_a_softmax_output_warns():
    probs = nn.softmax(Tensor([[1.0, 2.0]]))
    with pytest.warns(UserWarning, match="produced by a softmax"):
        nn.sparse_categorical_crossentropy(Tensor(np.array([1])), probs, from_logits=True)
    with pytest.warns(UserWarning, match="produced by a softmax"):
        nn.categorical_crossentropy(Tensor([[0.0, 1.0]]), probs, from_logits=True)


# ------------------------------------------------------------------ one-hot
@SMALL
@given(shape=st.lists(st.integers(1, 4), max_size=3), classes=st.integers(1, 5), data=st.data())
def test_one_hot_values(shape, classes, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    labels = np.random.default_rng(len(shape)).integers(0, classes, shape)
    out = nn.one_hot(Tensor(labels), classes, axis=axis)
    assert out.dtype == np.float32 and not out.requires_grad
    np.testing.assert_array_equal(out.numpy(), naive_one_hot(labels, classes, axis))


def test_one_hot_dtype_and_float_labels():
    out = nn.one_hot(Tensor([2.0, 0.0]), 3, dtype="float64")
    assert out.dtype == np.float64
    assert nn.one_hot(Tensor(np.array([1])), 2, dtype=None).dtype == np.float32
    np.testing.assert_array_equal(out.numpy(), [[0, 0, 1], [1, 0, 0]])


def test_one_hot_errors_name_the_facts():
    with pytest.raises(ValueError, match=r"one_hot: label 3 is outside \[0, 3\) for num_classes=3"):
        nn.one_hot(Tensor(np.array([0, 3])), 3)
    with pytest.raises(ValueError, match="num_classes must be a positive int, got 0"):
        nn.one_hot(Tensor(np.array([0])), 0)
    with pytest.raises(ValueError, match=r"axis 3 is out of range .* labels of shape \(2, 2\)"):
        nn.one_hot(Tensor(np.zeros((2, 2), dtype="int64")), 2, axis=3)


# ----------------------------------------------------------- optional oracle
def test_cross_entropies_agree_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x = rng.standard_normal((6, 5))
    labels = rng.integers(0, 5, 6)
    z = rng.random((6, 5))
    expected = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor(labels), reduction="none")
    got = nn.sparse_categorical_crossentropy(Tensor(labels), Tensor(x, dtype="float64"), from_logits=True)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)
    expected = torch.nn.functional.binary_cross_entropy_with_logits(torch.tensor(x), torch.tensor(z),
                                                                    reduction="none")
    got = nn.binary_crossentropy(Tensor(z, dtype="float64"), Tensor(x, dtype="float64"), from_logits=True)
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)
