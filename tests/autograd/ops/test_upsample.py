"""Repeat and LinearUpsample: values, gradients on any axis, and the interpolation matrix."""

import numpy as np
import pytest

from tinyfit import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.upsample import LinearUpsample, Repeat, linear_weights


@pytest.mark.parametrize("op, kwargs", [(Repeat, dict(repeats=3)), (LinearUpsample, dict(factor=3)),
                                        (LinearUpsample, dict(factor=2))])
@pytest.mark.parametrize("axis", [0, 1, -1])
def test_gradcheck_on_any_axis(op, kwargs, axis):
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    gradcheck(lambda t: op.apply(t, axis=axis, **kwargs), [x])


def test_repeat_copies_each_value_and_its_gradient_adds_the_copies():
    x = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True)
    out = Repeat.apply(x, repeats=2, axis=1)
    np.testing.assert_array_equal(out.numpy(), [[1, 1, 2, 2], [3, 3, 4, 4]])
    (out * Tensor(np.array([[1.0, 2.0, 3.0, 4.0]] * 2))).sum().backward()
    np.testing.assert_array_equal(x.grad, [[3, 7], [3, 7]])


@pytest.mark.parametrize("size, factor", [(1, 3), (2, 2), (5, 3), (4, 4)])
def test_linear_weights_are_a_clamped_half_pixel_tent(size, factor):
    weights = linear_weights(np, size, factor, "float64")
    assert weights.shape == (size * factor, size)
    np.testing.assert_allclose(weights.sum(axis=1), 1.0)  # every output is a weighted mean
    assert (weights >= 0).all() and ((weights > 0).sum(axis=1) <= 2).all()  # of at most two neighbours
    centres = weights @ np.arange(size)  # where each output sits on the input axis
    expected = np.clip((np.arange(size * factor) + 0.5) / factor - 0.5, 0, size - 1)
    np.testing.assert_allclose(centres, expected, atol=1e-12)
