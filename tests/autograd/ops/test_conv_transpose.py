"""Behaviour of conv_transpose: values against a scatter written with loops and against
Keras 3, the adjoint of conv, gradients against finite differences, and errors."""


import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit.autograd import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.conv import conv
from tinyfit.autograd.ops.conv_transpose import conv_transpose

SMALL = settings(max_examples=25, deadline=None)


def keras_output_size(size, k, s, d, padding, output_padding):
    """Keras 3's documented output length of a transposed convolution along one axis."""
    span = (k - 1) * d + 1
    if padding == "valid":
        extra = max(span, s) - span if output_padding is None else output_padding
        return (size - 1) * s + span + extra
    return size * s if output_padding is None else (size - 1) * s + span % 2 + output_padding


def reference_conv_transpose(x, kernel, strides, padding, output_padding, dilation):
    """Every input value times the kernel, added where each tap lands; then cropped.

    Input position i and tap t land on i*stride + t*dilation of the uncropped
    output. "same" crops floor(excess / 2) before, as conv's "same" pads.
    """
    batch, *sizes, _ = x.shape
    *window, filters, _ = kernel.shape
    n = len(sizes)
    full = [(i - 1) * s + (k - 1) * d + 1 for i, k, s, d in zip(sizes, window, strides, dilation)]
    outs = [keras_output_size(i, k, s, d, padding, None if output_padding is None else output_padding[a])
            for a, (i, k, s, d) in enumerate(zip(sizes, window, strides, dilation))]
    before = [max(f - o, 0) // 2 if padding == "same" else 0 for f, o in zip(full, outs)]
    big = np.zeros([batch, *[max(f, b + o) for f, b, o in zip(full, before, outs)], filters])
    for b in range(batch):
        for i in np.ndindex(*sizes):
            for tap in np.ndindex(*window):
                at = tuple(i[a] * strides[a] + tap[a] * dilation[a] for a in range(n))
                big[(b, *at)] += kernel[tap] @ x[(b, *i)]
    return big[(slice(None),) + tuple(slice(lo, lo + o) for lo, o in zip(before, outs))]


@st.composite
def transpose_case(draw, spatial=(1, 2)):
    n = draw(st.sampled_from(spatial))
    padding = draw(st.sampled_from(["valid", "same"]))
    window = tuple(draw(st.integers(1, 4)) for _ in range(n))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(1 if s > 1 else draw(st.integers(1, 2)) for s in strides)
    output_padding = None
    if draw(st.booleans()):
        output_padding = tuple(draw(st.integers(0, s - 1)) for s in strides)
    sizes = tuple(draw(st.integers(1, 4)) for _ in range(n))
    if padding == "same" and output_padding is not None:
        # An even kernel over one position with no output padding leaves nothing (refused, tested below).
        sizes = tuple(max(i, 2) for i in sizes)
    batch, channels, filters = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((batch, *sizes, channels))
    kernel = rng.standard_normal((*window, filters, channels))
    kwargs = dict(strides=strides, padding=padding, output_padding=output_padding, dilation_rate=dilation)
    return x, kernel, kwargs


@SMALL
@given(case=transpose_case())
def test_conv_transpose_matches_a_loop_scatter_and_gradchecks(case):
    x, kernel, kwargs = case
    got = conv_transpose(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), **kwargs)
    expected = reference_conv_transpose(x, kernel, kwargs["strides"], kwargs["padding"], kwargs["output_padding"],
                                        kwargs["dilation_rate"])
    assert got.shape == expected.shape
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)
    bias = np.random.default_rng(0).standard_normal(kernel.shape[-2])
    assert gradcheck(lambda a, w, b: conv_transpose(a, w, bias=b, **kwargs), [x, kernel, bias])


def test_conv_transpose_3d_matches_the_loop_scatter_and_gradchecks():
    rng = np.random.default_rng(1)
    x, kernel = rng.standard_normal((1, 2, 3, 2, 2)), rng.standard_normal((2, 3, 2, 3, 2))
    kwargs = dict(strides=(2, 1, 3), padding="same", output_padding=(1, 0, 2))
    got = conv_transpose(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), **kwargs)
    expected = reference_conv_transpose(x, kernel, (2, 1, 3), "same", (1, 0, 2), (1, 1, 1))
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)
    assert gradcheck(lambda a, w: conv_transpose(a, w, **kwargs), [x, kernel])


