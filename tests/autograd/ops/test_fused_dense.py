"""FusedDense (activation(x @ kernel + bias) as one op): float64 finite differences for
every activation it applies, with and without bias, on (N, d), (N, T, d) and (d,) inputs;
values and gradients equal to the three separate ops; its errors; the Dense layer using it."""

import numpy as np
import pytest

from tinyfit import Tensor, layers, ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.linalg import DENSE_ACTIVATIONS, FusedDense
from tinyfit.utils import set_random_seed

SHAPES = [(5, 3), (2, 4, 3), (3,)]  # (N, d), (N, T, d), one sample without a batch axis
UNITS = 4


def _separate(activation):
    """The same computation from the separate ops (matmul, add, activation)."""
    def run(x, kernel, bias=None):
        z = x @ kernel
        if bias is not None:
            z = z + bias
        return {None: lambda t: t, "relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh}[activation](z)
    return run


def _arrays(shape, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=shape), rng.normal(size=(shape[-1], UNITS)), rng.normal(size=(UNITS,))


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("activation", DENSE_ACTIVATIONS)
def test_fused_dense_gradcheck(activation, use_bias, shape):
    x, kernel, bias = _arrays(shape)
    inputs = [x, kernel, bias] if use_bias else [x, kernel]
    assert gradcheck(lambda *t: FusedDense.apply(*t, activation=activation), inputs)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("use_bias", [True, False])
@pytest.mark.parametrize("activation", DENSE_ACTIVATIONS)
def test_fused_dense_matches_the_separate_ops(activation, use_bias, shape):
    arrays = _arrays(shape, seed=1)[:3 if use_bias else 2]
    results = []
    for f in (lambda *t: FusedDense.apply(*t, activation=activation), _separate(activation)):
        tensors = [Tensor(a, dtype="float64", requires_grad=True) for a in arrays]
        out = f(*tensors)
        (out * Tensor(np.random.default_rng(2).normal(size=out.shape))).sum().backward()
        results.append([out.numpy()] + [t.grad for t in tensors])
    assert results[0][0].shape == shape[:-1] + (UNITS,)
    for fused, separate in zip(*results):
        np.testing.assert_allclose(fused, separate, rtol=1e-12, atol=1e-12)


def test_fused_dense_skips_gradients_nobody_needs():
    x, kernel, bias = _arrays((5, 3))
    data, w, b = Tensor(x), Tensor(kernel, requires_grad=True), Tensor(bias, requires_grad=True)
    FusedDense.apply(data, w, b, activation="relu").sum().backward()
    assert data.grad is None and w.grad.shape == kernel.shape and b.grad.shape == bias.shape


def test_fused_dense_keeps_a_float32_computation_float32():
    x, kernel, bias = (a.astype("float32") for a in _arrays((5, 3)))
    out = FusedDense.apply(Tensor(x), Tensor(kernel), Tensor(bias), activation="tanh")
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.numpy(), np.tanh(x @ kernel + bias), rtol=1e-5)


def test_fused_dense_bad_shapes_and_activation_name_their_facts():
    x, kernel, bias = (Tensor(a) for a in _arrays((5, 3)))
    with pytest.raises(ValueError, match=r"dense: inputs of shape \(5, 2\) and a kernel of shape \(3, 4\)"):
        FusedDense.apply(Tensor(np.ones((5, 2))), kernel, bias)
    with pytest.raises(ValueError, match=r"bias of shape \(3,\) does not fit a kernel of shape \(3, 4\).*\(4,\)"):
        FusedDense.apply(x, kernel, Tensor(np.ones(3)))
    with pytest.raises(ValueError, match=r"activation 'gelu' is not applied inside the op; choose one of"):
        FusedDense.apply(x, kernel, bias, activation="gelu")


# ------------------------------------------------------------------ the Dense layer
@pytest.mark.parametrize("activation, fused", [(None, True), ("relu", True), ("sigmoid", True),
                                               ("tanh", True), ("softmax", False), ("gelu", False)])
def test_dense_layer_is_one_op_for_the_activations_the_op_applies(activation, fused):
    dense = layers.Dense(UNITS, activation=activation)
    out = dense(np.ones((2, 3), dtype="float32"))
    ops_applied, pending = [], [out]
    while pending:  # every op of the graph behind the output
        ctx = pending.pop()._ctx
        if ctx is not None and all(ctx is not seen for seen in ops_applied):
            ops_applied.append(ctx)
            pending.extend(ctx.parents)
    dense_ops = [op for op in ops_applied if isinstance(op, FusedDense)]
    assert len(dense_ops) == 1 and dense_ops[0].activation == (activation if fused else None)
    assert (len(ops_applied) == 1) == fused  # softmax and gelu run as their own ops after it


def test_dense_layer_gradients_match_the_separate_ops_on_a_sequence():
    set_random_seed(3)
    dense = layers.Dense(UNITS, activation="relu", dtype="float64")
    x = np.random.default_rng(4).normal(size=(2, 5, 3))
    dense(x).sum().backward()
    fused = [v.grad.copy() for v in dense.weights]
    for v in dense.weights:
        v.grad = None
    _separate("relu")(Tensor(x, dtype="float64"), dense.kernel, dense.bias).sum().backward()
    for got, expected in zip(fused, [v.grad for v in dense.weights]):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
