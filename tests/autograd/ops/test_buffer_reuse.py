"""Convolution and pooling take their large arrays from the workspace: inside a step
they are lent from its pool, outside one they are fresh. What eager code holds
(outputs, gradients, a graph kept for backward) is never overwritten by later
steps, gradients stay right, and a repeated step makes no new arrays."""

import numpy as np
import pytest

from tinyfit import backend
from tinyfit.autograd import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops import workspace
from tinyfit.autograd.ops.conv import conv
from tinyfit.autograd.ops.pool import average_pool, max_pool


@pytest.fixture
def every_array_kept(monkeypatch):
    """Small test arrays go through the workspace too (normally only large ones do)."""
    monkeypatch.setattr(workspace, "MIN_BYTES", 0)
    workspace.clear()
    yield
    workspace.clear()


def step(x, kernel, bias, padding="valid", pool=max_pool):
    """conv (bias, relu) -> pool -> conv -> sum, forward and backward; returns the output tensors."""
    hidden = conv(x, kernel[0], bias=bias[0], relu=True, padding=padding)
    pooled = pool(hidden, 2, padding=padding)
    out = conv(pooled, kernel[1], bias=bias[1], padding=padding)
    (out * out).sum().backward()
    return hidden, pooled, out


def weights(rng, dtype):
    kernel = [Tensor(rng.standard_normal(s) * 0.3, requires_grad=True, dtype=dtype)
              for s in ((3, 3, 2, 4), (2, 2, 4, 3))]
    bias = [Tensor(rng.standard_normal(s) * 0.1, requires_grad=True, dtype=dtype) for s in ((4,), (3,))]
    return kernel, bias


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool", [max_pool, average_pool])
def test_a_held_step_is_not_overwritten_by_the_next(every_array_kept, padding, pool):
    rng = np.random.default_rng(0)
    kernel, bias = weights(rng, "float32")
    x = Tensor(rng.standard_normal((3, 9, 9, 2)), requires_grad=True, dtype="float32")
    held = step(x, kernel, bias, padding, pool)
    grads = [t.grad for t in (x, *kernel, *bias)]
    copies = [a.numpy().copy() for a in held] + [g.copy() for g in grads]
    for t in (x, *kernel, *bias):
        t.grad = None
    for _ in range(3):  # other data through the same shapes: the same buffers would fit
        with workspace.step():
            step(Tensor(rng.standard_normal(x.shape), requires_grad=True, dtype="float32"), kernel, bias, padding,
                 pool)
    for array, copy in zip([a.numpy() for a in held] + grads, copies):
        np.testing.assert_array_equal(array, copy)