@SMALL
@given(case=transpose_case(spatial=(1, 2, 3)))
def test_conv_transpose_is_the_adjoint_of_conv_with_the_same_kernel(case):
    # <conv(z, W), x> == <z, conv_transpose(x, W)> for every z shaped like the
    # transposed convolution's output: the transposed convolution is conv's
    # input gradient. For "same" with an output_padding, conv's own "same" pads
    # answer a different output size, so those cases are left to the gradchecks.
    x, kernel, kwargs = case
    if kwargs["padding"] == "same" and kwargs["output_padding"] is not None:
        kwargs["output_padding"] = None
    as64 = lambda a: Tensor(a, dtype="float64")  # noqa: E731
    y = conv_transpose(as64(x), as64(kernel), **kwargs).numpy()
    z = np.random.default_rng(2).standard_normal(y.shape)
    conv_kwargs = {k: kwargs[k] for k in ("strides", "padding", "dilation_rate")}
    forward = conv(as64(z), as64(kernel), **conv_kwargs).numpy()
    assert forward.shape == x.shape
    np.testing.assert_allclose(np.vdot(forward, x), np.vdot(z, y), rtol=1e-10)


def test_transposed_conv_of_a_one_hot_input_writes_the_kernel_at_the_stride():
    # One value of 1 at input position 1, stride 3, kernel [1, 2]: the kernel lands at 3.
    x = np.zeros((1, 3, 1))
    x[0, 1, 0] = 1.0
    kernel = np.array([1.0, 2.0]).reshape(2, 1, 1)
    got = conv_transpose(Tensor(x), Tensor(kernel), strides=3).numpy().ravel()
    np.testing.assert_array_equal(got, [0, 0, 0, 1, 2, 0, 0, 0, 0])  # (3-1)*3 + max(2, 3) = 9 long


@pytest.mark.parametrize("wanted", ["inputs", "kernel", "bias"])
def test_conv_transpose_backward_for_one_input_only(wanted):
    rng = np.random.default_rng(3)
    arrays = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((3, 3, 4, 2)), rng.standard_normal(4)
    which = ["inputs", "kernel", "bias"].index(wanted)
    grads = []
    for needs in ([True] * 3, [i == which for i in range(3)]):
        tensors = [Tensor(a, requires_grad=r, dtype="float64") for a, r in zip(arrays, needs)]
        out = conv_transpose(tensors[0], tensors[1], strides=2, padding="same", bias=tensors[2])
        (out * out).sum().backward()
        grads.append([t.grad for t in tensors])
    np.testing.assert_allclose(grads[1][which], grads[0][which])
    assert all(g is None for i, g in enumerate(grads[1]) if i != which)


def test_conv_transpose_float32_in_float32_out_and_shapes_of_a_decoder_layer():
    x = Tensor(np.zeros((8, 7, 7, 16), dtype="float32"))
    kernel = Tensor(np.zeros((3, 3, 8, 16), dtype="float32"))
    assert conv_transpose(x, kernel, strides=2, padding="same").shape == (8, 14, 14, 8)
    assert conv_transpose(x, kernel, strides=2).shape == (8, 15, 15, 8)
    assert conv_transpose(x, kernel, strides=2, output_padding=1).shape == (8, 16, 16, 8)
    assert conv_transpose(x, kernel, dilation_rate=2).shape == (8, 11, 11, 8)
    assert conv_transpose(x, kernel, strides=2, padding="same").dtype == np.float32


# ----------------------------------------------------- against real Keras 3
KERAS_CASES = [
    ((2, 5, 3), (3, 4, 3), dict(strides=2, padding="valid")),
    ((2, 5, 3), (4, 2, 3), dict(strides=3, padding="same", output_padding=2)),
    ((1, 6, 2), (3, 2, 2), dict(dilation_rate=2, padding="same")),
    ((2, 4, 5, 3), (3, 3, 2, 3), dict(strides=2, padding="same")),
    ((2, 4, 5, 3), (3, 2, 2, 3), dict(strides=(2, 3), padding="same", output_padding=(1, 2))),
    ((2, 4, 5, 3), (2, 3, 4, 3), dict(strides=(1, 2), padding="valid", output_padding=(0, 1))),
    ((1, 3, 4, 2), (2, 4, 3, 2), dict(strides=(3, 1), padding="valid")),
    ((1, 5, 5, 1), (3, 3, 2, 1), dict(dilation_rate=(2, 1), padding="valid")),
    ((1, 2, 3, 2, 2), (2, 2, 3, 3, 2), dict(strides=2, padding="same")),
]


