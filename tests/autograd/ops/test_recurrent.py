"""The fused recurrent steps (SimpleRNNStep, LSTMStep, GRUStep): gradients against finite
differences in float64, over several steps that share one InputGradients, with masks, recurrent
dropout masks and every activation the ops apply themselves."""

import numpy as np
import pytest

from tinyfit import ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.recurrent import GRUStep, InputGradients, LSTMStep, SimpleRNNStep
from tinyfit.autograd.tensor import Tensor

B, T, U = 3, 4, 2


def run_steps(op, xproj, state, rkernel, *extras, **attrs):
    """The states of every step, side by side: (batch, time * width)."""
    grads = InputGradients()
    steps = []
    for t in range(xproj.shape[0]):
        state = op.apply(xproj, state, rkernel, *extras, t=t, grads=grads, units=U, **attrs)
        steps.append(state)
    return ops.concatenate(steps, axis=1)


CASES = {
    "simple_rnn tanh": (SimpleRNNStep, 1, 1, {}),
    "simple_rnn relu": (SimpleRNNStep, 1, 1, {"activation": "relu"}),
    "simple_rnn linear": (SimpleRNNStep, 1, 1, {"activation": "linear"}),
    "lstm": (LSTMStep, 4, 2, {}),
    "lstm sigmoid/tanh swapped": (LSTMStep, 4, 2, {"activation": "sigmoid", "recurrent_activation": "tanh"}),
    "gru reset_after": (GRUStep, 3, 1, {"reset_after": True}),
    "gru reset_before": (GRUStep, 3, 1, {"reset_after": False}),
}


@pytest.mark.parametrize("masked", [False, True], ids=["unmasked", "masked"])
@pytest.mark.parametrize("dropped", [False, True], ids=["", "recurrent_dropout"])
@pytest.mark.parametrize("case", CASES)
def test_gradcheck(case, masked, dropped):
    op, gates, state_width, attrs = CASES[case]
    rng = np.random.default_rng(0)
    xproj = rng.normal(size=(T, B, gates * U))
    state = rng.normal(size=(B, state_width * U))
    rkernel = rng.normal(size=(U, gates * U)) * 0.7
    inputs = [xproj, state, rkernel]
    attrs = dict(attrs)
    with_bias = op is GRUStep and attrs["reset_after"]
    if with_bias:
        inputs.append(rng.normal(size=(gates * U,)))
        attrs["recurrent_bias"] = True
    constants = []
    if masked:
        constants.append(Tensor(np.array([[1, 0, 1], [0, 0, 1], [1, 1, 0], [0, 1, 1]], dtype=bool)))
        attrs["masked"] = True
    if dropped:
        constants.append(Tensor(rng.choice([0.0, 2.0], size=(B, U))))
        attrs["recurrent_dropout"] = True

    def f(*tensors):
        return run_steps(op, *tensors, *constants, **attrs)

    assert gradcheck(f, inputs)


def test_only_the_first_step_hands_back_the_input_gradient_and_it_covers_every_step():
    rng = np.random.default_rng(1)
    xproj = Tensor(rng.normal(size=(T, B, 4 * U)), requires_grad=True)
    state = Tensor(np.zeros((B, 2 * U)))
    rkernel = Tensor(rng.normal(size=(U, 4 * U)), requires_grad=True)
    out = run_steps(LSTMStep, xproj, state, rkernel)
    out[:, -2 * U:].sum().backward()  # only the last step's state is used: every step gets a gradient through it
    assert xproj.grad.shape == (T, B, 4 * U)
    assert all(np.abs(xproj.grad[t]).sum() > 0 for t in range(T))
    # A second pass through a fresh graph starts from zeros, not from the first pass's rows.
    first = xproj.grad.copy()
    xproj.grad = None
    out = run_steps(LSTMStep, xproj, state, rkernel)
    out[:, :2 * U].sum().backward()  # the first step only: the later rows must be zero
    assert np.abs(xproj.grad[1:]).sum() == 0 and np.abs(xproj.grad[0] - first[0]).sum() > 0


def test_mismatched_batches_name_both_shapes():
    with pytest.raises(ValueError, match=r"\(4, 3, 2\).*\(5, 2\)"):
        SimpleRNNStep.apply(Tensor(np.zeros((4, 3, 2))), Tensor(np.zeros((5, 2))), Tensor(np.zeros((2, 2))),
                            t=0, grads=InputGradients(), units=2)