def test_results_with_kept_arrays_equal_results_without(monkeypatch):
    rng = np.random.default_rng(1)
    kernel, bias = weights(rng, "float64")
    x = Tensor(rng.standard_normal((2, 8, 8, 2)), requires_grad=True, dtype="float64")
    runs = []
    for smallest in (1 << 60, 0):  # nothing kept, then everything kept
        monkeypatch.setattr(workspace, "MIN_BYTES", smallest)
        for _ in range(2):  # the second pass meets the first pass's buffers, released
            for t in (x, *kernel, *bias):
                t.grad = None
            with workspace.step():
                outs = step(x, kernel, bias, "same")
                copies = [o.numpy().copy() for o in outs]
        runs.append(copies + [t.grad.copy() for t in (x, *kernel, *bias)])
    for a, b in zip(*runs):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kwargs", [
    dict(padding="same", relu=True),
    dict(strides=2, padding="same"),
    dict(dilation_rate=2),
])
def test_conv_gradchecks_with_every_array_kept(every_array_kept, kwargs):
    rng = np.random.default_rng(2)
    x, kernel, bias = rng.standard_normal((2, 7, 6, 2)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    with workspace.step():
        assert gradcheck(lambda a, w, b: conv(a, w, bias=b, **kwargs), [x, kernel, bias])
        assert gradcheck(lambda a, w: conv(a, w, **kwargs), [x, kernel])


@pytest.mark.parametrize("pool", [max_pool, average_pool])
@pytest.mark.parametrize("window, strides, padding", [(2, None, "valid"), (3, 2, "same"), ((2, 3), 1, "valid")])
def test_pool_gradchecks_with_every_array_kept(every_array_kept, pool, window, strides, padding):
    x = np.random.default_rng(3).permutation(2 * 7 * 6 * 2).reshape(2, 7, 6, 2) * 0.1
    with workspace.step():
        assert gradcheck(lambda a: pool(a, window, strides, padding), [x])


def test_a_kept_graph_backs_up_twice_with_other_steps_in_between(every_array_kept):
    rng = np.random.default_rng(4)
    kernel, bias = weights(rng, "float64")
    x = Tensor(rng.standard_normal((2, 8, 8, 2)), dtype="float64")
    hidden = conv(x, kernel[0], bias=bias[0], relu=True)
    loss = (max_pool(hidden, 2) ** 2).sum()
    loss.backward(retain_graph=True)
    first = kernel[0].grad.copy()
    for _ in range(3):
        kernel[0].grad = None
        with workspace.step():
            step(Tensor(rng.standard_normal(x.shape), dtype="float64"), kernel, bias)
    kernel[0].grad = None
    loss.backward()
    np.testing.assert_allclose(kernel[0].grad, first)


def test_a_repeated_step_makes_no_new_arrays():
    # Sizes of a real convnet layer, so that the default MIN_BYTES applies.
    workspace.clear()
    rng = np.random.default_rng(5)
    kernel = [Tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True) for s in ((3, 3, 1, 16), (3, 3, 16, 8))]
    bias = [Tensor(np.zeros(s, np.float32), requires_grad=True) for s in ((16,), (8,))]
    x = Tensor(rng.standard_normal((32, 20, 20, 1)).astype(np.float32))
    sizes, made = [], []
    for _ in range(4):
        for t in (*kernel, *bias):
            t.grad = None
        with workspace.step():
            step(x, kernel, bias)
        sizes.append(workspace.kept_bytes())
        made.append(workspace._store().made)
    assert sizes[0] > 0 and sizes[1] == sizes[2] == sizes[3]
    assert made[0] > 0 and made[0] == made[1] == made[2] == made[3]
    workspace.clear()


# --------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("shape, padding, pool, window, strides", [
    ((3, 9, 9, 1), "valid", max_pool, 2, None),    # one channel, side-by-side pool with a remainder
    ((3, 10, 8, 2), "same", max_pool, 3, 2),       # padded, overlapping pool
    ((2, 8, 8, 3), "valid", average_pool, 2, None),
])
def test_gpu_conv_and_pool_match_cpu(shape, padding, pool, window, strides):
    # CuPy makes its arrays itself (its own memory pool); the ops' code is the same.
    cp = backend.module_for("gpu")
    rng = np.random.default_rng(6)
    x, kernel, bias = rng.standard_normal(shape), rng.standard_normal((3, 3, shape[-1], 4)), rng.standard_normal(4)
    results = []
    for move in (np.asarray, cp.asarray):
        inputs = [Tensor(move(a), requires_grad=True) for a in (x, kernel, bias)]
        hidden = conv(inputs[0], inputs[1], bias=inputs[2], relu=True, padding=padding)
        out = pool(hidden, window, strides, padding)
        (out * out).sum().backward()
        results.append([backend.to_numpy(a) for a in (out.data, *(t.grad for t in inputs))])
    for cpu, on_gpu in zip(*results):
        np.testing.assert_allclose(on_gpu, cpu, rtol=1e-4, atol=1e-4)


def test_fit_evaluate_and_predict_let_go_of_the_workspace_when_they_end():
    import tinyfit as keras
    from tinyfit import layers

    rng = np.random.default_rng(0)
    x, y = rng.random((64, 12, 12, 1), dtype=np.float32), rng.integers(0, 3, 64)
    model = keras.Sequential([keras.Input((12, 12, 1)), layers.Conv2D(16, 3, activation="relu"),
                              layers.MaxPooling2D(2), layers.Flatten(), layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    kept = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            kept.append(workspace.kept_bytes())

    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[Watch()])
    assert max(kept) > 0  # buffers were kept between steps ...
    assert workspace.kept_bytes() == 0  # ... and given back when fit ended
    model.evaluate(x, y, verbose=0)
    assert workspace.kept_bytes() == 0
    model.predict(x, verbose=0)
    assert workspace.kept_bytes() == 0