@pytest.mark.parametrize("x_shape, kernel_shape, kwargs", KERAS_CASES)
def test_conv_transpose_agrees_with_keras_3(keras3, x_shape, kernel_shape, kwargs):
    rng = np.random.default_rng(4)
    # Keras's NumPy backend computes through JAX, in float32.
    x, kernel = rng.standard_normal(x_shape).astype("float32"), rng.standard_normal(kernel_shape).astype("float32")
    expected = np.asarray(keras3.ops.conv_transpose(x, kernel, **kwargs))
    got = conv_transpose(Tensor(x), Tensor(kernel), **kwargs).numpy()
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)


# ------------------------------------------------------------------ errors
def _zeros(*shape):
    return Tensor(np.zeros(shape))


def test_output_padding_not_smaller_than_the_stride_names_both():
    with pytest.raises(ValueError, match=r"output_padding \(2, 1\) must be smaller than strides \(2, 2\) on every "
                                         r"axis, but along the height axis output_padding is 2 and the stride is 2"):
        conv_transpose(_zeros(1, 4, 4, 1), _zeros(3, 3, 1, 1), strides=2, output_padding=(2, 1))
    # With a dilation the stride is 1, so the only output padding is 0.
    with pytest.raises(ValueError, match=r"output_padding \(1,\) must be smaller than strides \(1,\)"):
        conv_transpose(_zeros(1, 4, 1), _zeros(3, 1, 1), dilation_rate=2, output_padding=1)
    with pytest.raises(ValueError, match=r"output_padding must be a non-negative int or a tuple of 2"):
        conv_transpose(_zeros(1, 4, 4, 1), _zeros(3, 3, 1, 1), strides=2, output_padding=-1)


def test_wrong_ranks_name_the_expected_shapes():
    with pytest.raises(ValueError, match=r"conv_transpose: inputs of shape \(28, 28\) have 2 dimension\(s\); "
                                         r"expected 3 \(batch, width, channels\) for 1-D, 4 \(batch, height, width"):
        conv_transpose(_zeros(28, 28), _zeros(3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"kernel of shape \(3, 1, 4\) does not fit inputs of shape \(2, 8, 8, 1\).*"
                                         r"\(kernel_height, kernel_width, filters, in_channels\)"):
        conv_transpose(_zeros(2, 8, 8, 1), _zeros(3, 1, 4))


def test_channel_mismatch_says_the_kernel_layout():
    with pytest.raises(ValueError, match=r"inputs of shape \(2, 4, 4, 3\) have 3 channels .* kernel of shape "
                                         r"\(3, 3, 3, 1\) expects 1 \(its last axis: .*\(\.\.\., filters, in_channels\)"):
        conv_transpose(_zeros(2, 4, 4, 3), _zeros(3, 3, 3, 1))


def test_bias_of_the_wrong_size_and_an_empty_output_are_named():
    with pytest.raises(ValueError, match=r"bias of shape \(1,\) does not fit a kernel of shape \(3, 3, 2, 1\): it "
                                         r"needs one value per filter, shape \(2,\)"):
        conv_transpose(_zeros(1, 4, 4, 1), _zeros(3, 3, 2, 1), bias=_zeros(1))
    with pytest.raises(ValueError, match=r"the output would have 0 positions along the width axis \(input size 1, "
                                         r"kernel size 2, stride 1, output_padding 0, padding='same'\)"):
        conv_transpose(_zeros(1, 1, 1), _zeros(2, 1, 1), padding="same", output_padding=0)
    with pytest.raises(ValueError, match="unknown padding 'full'"):
        conv_transpose(_zeros(1, 4, 1), _zeros(2, 1, 1), padding="full")
