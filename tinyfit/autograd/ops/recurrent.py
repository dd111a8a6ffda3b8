"""One time step of SimpleRNN, LSTM and GRU, each as one op (forward and backward together).

A recurrent layer projects the inputs of all its time steps at once,
`xproj = inputs @ kernel + bias`, laid out time first: (time, batch, gates).
Each step then applies one op to the whole `xproj`, the previous state and the
recurrent kernel, with its time index `t`:

    new_state = Step.apply(xproj, state, recurrent_kernel, [recurrent_bias], [mask], [recurrent_mask], t=t, ...)

The state is one array per step, (batch, units), or (batch, 2 * units) for an
LSTM, whose h and c sit side by side.

Why every step takes the whole `xproj` and not its slice `xproj[t]`: a slice's
backward returns a gradient the size of the whole sequence, and T of them
would be added up, T times the work of the sequence itself. Instead the steps
of one sequence share an `InputGradients`: step t writes its gradient into row
t, and the first step, whose backward runs last (every later step depends on
it), hands the filled array back as `xproj`'s gradient; the others return None.

Masks (a boolean (time, batch) tensor, True where a step is real) keep the
previous state where a step is masked. Recurrent dropout multiplies the state
by a fixed (batch, units) mask where it meets the recurrent kernel.
"""

from __future__ import annotations

from typing import Any

from ... import backend
from ..function import Function


def _sigmoid(xp, z):
    return 0.5 * (1 + xp.tanh(0.5 * z))  # the tanh form never overflows


# The activations a step applies itself, each with its derivative read off its output.
ACTIVATIONS = {
    "tanh": (lambda xp, z: xp.tanh(z), lambda y: 1 - y * y),
    "sigmoid": (_sigmoid, lambda y: y * (1 - y)),
    "relu": (lambda xp, z: xp.maximum(z, 0), lambda y: (y > 0).astype(y.dtype)),
    "linear": (lambda xp, z: z, lambda y: 1),
}


class InputGradients:
    """Where the steps of one sequence put their gradients for the projected inputs."""

    def __init__(self) -> None:
        self.array = None
        self.transposed: dict = {}  # the recurrent kernel's blocks, transposed once per backward pass

    def transpose(self, key: str, array: Any) -> Any:
        """array.T laid out contiguously: matmul by a transposed view can be many times slower."""
        found = self.transposed.get(key)
        if found is None:
            found = self.transposed[key] = backend.array_module(array).ascontiguousarray(array.T)
        return found

    def row(self, t: int, like: Any, shape: tuple) -> Any:
        if self.array is None:  # zeros: a step whose output nothing used writes nothing
            self.array = backend.array_module(like).zeros(shape, dtype=like.dtype)
        return self.array[t]

    def hand_back(self) -> Any:
        array, self.array = self.array, None  # the next backward pass starts afresh
        return array

    # Two recordings of the same step are the same computation whichever holder each used.
    def __eq__(self, other: Any) -> bool:
        return type(other) is InputGradients

    __hash__ = object.__hash__


class _Step(Function):
    """The bookkeeping all steps share: the optional inputs, masks, recurrent dropout, xproj's gradient.

    A subclass writes `cell(x_t, state, h_in, rkernel, rbias)` -> new state and
    `cell_backward(g)` -> (d_x_t, d_state, d_h_in, d_rkernel, d_rbias), where
    h_in is the state's h as it meets the recurrent kernel (after dropout) and
    d_state is the gradient reaching the state other than through h_in.
    """

    def forward(self, xproj, state, rkernel, *rest, t, grads, units, activation="tanh",
                recurrent_activation="sigmoid", recurrent_bias=False, masked=False, recurrent_dropout=False):
        if xproj.ndim != 3 or state.ndim != 2 or xproj.shape[1] != state.shape[0]:
            raise ValueError(
                f"{self.name}: projected inputs of shape {xproj.shape} (time, batch, gates) and a state of "
                f"shape {state.shape} (batch, size) do not fit: both need the same batch size."
            )
        xp = backend.array_module(xproj)
        rest = list(rest)
        rbias = rest.pop(0) if recurrent_bias else None
        self.mask = rest.pop(0)[t][:, None] if masked else None
        self.rec_mask = rest.pop(0) if recurrent_dropout else None
        self.xp, self.t, self.grads, self.units, self.xshape = xp, t, grads, units, xproj.shape
        self.act, self.d_act = ACTIVATIONS[activation]
        self.ract, self.d_ract = ACTIVATIONS[recurrent_activation]
        h = state[:, :units]
        h_in = h if self.rec_mask is None else h * self.rec_mask
        new = self.cell(xproj[t], state, h_in, rkernel, rbias)
        if self.mask is not None:
            new = xp.where(self.mask, new, state)
        return new

    def backward(self, g):
        needs = self.needs_grad
        mask = self.mask
        if mask is not None:
            kept = g * ~mask
            g = g * mask
        d_x, d_state, d_h_in, d_rk, d_rb = self.cell_backward(g)
        if self.rec_mask is not None:
            d_h_in = d_h_in * self.rec_mask
        d_state[:, :self.units] += d_h_in
        if mask is not None:
            d_state += kept
        if self.t == 0:
            self.grads.transposed.clear()  # the weights may change before the next pass
        d_xproj = None
        if needs[0]:
            self.grads.row(self.t, d_x, self.xshape)[...] = d_x
            if self.t == 0:
                d_xproj = self.grads.hand_back()
        out = [d_xproj, d_state, d_rk if needs[2] else None]
        out += [None] * (len(needs) - 3)
        if d_rb is not None and len(needs) > 3 and needs[3]:
            out[3] = d_rb
        return tuple(out)


