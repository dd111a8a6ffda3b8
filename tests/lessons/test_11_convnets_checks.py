"""Lesson 11's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

import math
import threading
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "11_convnets.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


def test_the_lesson_ran_and_the_convnet_won(ns):
    assert ns["accuracy"]["cnn"] > ns["accuracy"]["mlp"]


@pytest.mark.parametrize("check", ["check_output_size", "check_max_pool", "check_conv2d_params"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("marker", ["def output_size(", "def max_pool(", "def conv2d_params("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)  # the answer, then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _span(k, d):
    return (k - 1) * d + 1


def _valid(size, k, s, d=1):
    return (size - _span(k, d)) // s + 1


def _same(size, k, s, d=1):
    return -(-size // s)


def _right(size, k, s, p, d=1):
    return _valid(size, k, s, d) if p == "valid" else _same(size, k, s, d)


WRONG_OUTPUT_SIZES = {
    "valid off by one": lambda size, k, s, p, d=1: (size - _span(k, d)) // s if p == "valid" else _same(size, k, s),
    "valid plus one more": lambda size, k, s, p, d=1: _right(size, k, s, p, d) + (p == "valid"),
    "same keeps the size whatever the stride": lambda size, k, s, p, d=1: _valid(size, k, s, d) if p == "valid"
    else size,
    "same rounds down": lambda size, k, s, p, d=1: _valid(size, k, s, d) if p == "valid" else size // s,
    "same uses the kernel": lambda size, k, s, p, d=1: _valid(size, k, s, d) if p == "valid"
    else (size - 1) // s + k // 2,
    "same as valid with the kernel's half padded": lambda size, k, s, p, d=1: _valid(size, k, s, d) if p == "valid"
    else (size + 2 * (k // 2) - k) // s + 1,
    "same depends on the dilation": lambda size, k, s, p, d=1: _valid(size, k, s, d) if p == "valid"
    else -(-(size - d + 1) // s),
    "a float division": lambda size, k, s, p, d=1: (size - _span(k, d)) / s + 1 if p == "valid"
    else _same(size, k, s),
    "a float from math.ceil's cousin": lambda size, k, s, p, d=1: float(_right(size, k, s, p, d)),
    "dilation ignored": lambda size, k, s, p, d=1: _right(size, k, s, p, 1),
    "dilation multiplies the kernel": lambda size, k, s, p, d=1: (size - k * d) // s + 1 if p == "valid"
    else _same(size, k, s),
    "no default for the dilation": lambda size, k, s, p, d: _right(size, k, s, p, d),
    "the exercise's example hard-coded": lambda size, k, s, p, d=1: 4,
    "a table of the lesson's sizes": lambda size, k, s, p, d=1: {28: 26, 26: 24}.get(size, _same(size, 3, 1)),
}


@pytest.mark.parametrize("mistake", [m for m in WRONG_OUTPUT_SIZES if m != "no default for the dilation"])
def test_output_size_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_output_size"](WRONG_OUTPUT_SIZES[mistake])


def test_output_size_check_calls_without_a_dilation(ns):
    # output_size(size, k, s, padding) is one of the calls: Python itself says what is missing
    with pytest.raises(TypeError, match="missing 1 required positional argument"):
        ns["check_output_size"](WRONG_OUTPUT_SIZES["no default for the dilation"])


def test_output_size_check_says_what_is_wrong_without_the_answer(ns):
    with pytest.raises(AssertionError, match="which is not it. Draw the"):
        ns["check_output_size"](WRONG_OUTPUT_SIZES["same rounds down"])
    with pytest.raises(AssertionError, match="a number of positions is an int"):
        ns["check_output_size"](WRONG_OUTPUT_SIZES["a float division"])


def test_output_size_check_rejects_asking_the_library(ns):
    Conv2D = ns["layers"].Conv2D

    def from_library(size, k, s, p, d=1):
        return Conv2D(1, k, strides=s, padding=p, dilation_rate=d).compute_output_shape((1, size, size, 1))[1]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_output_size"](from_library)


def test_output_size_check_rejects_the_library_called_from_a_thread(ns):
    Conv2D, result = ns["layers"].Conv2D, {}

    def from_library(size, k, s, p, d=1):
        def work():
            result["n"] = Conv2D(1, k, strides=s, padding=p, dilation_rate=d).compute_output_shape(
                (1, size, size, 1))[1]

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return result["n"]

    with pytest.raises(AssertionError, match=r"called tinyfit .* \(from thread"):
        ns["check_output_size"](from_library)


def test_output_size_check_accepts_other_correct_forms(ns, capsys):
    ns["check_output_size"](lambda size, k, s, p, d=1: math.floor((size - (k - 1) * d - 1) / s) + 1
                            if p == "valid" else math.ceil(size / s))

    def by_counting(size, kernel_size, stride, padding, dilation=1):
        span = (kernel_size - 1) * dilation + 1
        last = size - span if padding == "valid" else size - 1
        return np.int64(len(range(0, last + 1, stride)))  # a NumPy integer is an int too

    ns["check_output_size"](by_counting)
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ exercise 2
def _pool_loops(x, pool, stride, reduce=np.max, cut=0, dtype=None):
    n, h, w, c = x.shape
    out_h, out_w = (h - pool) // stride + 1 - cut, (w - pool) // stride + 1 - cut
    out = np.empty((n, out_h, out_w, c), dtype=dtype or x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[:, i, j, :] = reduce(x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :], axis=(1, 2))
    return out


def _reshape_pool(x):
    n, h, w, c = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


def _zero_start(x, pool, stride):  # a running maximum that starts at 0 instead of the first value
    out = np.zeros_like(_pool_loops(x, pool, stride))
    for a in range(pool):
        for b in range(pool):
            out = np.maximum(out, x[:, a:a + (out.shape[1] - 1) * stride + 1:stride,
                                    b:b + (out.shape[2] - 1) * stride + 1:stride])
    return out


def _contiguous_strides(x, pool, stride):  # a strided view that assumes a fresh C-ordered array
    n, h, w, c = x.shape
    out_h, out_w = (h - pool) // stride + 1, (w - pool) // stride + 1
    item = x.itemsize
    steps = (h * w * c * item, w * c * item, c * item, item)
    windows = np.lib.stride_tricks.as_strided(
        x, shape=(n, out_h, out_w, pool, pool, c),
        strides=(steps[0], steps[1] * stride, steps[2] * stride, steps[1], steps[2], steps[3]))
    return windows.max(axis=(3, 4))


def _in_place(x, pool, stride):
    out = _pool_loops(x, pool, stride)
    x[:, :out.shape[1], :out.shape[2]] = out  # keeps the result in the caller's array
    return out


def _swapped_axes(x, pool, stride):  # the output's rows and columns exchanged
    return _pool_loops(x, pool, stride).transpose(0, 2, 1, 3)


def _every_start_inside(x, pool, stride):  # a window at every start inside the image, cut at the edge
    n, h, w, c = x.shape
    out_h, out_w = (h - 1) // stride + 1, (w - 1) // stride + 1
    out = np.empty((n, out_h, out_w, c), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[:, i, j, :] = x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :].max(axis=(1, 2))
    return out


WRONG_POOLS = {
    "the 2x2 reshape whatever the arguments": lambda x, pool, stride: _reshape_pool(x),
    "one position too few": lambda x, pool, stride: _pool_loops(x, pool, stride, cut=1),
    "the average": lambda x, pool, stride: _pool_loops(x, pool, stride, reduce=np.mean),
    "the maximum over the channels too": lambda x, pool, stride: _pool_loops(x, pool, stride).max(
        axis=-1, keepdims=True).repeat(x.shape[-1], axis=-1),
    "the maximum over the batch too": lambda x, pool, stride: _pool_loops(x, pool, stride).max(
        axis=0, keepdims=True).repeat(x.shape[0], axis=0),
    "windows moving by the pool size": lambda x, pool, stride: _pool_loops(x, pool, pool),
    "windows moving by 1": lambda x, pool, stride: _pool_loops(x, pool, 1),
    "a running maximum from 0": _zero_start,
    "a strided view with the strides of a fresh array": _contiguous_strides,
    "height and width swapped": _swapped_axes,
    "windows cut at the edge counted": _every_start_inside,
    "writes into the caller's array": _in_place,
    "float32 whatever the input": lambda x, pool, stride: _pool_loops(x, pool, stride, dtype="float32"),
    "an int array": lambda x, pool, stride: _pool_loops(x, pool, stride, dtype="int64"),
    "a list": lambda x, pool, stride: _pool_loops(x, pool, stride).tolist(),
    "only the first row of each window": lambda x, pool, stride: _pool_loops(x[:, :, :, :], 1, stride)[
        :, :(x.shape[1] - pool) // stride + 1, :(x.shape[2] - pool) // stride + 1],
}


@pytest.mark.parametrize("mistake", list(WRONG_POOLS))
def test_max_pool_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_max_pool"](WRONG_POOLS[mistake])


def test_max_pool_check_names_the_mistakes(ns):
    with pytest.raises(AssertionError, match="changed the array it was given"):
        ns["check_max_pool"](_in_place)
    with pytest.raises(AssertionError, match="keep x's values"):
        ns["check_max_pool"](WRONG_POOLS["float32 whatever the input"])
    with pytest.raises(AssertionError, match="which is not it. How many windows"):
        ns["check_max_pool"](WRONG_POOLS["one position too few"])


def test_max_pool_check_rejects_the_library_layer(ns):
    MaxPooling2D = ns["layers"].MaxPooling2D
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_max_pool"](lambda x, pool, stride: MaxPooling2D(pool, strides=stride)(x).numpy().astype(x.dtype))


def test_max_pool_check_accepts_other_correct_forms(ns, capsys):
    ns["check_max_pool"](_pool_loops)

    def by_view(x, pool_size, stride):
        windows = np.lib.stride_tricks.sliding_window_view(x, (pool_size, pool_size), axis=(1, 2))
        return windows[:, ::stride, ::stride].max(axis=(-2, -1))

    ns["check_max_pool"](by_view)
    ns["check_max_pool"](lambda x, pool, stride: _pool_loops(x, pool, stride, dtype="float64"))  # wider is fine
    assert capsys.readouterr().out.count("Well done") == 3


# ------------------------------------------------------------ exercise 3
WRONG_PARAMS = {
    "no bias": lambda k, c, f, use_bias=True: k * k * c * f,
    "bias even when use_bias is False": lambda k, c, f, use_bias=True: k * k * c * f + f,
    "one input channel": lambda k, c, f, use_bias=True: k * k * f + (f if use_bias else 0),
    "a bias per weight": lambda k, c, f, use_bias=True: 2 * k * k * c * f if use_bias else k * k * c * f,
    "k instead of k * k": lambda k, c, f, use_bias=True: k * c * f + (f if use_bias else 0),
    "a bias per input channel": lambda k, c, f, use_bias=True: k * k * c * f + (c if use_bias else 0),
    "use_bias off by default": lambda k, c, f, use_bias=False: k * k * c * f + (f if use_bias else 0),
    "a bias per kernel tap": lambda k, c, f, use_bias=True: k * k * c * f + (k * k * f if use_bias else 0),
    "the lesson's first layer hard-coded": lambda k, c, f, use_bias=True: 160,
    "filters and channels confused in the bias": lambda k, c, f, use_bias=True: k * k * c * f + (c * f if use_bias
                                                                                                 else 0),
    "a string": lambda k, c, f, use_bias=True: str(k * k * c * f + (f if use_bias else 0)),
}


@pytest.mark.parametrize("mistake", list(WRONG_PARAMS))
def test_conv2d_params_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_conv2d_params"](WRONG_PARAMS[mistake])


def test_conv2d_params_check_rejects_counting_with_the_library(ns):
    Conv2D = ns["layers"].Conv2D

    def from_library(k, c, f, use_bias=True):
        layer = Conv2D(f, k, use_bias=use_bias)
        layer.build((None, 8, 8, c))
        return layer.count_params()

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_conv2d_params"](from_library)


def test_conv2d_params_check_accepts_other_correct_forms(ns, capsys):
    ns["check_conv2d_params"](lambda k, c, f, use_bias=True: int(np.prod((k, k, c, f))) + f * bool(use_bias))
    ns["check_conv2d_params"](lambda k, c, f, use_bias=True: float((k ** 2 * c + use_bias) * f))
    assert capsys.readouterr().out.count("Well done") == 2


# ------------------------------------------------------------ the hand-built pieces
def test_hand_convolutions_agree_on_more_channels_and_strides(ns):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 10, 9, 4)).astype("float32")
    kernel = rng.normal(size=(3, 2, 4, 5)).astype("float32")
    bias = rng.normal(size=5).astype("float32")
    for stride in (1, 2, 3):
        np.testing.assert_allclose(ns["conv2d_im2col"](x, kernel, bias, stride),
                                   ns["conv2d_loops"](x, kernel, bias, stride), rtol=1e-4, atol=1e-5)
