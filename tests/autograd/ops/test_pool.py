"""Behaviour of max_pool and average_pool: values against pooling written with
loops, gradients against finite differences, tie-breaking, "same" padding, errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit.autograd import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.pool import average_pool, max_pool

SMALL = settings(max_examples=20, deadline=None)


def reference_pool(x, reduce, window, strides, padding):
    """Pools each window over the real elements it covers (padding is never looked at)."""
    batch, *sizes, channels = x.shape
    outs, befores = [], []
    for size, k, s in zip(sizes, window, strides):
        if padding == "same":
            out = math.ceil(size / s)
            befores.append(max((out - 1) * s + k - size, 0) // 2)
        else:
            out = (size - k) // s + 1
            befores.append(0)
        outs.append(out)
    result = np.zeros([batch, *outs, channels])
    for o in np.ndindex(*outs):
        ranges = []
        for i, (k, s) in enumerate(zip(window, strides)):
            start = o[i] * s - befores[i]
            ranges.append(slice(max(start, 0), min(start + k, sizes[i])))
        for b in range(batch):
            for c in range(channels):
                result[(b, *o, c)] = reduce(x[(b, *ranges, c)])
    return result


@st.composite
def pool_case(draw):
    n = draw(st.sampled_from([1, 2]))
    padding = draw(st.sampled_from(["valid", "same"]))
    window = tuple(draw(st.integers(1, 3)) for _ in range(n))
    strides = draw(st.one_of(st.none(), st.tuples(*(st.integers(1, 3) for _ in range(n)))))
    sizes = tuple(draw(st.integers(k if padding == "valid" else 1, k + 3)) for k in window)
    shape = (draw(st.integers(1, 2)), *sizes, draw(st.integers(1, 2)))
    # Distinct values 0.1 apart: finite differences never reorder a window, so max is smooth.
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.permutation(math.prod(shape)).reshape(shape) * 0.1 - 1.0
    return x, window, strides, padding


@SMALL
@given(case=pool_case())
def test_max_pool_matches_loops_and_gradchecks(case):
    x, window, strides, padding = case
    got = max_pool(Tensor(x, dtype="float64"), window, strides, padding)
    np.testing.assert_array_equal(got.numpy(), reference_pool(x, np.max, window, strides or window, padding))
    assert gradcheck(lambda a: max_pool(a, window, strides, padding), [x])


@SMALL
@given(case=pool_case())
def test_average_pool_matches_loops_and_gradchecks(case):
    x, window, strides, padding = case
    got = average_pool(Tensor(x, dtype="float64"), window, strides, padding)
    np.testing.assert_allclose(got.numpy(), reference_pool(x, np.mean, window, strides or window, padding),
                               atol=1e-12)
    assert gradcheck(lambda a: average_pool(a, window, strides, padding), [x])


def test_pool_3d_matches_loops_and_gradchecks():
    shape = (1, 3, 4, 3, 2)
    x = np.random.default_rng(0).permutation(math.prod(shape)).reshape(shape) * 0.1
    for padding in ("valid", "same"):
        for pool, reduce in ((max_pool, np.max), (average_pool, np.mean)):
            got = pool(Tensor(x, dtype="float64"), 2, (1, 2, 2), padding)
            np.testing.assert_allclose(got.numpy(), reference_pool(x, reduce, (2, 2, 2), (1, 2, 2), padding))
            assert gradcheck(lambda a: pool(a, 2, (1, 2, 2), padding), [x])


def test_same_average_pool_averages_only_real_elements():
    # Three values, windows of 2 with stride 2: one pad after; the last window holds 3 alone.
    x = Tensor(np.array([1.0, 2.0, 3.0]).reshape(1, 3, 1))
    np.testing.assert_array_equal(average_pool(x, 2, padding="same").numpy().ravel(), [1.5, 3.0])
    np.testing.assert_array_equal(max_pool(x, 2, padding="same").numpy().ravel(), [2.0, 3.0])
    # 2-D, stride 1: a 2x2 window at the bottom-right corner covers only x[2, 2].
    img = Tensor(np.arange(9.0).reshape(1, 3, 3, 1))
    got = average_pool(img, 2, strides=1, padding="same").numpy()[0, :, :, 0]
    np.testing.assert_array_equal(got, [[2.0, 3.0, 3.5], [5.0, 6.0, 6.5], [6.5, 7.5, 8.0]])


def test_same_max_pool_of_negative_values_ignores_the_padding():
    x = Tensor(-np.arange(1.0, 4.0).reshape(1, 3, 1))
    np.testing.assert_array_equal(max_pool(x, 2, padding="same").numpy().ravel(), [-1.0, -3.0])


def test_strides_default_to_the_pool_size():
    x = Tensor(np.random.default_rng(1).standard_normal((2, 6, 6, 3)))
    assert max_pool(x, 2).shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(max_pool(x, 2).numpy(), max_pool(x, 2, strides=2).numpy())
    np.testing.assert_array_equal(average_pool(x, (3, 2)).numpy(), average_pool(x, (3, 2), (3, 2)).numpy())
    assert max_pool(x, 2).dtype == np.float32 and average_pool(x, 2).dtype == np.float32


def test_max_pool_gradient_goes_to_the_first_of_tied_maxima():
    x = Tensor(np.ones((1, 2, 2, 1)), requires_grad=True)
    max_pool(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])
    # Overlapping windows: each window's gradient lands on its own winner, and they add up.
    x = Tensor(np.array([[0.0, 5.0, 0.0], [0.0, 0.0, 0.0]]).reshape(1, 2, 3, 1), requires_grad=True)
    max_pool(x, 2, strides=1).sum().backward()
    np.testing.assert_array_equal(x.grad[0, :, :, 0], [[0.0, 2.0, 0.0], [0.0, 0.0, 0.0]])


def test_max_pool_propagates_nan():
    x = Tensor(np.array([1.0, np.nan, 3.0, 4.0]).reshape(1, 4, 1))
    got = max_pool(x, 2).numpy().ravel()
    assert np.isnan(got[0]) and got[1] == 4.0


def test_max_pool_output_does_not_share_memory_with_the_input():
    x = Tensor(np.arange(4.0).reshape(1, 4, 1))
    out = max_pool(x, 1)
    assert not np.shares_memory(out.data, x.data)


def test_pool_agrees_with_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).standard_normal((2, 7, 6, 3))
    t = torch.tensor(x).permute(0, 3, 1, 2)
    expected = torch.nn.functional.max_pool2d(t, (3, 2), stride=(2, 1)).permute(0, 2, 3, 1)
    np.testing.assert_array_equal(max_pool(Tensor(x, dtype="float64"), (3, 2), (2, 1)).numpy(), expected.numpy())
    expected = torch.nn.functional.avg_pool2d(t, (3, 2), stride=(2, 1)).permute(0, 2, 3, 1)
    np.testing.assert_allclose(average_pool(Tensor(x, dtype="float64"), (3, 2), (2, 1)).numpy(), expected.numpy(),
                               atol=1e-12)


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize("pool", [max_pool, average_pool])
def test_pool_errors_name_the_facts(pool):
    name = pool.__name__
    x = Tensor(np.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match=rf"{name}: the pool window spans 5 along the height axis but the input "
                                         r"has only 4 there \(padding='valid'\)"):
        pool(x, (5, 2))
    with pytest.raises(ValueError, match=r"pool_size must be a positive int or a tuple of 2 positive ints.*\(2,\)"):
        pool(x, (2,))
    with pytest.raises(ValueError, match=r"strides must be a positive int .* got 0"):
        pool(x, 2, strides=0)
    with pytest.raises(ValueError, match=r"unknown padding 'causal'; choose one of \('valid', 'same'\)"):
        pool(x, 2, padding="causal")
    with pytest.raises(ValueError, match=r"only data_format='channels_last'.*ops\.transpose\(x, \(0, 2, 3, 1\)\)"):
        pool(x, 2, data_format="channels_first")
    with pytest.raises(ValueError, match=r"inputs of shape \(4, 4\) have 2 dimension\(s\)"):
        pool(Tensor(np.zeros((4, 4))), 2)
    with pytest.raises(ValueError, match="only the batch axis may have size 0"):
        pool(Tensor(np.zeros((1, 0, 1))), 2, padding="same")


def reference_max_pool_grad(x, window, strides, grad):
    """dx by loops (valid padding): each window's gradient to its first maximum in row-major
    order, none where the window holds a NaN."""
    dx = np.zeros_like(x)
    for o in np.ndindex(*grad.shape[1:-1]):
        starts = [i * s for i, s in zip(o, strides)]
        region = tuple(slice(a, a + k) for a, k in zip(starts, window))
        for b in range(x.shape[0]):
            for c in range(x.shape[-1]):
                win = x[(b, *region, c)]
                if np.isnan(win).any():
                    continue
                at = np.unravel_index(np.argmax(win), win.shape)
                dx[(b, *(a + t for a, t in zip(starts, at)), c)] += grad[(b, *o, c)]
    return dx


@pytest.mark.parametrize("shape, window, strides", [
    ((2, 8, 6, 3), (2, 2), (2, 2)),        # windows side by side that tile the input
    ((2, 7, 9, 3), (2, 2), (2, 2)),        # side by side, a remainder no window reaches
    ((1, 9, 8, 2), (3, 2), (3, 2)),
    ((2, 8, 8, 2), (2, 2), (3, 3)),        # windows apart
    ((2, 7, 7, 2), (3, 3), (2, 2)),        # windows that overlap
    ((2, 9, 2), (3,), (3,)),               # 1-D
    ((1, 4, 5, 4, 2), (2, 2, 2), (2, 2, 2)),  # 3-D with a remainder
])
def test_max_pool_gradient_with_many_ties_and_a_nan_matches_loops(shape, window, strides):
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, shape).astype(float)  # three values: most windows tie
    x.reshape(-1)[0] = np.nan
    t = Tensor(x, requires_grad=True, dtype="float64")
    out = max_pool(t, window, strides)
    grad = rng.standard_normal(out.shape)
    out.backward(grad)
    np.testing.assert_array_equal(t.grad, reference_max_pool_grad(x, window, strides, grad))
