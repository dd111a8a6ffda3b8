"""Behaviour of conv: values against a direct convolution written with loops,
gradients against finite differences, TensorFlow's "same" padding, and errors."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit.autograd import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.conv import conv

SMALL = settings(max_examples=20, deadline=None)


def reference_conv(x, kernel, strides, padding, dilation):
    """Direct channels_last convolution: one multiply-add per (output, tap, channel, filter).

    Out-of-range input positions (the "same" padding) count as zeros. The padding
    before is floor(total / 2), TensorFlow's split.
    """
    n = x.ndim - 2
    batch, *sizes, channels = x.shape
    *window, _, filters = kernel.shape
    outs, befores = [], []
    for size, k, s, d in zip(sizes, window, strides, dilation):
        span = (k - 1) * d + 1
        if padding == "same":
            out = math.ceil(size / s)
            befores.append(max((out - 1) * s + span - size, 0) // 2)
        else:
            out = (size - span) // s + 1
            befores.append(0)
        outs.append(out)
    result = np.zeros([batch, *outs, filters])
    for b in range(batch):
        for o in np.ndindex(*outs):
            for tap in np.ndindex(*window):
                where = [o[i] * strides[i] + tap[i] * dilation[i] - befores[i] for i in range(n)]
                if all(0 <= w < sizes[i] for i, w in enumerate(where)):
                    for c in range(channels):
                        for f in range(filters):
                            result[(b, *o, f)] += x[(b, *where, c)] * kernel[(*tap, c, f)]
    return result


@st.composite
def conv_case(draw, spatial=(1, 2)):
    n = draw(st.sampled_from(spatial))
    padding = draw(st.sampled_from(["valid", "same"]))
    window = tuple(draw(st.integers(1, 3)) for _ in range(n))
    strides = tuple(draw(st.integers(1, 3)) for _ in range(n))
    dilation = tuple(draw(st.integers(1, 2)) for _ in range(n))
    spans = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    sizes = tuple(draw(st.integers(span if padding == "valid" else 1, span + 3)) for span in spans)
    batch, channels, filters = draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(1, 2))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.standard_normal((batch, *sizes, channels))
    kernel = rng.standard_normal((*window, channels, filters))
    # Pass strides/dilation as plain ints when they are all equal, as users usually do.
    as_arg = lambda t: t[0] if len(set(t)) == 1 and draw(st.booleans()) else t  # noqa: E731
    return x, kernel, dict(strides=as_arg(strides), padding=padding, dilation_rate=as_arg(dilation)), \
        (strides, padding, dilation)


@SMALL
@given(case=conv_case())
def test_conv_matches_direct_convolution_and_gradchecks(case):
    x, kernel, kwargs, (strides, padding, dilation) = case
    got = conv(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), **kwargs)
    np.testing.assert_allclose(got.numpy(), reference_conv(x, kernel, strides, padding, dilation), atol=1e-12)
    assert gradcheck(lambda a, w: conv(a, w, **kwargs), [x, kernel])


def test_conv_3d_matches_direct_convolution_and_gradchecks():
    rng = np.random.default_rng(0)
    x, kernel = rng.standard_normal((1, 3, 4, 3, 2)), rng.standard_normal((2, 2, 2, 2, 2))
    for padding in ("valid", "same"):
        got = conv(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), strides=(1, 2, 1), padding=padding)
        np.testing.assert_allclose(got.numpy(), reference_conv(x, kernel, (1, 2, 1), padding, (1, 1, 1)), atol=1e-12)
        assert gradcheck(lambda a, w: conv(a, w, strides=(1, 2, 1), padding=padding), [x, kernel])


def test_same_padding_puts_the_odd_pad_after_as_tensorflow_does():
    x = Tensor(np.arange(1.0, 5.0).reshape(1, 4, 1))
    # Kernel 2: one pad in all, after the input: [1+2, 2+3, 3+4, 4+0].
    np.testing.assert_array_equal(conv(x, Tensor(np.ones((2, 1, 1))), padding="same").numpy().ravel(), [3, 5, 7, 4])
    # Kernel 3: one pad each side: [0+1+2, 1+2+3, 2+3+4, 3+4+0].
    np.testing.assert_array_equal(conv(x, Tensor(np.ones((3, 1, 1))), padding="same").numpy().ravel(), [3, 6, 9, 7])
    # Stride 2 over 5 values with kernel 2: ceil(5/2) = 3 outputs, one pad after: [1+2, 3+4, 5+0].
    x5 = Tensor(np.arange(1.0, 6.0).reshape(1, 5, 1))
    got = conv(x5, Tensor(np.ones((2, 1, 1))), strides=2, padding="SAME")
    np.testing.assert_array_equal(got.numpy().ravel(), [3, 7, 5])


def test_conv_shapes_and_dtype_of_a_typical_layer():
    x = Tensor(np.random.default_rng(1).standard_normal((8, 28, 28, 1)))
    kernel = Tensor(np.random.default_rng(2).standard_normal((3, 3, 1, 16)))
    assert conv(x, kernel).shape == (8, 26, 26, 16)
    assert conv(x, kernel, padding="same").shape == (8, 28, 28, 16)
    assert conv(x, kernel, strides=2, padding="same").shape == (8, 14, 14, 16)
    assert conv(x, kernel, dilation_rate=2).shape == (8, 24, 24, 16)
    assert conv(x, kernel).dtype == np.float32


@pytest.mark.parametrize("wanted", ["inputs", "kernel"])
def test_conv_backward_for_one_input_only(wanted):
    rng = np.random.default_rng(3)
    x, kernel = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((3, 3, 2, 3))
    both = [Tensor(x, requires_grad=True, dtype="float64"), Tensor(kernel, requires_grad=True, dtype="float64")]
    conv(*both, strides=2, padding="same").sum().backward()
    one = [Tensor(x, requires_grad=wanted == "inputs", dtype="float64"),
           Tensor(kernel, requires_grad=wanted == "kernel", dtype="float64")]
    conv(*one, strides=2, padding="same").sum().backward()
    i = 0 if wanted == "inputs" else 1
    np.testing.assert_allclose(one[i].grad, both[i].grad)
    assert one[1 - i].grad is None


def test_conv_agrees_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    x, kernel = rng.standard_normal((2, 7, 6, 3)), rng.standard_normal((3, 2, 3, 4))
    expected = torch.nn.functional.conv2d(torch.tensor(x).permute(0, 3, 1, 2), torch.tensor(kernel).permute(3, 2, 0, 1),
                                          stride=(2, 1), dilation=(1, 2)).permute(0, 2, 3, 1)
    got = conv(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), strides=(2, 1), dilation_rate=(1, 2))
    np.testing.assert_allclose(got.numpy(), expected.numpy(), atol=1e-12)


# ------------------------------------------------------------------ errors
def _zeros(*shape):
    return Tensor(np.zeros(shape))


def test_channel_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"conv: inputs of shape \(8, 28, 28, 3\) have 3 channels .* kernel of "
                                         r"shape \(3, 3, 1, 16\) expects 1"):
        conv(_zeros(8, 28, 28, 3), _zeros(3, 3, 1, 16))


def test_wrong_ranks_are_named():
    with pytest.raises(ValueError, match=r"inputs of shape \(28, 28\) have 2 dimension\(s\); expected 3 "
                                         r"\(batch, width, channels\) for 1-D, 4 \(batch, height, width, channels\)"):
        conv(_zeros(28, 28), _zeros(3, 3, 1, 1))
    with pytest.raises(ValueError, match=r"kernel of shape \(3, 1, 4\) does not fit inputs of shape \(2, 8, 8, 1\).*"
                                         r"\(kernel_height, kernel_width, in_channels, filters\)"):
        conv(_zeros(2, 8, 8, 1), _zeros(3, 1, 4))


def test_channels_first_is_refused_with_the_transpose_to_use():
    with pytest.raises(ValueError, match=r"only data_format='channels_last' is supported.*"
                                         r"ops\.transpose\(x, \(0, 2, 3, 1\)\)"):
        conv(_zeros(2, 1, 8, 8), _zeros(3, 3, 1, 4), data_format="channels_first")
    with pytest.raises(ValueError, match="unknown data_format 'NHWC'"):
        conv(_zeros(2, 8, 8, 1), _zeros(3, 3, 1, 4), data_format="NHWC")


def test_kernel_larger_than_input_is_named():
    with pytest.raises(ValueError, match=r"kernel spans 5 along the width axis but the input has only 4 there "
                                         r"\(padding='valid'\). Use padding='same'"):
        conv(_zeros(1, 8, 4, 1), _zeros(3, 5, 1, 1))
    with pytest.raises(ValueError, match=r"spans 5 \(kernel size 3, dilation 2\) along the height axis.*only 4"):
        conv(_zeros(1, 4, 8, 1), _zeros(3, 3, 1, 1), dilation_rate=2)


def test_unknown_padding_lists_the_choices():
    with pytest.raises(ValueError, match=r"unknown padding 'full'; choose one of \('valid', 'same'\)"):
        conv(_zeros(1, 8, 1), _zeros(3, 1, 1), padding="full")


@pytest.mark.parametrize("name, value", [("strides", 0), ("strides", (1, 2, 3)), ("dilation_rate", 1.5)])
def test_bad_strides_and_dilation_are_named(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a positive int or a tuple of 2 positive ints"):
        conv(_zeros(1, 8, 8, 1), _zeros(3, 3, 1, 1), **{name: value})


def test_empty_spatial_axes_are_refused():
    with pytest.raises(ValueError, match="only the batch axis may have size 0"):
        conv(_zeros(1, 0, 1), _zeros(1, 1, 1), padding="same")


def test_numpy_integers_are_accepted_as_strides():
    x, kernel = _zeros(1, 8, 8, 1), _zeros(3, 3, 1, 1)
    assert conv(x, kernel, strides=np.int64(2), dilation_rate=(np.int32(1), 2)).shape == (1, 3, 2, 1)


def test_conv_with_a_bias_adds_it_per_filter_and_gradchecks():
    rng = np.random.default_rng(5)
    x, kernel, bias = rng.standard_normal((2, 6, 5, 2)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    got = conv(Tensor(x, dtype="float64"), Tensor(kernel, dtype="float64"), padding="same", bias=Tensor(bias, dtype="float64"))
    np.testing.assert_allclose(got.numpy(), reference_conv(x, kernel, (1, 1), "same", (1, 1)) + bias, atol=1e-12)
    assert gradcheck(lambda a, w, b: conv(a, w, strides=2, bias=b), [x, kernel, bias])
    with pytest.raises(ValueError, match=r"bias of shape \(2,\) does not fit a kernel of shape \(3, 2, 2, 3\): it needs "
                                         r"one value per filter, shape \(3,\)"):
        conv(Tensor(x), Tensor(kernel), bias=Tensor(np.zeros(2)))


def test_conv_with_relu_inside_equals_relu_after_and_gradchecks():
    rng = np.random.default_rng(6)
    x, kernel, bias = rng.standard_normal((2, 5, 5, 2)), rng.standard_normal((2, 2, 2, 3)), rng.standard_normal(3)
    as64 = [Tensor(a, dtype="float64") for a in (x, kernel, bias)]
    fused = conv(as64[0], as64[1], bias=as64[2], relu=True).numpy()
    np.testing.assert_array_equal(fused, np.maximum(conv(*as64[:2], bias=as64[2]).numpy(), 0))
    assert (fused == 0).any() and (fused > 0).any()  # both sides of the kink are exercised
    assert gradcheck(lambda a, w, b: conv(a, w, bias=b, relu=True), [x, kernel, bias])


def test_a_kept_graph_backs_up_twice_with_other_convs_in_between():
    # The im2col matrix goes back to the workspace only when the graph lets go of
    # the op, so convolutions run between two backward passes cannot overwrite it.
    rng = np.random.default_rng(7)
    x, kernel = rng.standard_normal((2, 6, 6, 2)), rng.standard_normal((3, 3, 2, 4))
    w = Tensor(kernel, requires_grad=True, dtype="float64")
    loss = conv(Tensor(x, dtype="float64"), w, relu=True).sum()
    loss.backward(retain_graph=True)
    first = w.grad.copy()
    for _ in range(3):
        conv(Tensor(rng.standard_normal(x.shape), dtype="float64"), Tensor(kernel, dtype="float64"), relu=True)
        conv(Tensor(rng.standard_normal(x.shape), dtype="float64"), w, relu=True).sum().backward()
    w.grad = None
    loss.backward()
    np.testing.assert_allclose(w.grad, first)


@pytest.mark.parametrize("kernel_shape", [(1, 1, 1, 4), (3, 3, 2, 2)])  # fewer, then more, matrix columns than filters
def test_kernel_and_bias_gradients_for_narrow_and_wide_im2col_matrices(kernel_shape):
    # The kernel gradient is one product, made in whichever order BLAS runs faster:
    # both orders are exercised here.
    rng = np.random.default_rng(8)
    x, kernel, bias = rng.standard_normal((2, 5, 5, kernel_shape[2])), rng.standard_normal(kernel_shape), \
        rng.standard_normal(kernel_shape[-1])
    assert gradcheck(lambda a, w, b: conv(a, w, bias=b, relu=True), [x, kernel, bias])
    assert gradcheck(lambda a, w: conv(a, w), [x, kernel])


@pytest.mark.parametrize("channels, filters, kwargs", [
    (1, 8, dict(padding="same", relu=True)),  # a matrix narrower than the output: backward in pieces too
    (3, 4, dict(strides=2, padding="same")),
    (2, 4, dict(dilation_rate=2, relu=True)),
])
def test_the_work_done_a_few_images_or_rows_at_a_time_gives_the_same_results(monkeypatch, channels, filters,
                                                                               kwargs):
    # conv writes and multiplies the im2col matrix in pieces of a few images, and a narrow
    # matrix's relu mask and kernel product in pieces of rows; pieces of one image or one
    # row must give what one piece for the whole batch gives.
    from tinyfit.autograd.ops import conv as conv_module

    rng = np.random.default_rng(9)
    x, kernel, bias = rng.standard_normal((3, 7, 6, channels)), rng.standard_normal((3, 2, channels, filters)), \
        rng.standard_normal(filters)
    results = []
    for piece in (1 << 40, 1):
        monkeypatch.setattr(conv_module, "_PIECE_BYTES", piece)
        monkeypatch.setattr(conv_module, "_MASK_PIECE_BYTES", piece)
        tensors = [Tensor(a, requires_grad=True, dtype="float64") for a in (x, kernel, bias)]
        out = conv(tensors[0], tensors[1], bias=tensors[2], **kwargs)
        (out * out).sum().backward()
        results.append([out.numpy().copy()] + [t.grad.copy() for t in tensors])
    for whole, pieces in zip(*results):
        np.testing.assert_allclose(pieces, whole, rtol=1e-12, atol=1e-12)
    assert gradcheck(lambda a, w, b: conv(a, w, bias=b, **kwargs), [x, kernel, bias])
