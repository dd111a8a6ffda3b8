"""Adam(amsgrad=True): each step divides by the largest v seen so far, not the current one."""

import json
import math

import numpy as np
import pytest

import tinyfit
from tinyfit import optimizers

# Large gradients, then small ones: v grows, then shrinks, which is when AMSGrad and Adam part.
GRADIENTS = [np.array([3.0, -2.0, 0.5]), np.array([2.5, 1.5, -0.5]), np.array([0.01, -0.02, 0.4]),
             np.array([0.02, 0.01, -0.4]), np.array([-0.01, 0.03, 0.4]), np.array([0.01, -0.01, 0.4])]
W0 = np.array([1.0, -1.0, 0.5])


def amsgrad_steps(lr, beta_1, beta_2, epsilon, amsgrad=True):
    """The weights after each step, by the formula (float64)."""
    w, m, v, v_hat, out = W0.copy(), np.zeros(3), np.zeros(3), np.zeros(3), []
    for t, g in enumerate(GRADIENTS, start=1):
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g**2
        v_hat = np.maximum(v_hat, v)
        alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        w = w - alpha * m / (np.sqrt(v_hat if amsgrad else v) + epsilon)
        out.append(w)
    return out


def tinyfit_steps(optimizer):
    w = tinyfit.Variable(W0, dtype="float64", name="w")
    out = []
    for g in GRADIENTS:
        optimizer.apply([g], [w])
        out.append(w.numpy().copy())
    return out


@pytest.mark.parametrize("beta_2", [0.999, 0.9, 0.5])
def test_amsgrad_steps_follow_the_formula_and_part_from_adam_where_v_shrinks(beta_2):
    hyper = {"beta_1": 0.9, "beta_2": beta_2, "epsilon": 1e-7}
    got = tinyfit_steps(optimizers.Adam(0.1, amsgrad=True, **hyper))
    expected = amsgrad_steps(0.1, **hyper)
    plain = amsgrad_steps(0.1, amsgrad=False, **hyper)
    for step, (g, e) in enumerate(zip(got, expected), start=1):
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-9, err_msg=f"after step {step}")
    # The first steps are Adam's (v only grew); once v shrinks they differ, by far more than the tolerance.
    np.testing.assert_allclose(expected[1], plain[1], rtol=1e-12)
    assert np.abs(expected[-1] - plain[-1]).max() > 1e-4
    assert np.abs(got[-1] - plain[-1]).max() > 1e-4
    np.testing.assert_allclose(tinyfit_steps(optimizers.Adam(0.1, **hyper))[-1], plain[-1], rtol=1e-6)


def test_amsgrad_keeps_the_largest_v_it_has_seen_as_a_variable():
    opt = optimizers.Adam(0.1, amsgrad=True, beta_2=0.5)
    tinyfit_steps(opt)
    v_hat = [v for v in opt.variables if "velocity_hat" in v.name]
    assert len(v_hat) == 1
    v, largest = np.zeros(3), np.zeros(3)
    for g in GRADIENTS:
        v = 0.5 * v + 0.5 * g**2
        largest = np.maximum(largest, v)
    np.testing.assert_allclose(v_hat[0].numpy(), largest, rtol=1e-6)
    assert not np.allclose(largest, v)  # the last v is below the maximum: a slot equal to v would fail


def test_amsgrad_matches_keras(run_keras, tmp_path):
    code = f"""
        import json
        opt = keras.optimizers.Adam(0.1, beta_2=0.5, amsgrad=True)
        w = keras.Variable(np.array({W0.tolist()}), dtype="float64")
        out = []
        for g in {[g.tolist() for g in GRADIENTS]}:
            opt.apply([np.array(g)], [w])
            out.append(np.asarray(w).tolist())
        print(json.dumps(out))
    """
    reference = json.loads(run_keras(str(tmp_path), code).strip().splitlines()[-1])
    got = tinyfit_steps(optimizers.Adam(0.1, beta_2=0.5, amsgrad=True))
    np.testing.assert_allclose(np.array(got), np.array(reference), rtol=1e-5, atol=1e-7)
