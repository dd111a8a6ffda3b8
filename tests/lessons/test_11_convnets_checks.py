"""Lesson 11's exercise checks reject typical wrong answers and accept the reference solutions.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "11_convnets.ipynb"


def test_the_lesson_ran_and_the_convnet_won(ns):
    assert ns["accuracy"]["cnn"] > ns["accuracy"]["mlp"]


@pytest.mark.parametrize("check", ["check_output_size", "check_max_pool", "check_conv2d_params"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("name", ["output_size", "max_pool", "conv2d_params"])
def test_the_reference_solutions_pass(run_solution, name, capsys):
    run_solution(f"def {name}(")  # each solution cell calls its check
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _valid(size, k, s):
    return (size - k) // s + 1


def _same(size, k, s):
    return -(-size // s)


WRONG_OUTPUT_SIZES = {
    "valid off by one": lambda size, k, s, p: (size - k) // s if p == "valid" else _same(size, k, s),
    "same keeps the size whatever the stride": lambda size, k, s, p: _valid(size, k, s) if p == "valid" else size,
    "same rounds down": lambda size, k, s, p: _valid(size, k, s) if p == "valid" else size // s,
    "same uses the kernel": lambda size, k, s, p: _valid(size, k, s) if p == "valid" else (size - 1) // s + k // 2,
    "a float division": lambda size, k, s, p: (size - k) / s + 1 if p == "valid" else _same(size, k, s),
}


@pytest.mark.parametrize("mistake", list(WRONG_OUTPUT_SIZES))
def test_output_size_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_output_size"](WRONG_OUTPUT_SIZES[mistake])


def test_output_size_check_rejects_asking_the_library(ns):
    Conv2D = ns["layers"].Conv2D

    def from_library(size, k, s, p):
        return Conv2D(1, k, strides=s, padding=p).compute_output_shape((1, size, size, 1))[1]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_output_size"](from_library)


def test_output_size_check_accepts_another_correct_form(ns, capsys):
    import math

    ns["check_output_size"](lambda size, k, s, p: math.floor((size - k) / s) + 1 if p == "valid"
                            else math.ceil(size / s))
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _pool_loops(x, pool, stride, reduce=np.max, cut=0):
    n, h, w, c = x.shape
    out_h, out_w = (h - pool) // stride + 1 - cut, (w - pool) // stride + 1 - cut
    out = np.empty((n, out_h, out_w, c), dtype=x.dtype)
    for i in range(out_h):
        for j in range(out_w):
            out[:, i, j, :] = reduce(x[:, i * stride:i * stride + pool, j * stride:j * stride + pool, :], axis=(1, 2))
    return out


WRONG_POOLS = {
    "the 2x2 reshape whatever the arguments": lambda x, pool, stride: _reshape_pool(x),
    "one position too few": lambda x, pool, stride: _pool_loops(x, pool, stride, cut=1),
    "the average": lambda x, pool, stride: _pool_loops(x, pool, stride, reduce=np.mean),
    "the maximum over the channels too": lambda x, pool, stride: _pool_loops(x, pool, stride).max(
        axis=-1, keepdims=True).repeat(x.shape[-1], axis=-1),
    "windows moving by the pool size": lambda x, pool, stride: _pool_loops(x, pool, pool),
}


def _reshape_pool(x):
    n, h, w, c = x.shape
    return x[:, :h // 2 * 2, :w // 2 * 2].reshape(n, h // 2, 2, w // 2, 2, c).max(axis=(2, 4))


@pytest.mark.parametrize("mistake", list(WRONG_POOLS))
def test_max_pool_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_max_pool"](WRONG_POOLS[mistake])


def test_max_pool_check_rejects_the_library_layer(ns):
    MaxPooling2D = ns["layers"].MaxPooling2D
    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_max_pool"](lambda x, pool, stride: MaxPooling2D(pool, strides=stride)(x).numpy())


def test_max_pool_check_accepts_a_correct_loop(ns, capsys):
    ns["check_max_pool"](_pool_loops)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
WRONG_PARAMS = {
    "no bias": lambda k, c, f, use_bias=True: k * k * c * f,
    "bias even when use_bias is False": lambda k, c, f, use_bias=True: k * k * c * f + f,
    "one input channel": lambda k, c, f, use_bias=True: k * k * f + (f if use_bias else 0),
    "a bias per weight": lambda k, c, f, use_bias=True: 2 * k * k * c * f if use_bias else k * k * c * f,
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


# ------------------------------------------------------------ the hand-built pieces
def test_hand_convolutions_agree_on_more_channels_and_strides(ns):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(3, 10, 9, 4)).astype("float32")
    kernel = rng.normal(size=(3, 2, 4, 5)).astype("float32")
    bias = rng.normal(size=5).astype("float32")
    for stride in (1, 2, 3):
        np.testing.assert_allclose(ns["conv2d_im2col"](x, kernel, bias, stride),
                                   ns["conv2d_loops"](x, kernel, bias, stride), rtol=1e-4, atol=1e-5)