class SimpleRNNStep(_Step):
    """h = activation(x_t + h_in @ recurrent_kernel)."""

    name = "simple_rnn_step"

    def cell(self, x, state, h_in, rkernel, rbias):
        self.h_in, self.rkernel = h_in, rkernel
        self.h = self.act(self.xp, x + h_in @ rkernel)
        return self.h

    def cell_backward(self, g):
        dz = g * self.d_act(self.h)
        d_state = self.xp.zeros_like(g)
        return dz, d_state, dz @ self.grads.transpose("rkernel", self.rkernel), self.h_in.T @ dz, None


class LSTMStep(_Step):
    """Keras's LSTM step, gates in the order i, f, c, o; the state is [h, c].

    z = x_t + h_in @ recurrent_kernel; i, f, o = recurrent_activation(z_i, z_f, z_o);
    c = f * c_prev + i * activation(z_c); h = o * activation(c).
    """

    name = "lstm_step"

    def cell(self, x, state, h_in, rkernel, rbias):
        xp, u = self.xp, self.units
        z = x + h_in @ rkernel
        i, f, o = self.ract(xp, z[:, :u]), self.ract(xp, z[:, u:2 * u]), self.ract(xp, z[:, 3 * u:])
        g = self.act(xp, z[:, 2 * u:3 * u])
        c_prev = state[:, u:]
        c = f * c_prev + i * g
        ac = self.act(xp, c)
        self.saved = (h_in, rkernel, i, f, g, o, c_prev, ac)
        return xp.concatenate([o * ac, c], axis=1)

    def cell_backward(self, grad):
        xp, u = self.xp, self.units
        h_in, rkernel, i, f, g, o, c_prev, ac = self.saved
        gh = grad[:, :u]
        gc = grad[:, u:] + gh * o * self.d_act(ac)
        dz = xp.concatenate([gc * g * self.d_ract(i), gc * c_prev * self.d_ract(f),
                             gc * i * self.d_act(g), gh * ac * self.d_ract(o)], axis=1)
        d_state = xp.concatenate([xp.zeros_like(gh), gc * f], axis=1)
        return dz, d_state, dz @ self.grads.transpose("rkernel", rkernel), h_in.T @ dz, None


class GRUStep(_Step):
    """Keras's GRU step, gates in the order z, r, h; h = z * h_prev + (1 - z) * hh.

    reset_after=True (the default): hh = activation(x_h + r * (h_in @ U_h + b_h)),
    with a recurrent bias added to all of h_in @ U. reset_after=False:
    hh = activation(x_h + (r * h_in) @ U_h).
    """

    name = "gru_step"

    def forward(self, *arrays, reset_after=True, **attrs):
        self.reset_after = reset_after
        return super().forward(*arrays, **attrs)

    def cell(self, x, state, h_in, rkernel, rbias):
        xp, u = self.xp, self.units
        if self.reset_after:
            inner = h_in @ rkernel
            if rbias is not None:
                inner += rbias
            rec_zr, rec_h = inner[:, :2 * u], inner[:, 2 * u:]
        else:
            rec_zr = h_in @ rkernel[:, :2 * u]
        z = self.ract(xp, x[:, :u] + rec_zr[:, :u])
        r = self.ract(xp, x[:, u:2 * u] + rec_zr[:, u:])
        if self.reset_after:
            hh = self.act(xp, x[:, 2 * u:] + r * rec_h)
            self.rec_h = rec_h
        else:
            self.rh = r * h_in
            hh = self.act(xp, x[:, 2 * u:] + self.rh @ rkernel[:, 2 * u:])
        self.saved = (h_in, rkernel, state, z, r, hh)
        return z * state + (1 - z) * hh

    def cell_backward(self, g):
        xp, u = self.xp, self.units
        h_in, rkernel, h_prev, z, r, hh = self.saved
        dz = g * (h_prev - hh) * self.d_ract(z)
        dhh = g * (1 - z) * self.d_act(hh)
        if self.reset_after:
            dr = dhh * self.rec_h * self.d_ract(r)
            d_inner = xp.concatenate([dz, dr, dhh * r], axis=1)
            d_h_in = d_inner @ self.grads.transpose("rkernel", rkernel)
            d_rk = h_in.T @ d_inner
            d_rb = d_inner.sum(axis=0)
        else:
            u_h = rkernel[:, 2 * u:]
            d_rh = dhh @ self.grads.transpose("u_h", u_h)
            dr = d_rh * h_in * self.d_ract(r)
            d_zr = xp.concatenate([dz, dr], axis=1)
            d_h_in = d_zr @ self.grads.transpose("u_zr", rkernel[:, :2 * u]) + d_rh * r
            d_rk = xp.concatenate([h_in.T @ d_zr, self.rh.T @ dhh], axis=1)
            d_rb = None
        return xp.concatenate([dz, dr, dhh], axis=1), g * z, d_h_in, d_rk, d_rb
