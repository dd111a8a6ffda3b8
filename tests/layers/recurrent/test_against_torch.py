"""SimpleRNN, LSTM and GRU against PyTorch's nn.RNN, nn.LSTM and nn.GRU with copied weights:
outputs, final states, and the gradients of the weights, the inputs and the initial states.

Where the formulas differ: PyTorch adds two biases (b_ih and b_hh) where Keras's SimpleRNN and
LSTM have one (so b_hh = 0 here); PyTorch's GRU orders its gates r, z, n where Keras's are z, r, h,
and computes n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), which is Keras's reset_after=True
(Keras's reset_after=False has no PyTorch counterpart: it is tested against Keras)."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.autograd.tensor import Tensor

torch = pytest.importorskip("torch")

B, T, F, U = 3, 6, 4, 5


def torch_weights(kind, kernel, rkernel, bias):
    """(weight_ih, weight_hh, bias_ih, bias_hh) in PyTorch's layout, from Keras's weights."""
    if kind == "gru":
        order = lambda a: np.concatenate([a[..., U:2 * U], a[..., :U], a[..., 2 * U:]], axis=-1)  # z,r,h -> r,z,n
        return order(kernel).T, order(rkernel).T, order(bias[0]), order(bias[1])
    return kernel.T, rkernel.T, bias, np.zeros_like(bias)


def make_torch(kind, weights):
    module = {"simple_rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](
        F, U, batch_first=True).double()
    with torch.no_grad():
        for name, value in zip(("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"), weights):
            getattr(module, name).copy_(torch.from_numpy(np.ascontiguousarray(value)))
    return module


def make_tinyfit(kind, unroll):
    cls = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}[kind]
    return cls(U, return_sequences=True, return_state=True, dtype="float64", unroll=unroll)


@pytest.mark.parametrize("unroll", [False, True], ids=["fused", "unrolled"])
@pytest.mark.parametrize("kind", ["simple_rnn", "lstm", "gru"])
def test_outputs_states_and_gradients_match(kind, unroll):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(B, T, F))
    n_states = 2 if kind == "lstm" else 1
    initial = [rng.normal(size=(B, U)) for _ in range(n_states)]
    layer = make_tinyfit(kind, unroll)
    layer.build((B, T, F))
    kernel, rkernel, bias = layer.get_weights()
    layer.set_weights([kernel, rkernel, rng.normal(size=bias.shape)])  # a nonzero bias, both rows for the GRU
    kernel, rkernel, bias = layer.get_weights()

    xt = Tensor(x, dtype="float64", requires_grad=True)
    states_t = [Tensor(s, dtype="float64", requires_grad=True) for s in initial]
    out, *final = layer(xt, initial_state=states_t)
    w_out, w_state = rng.normal(size=out.shape), rng.normal(size=(B, U))
    loss = (out * Tensor(w_out, dtype="float64")).sum() + (final[-1] * Tensor(w_state, dtype="float64")).sum()
    loss.backward()

    module = make_torch(kind, torch_weights(kind, kernel, rkernel, bias))
    xr = torch.tensor(x, requires_grad=True)
    hr = [torch.tensor(s[None], requires_grad=True) for s in initial]
    out_r, final_r = module(xr, tuple(hr) if kind == "lstm" else hr[0])
    final_r = list(final_r) if kind == "lstm" else [final_r]
    loss_r = (out_r * torch.from_numpy(w_out)).sum() + (final_r[-1][0] * torch.from_numpy(w_state)).sum()
    loss_r.backward()

    np.testing.assert_allclose(out.numpy(), out_r.detach().numpy(), rtol=1e-9, atol=1e-10)
    for mine, theirs in zip(final, final_r):
        np.testing.assert_allclose(mine.numpy(), theirs[0].detach().numpy(), rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(xt.grad, xr.grad.numpy(), rtol=1e-8, atol=1e-10)
    for mine, theirs in zip(states_t, hr):
        np.testing.assert_allclose(mine.grad, theirs.grad[0].numpy(), rtol=1e-8, atol=1e-10)
    grads = [w.grad for w in layer.trainable_weights]
    # Back to Keras's layout: transpose, and for the GRU reorder r, z, n -> z, r, h.
    g_ih, g_hh = module.weight_ih_l0.grad.numpy().T, module.weight_hh_l0.grad.numpy().T
    g_bih, g_bhh = module.bias_ih_l0.grad.numpy(), module.bias_hh_l0.grad.numpy()
    if kind == "gru":
        back = lambda a: np.concatenate([a[..., U:2 * U], a[..., :U], a[..., 2 * U:]], axis=-1)  # its own inverse
        expected = [back(g_ih), back(g_hh), np.stack([back(g_bih), back(g_bhh)])]
    else:
        expected = [g_ih, g_hh, g_bih]  # Keras's one bias is both of PyTorch's: their gradients are equal
    for mine, theirs in zip(grads, expected):
        np.testing.assert_allclose(mine, theirs, rtol=1e-8, atol=1e-10)
