"""Adadelta, Lion and Ftrl: step by step the same weights and state as real Keras 3, saved state, names.

Keras 3 (numpy backend) runs once, in a subprocess, applying the same gradients
to the same variables; after every step both sides' weights must agree, and at
the end every optimizer variable, matched by name. Skipped, saying why, where
Keras cannot be imported.
"""

import textwrap

import numpy as np
import pytest

import tinyfit
from tinyfit import optimizers

# name: (class, constructor arguments)
CASES = {
    "adadelta": ("Adadelta", {}),
    "adadelta lr 1": ("Adadelta", {"learning_rate": 1.0, "rho": 0.9, "epsilon": 1e-6}),
    "adadelta clipnorm": ("Adadelta", {"learning_rate": 0.5, "clipnorm": 0.5}),
    "lion": ("Lion", {"learning_rate": 0.01}),
    "lion betas weight decay": ("Lion", {"learning_rate": 0.02, "beta_1": 0.5, "beta_2": 0.9,
                                         "weight_decay": 0.1}),
    "ftrl": ("Ftrl", {"learning_rate": 0.1}),
    "ftrl l1 l2": ("Ftrl", {"learning_rate": 0.2, "l1_regularization_strength": 0.05,
                            "l2_regularization_strength": 0.1, "initial_accumulator_value": 0.5}),
    "ftrl shrinkage beta power": ("Ftrl", {"learning_rate": 0.3, "learning_rate_power": -0.7, "beta": 0.4,
                                           "l2_shrinkage_regularization_strength": 0.2}),
}
STEPS = 6


def start_values():
    r = np.random.default_rng(0)
    return [r.normal(size=(3, 2)).astype("float32"), r.normal(size=(2,)).astype("float32")]


def gradients(step):
    r = np.random.default_rng(100 + step)
    return [r.normal(size=(3, 2)).astype("float32"), r.normal(size=(2,)).astype("float32")]


KERAS_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    warnings.simplefilter("ignore")
    sys.path.insert(0, sys.argv[1])
    import keras
    print("keras imported", flush=True)
    import numpy as np
    from test_keras_optimizers import CASES, STEPS, gradients, start_values
    # The defaults first: Keras numbers the names of later optimizers of a class ("lion_1").
    out = {"configs": {cls: getattr(keras.optimizers, cls)().get_config() for cls in ("Adadelta", "Lion", "Ftrl")}}
    for name, (cls, kwargs) in CASES.items():
        variables = [keras.Variable(v, name=n) for v, n in zip(start_values(), ("kernel", "bias"))]
        optimizer = getattr(keras.optimizers, cls)(**kwargs)
        steps = []
        for step in range(STEPS):
            optimizer.apply_gradients(zip(gradients(step), variables))
            steps.append([np.asarray(v.numpy()).tolist() for v in variables])
        out[name] = {"steps": steps,
                     "state": {v.name: np.asarray(v.numpy()).tolist() for v in optimizer.variables},
                     "order": [v.name for v in optimizer.variables]}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def keras_runs(keras_in_subprocess):
    return keras_in_subprocess(KERAS_SCRIPT, __file__)


def tinyfit_run(cls, kwargs, steps=STEPS):
    variables = [tinyfit.Variable(v, name=n) for v, n in zip(start_values(), ("kernel", "bias"))]
    optimizer = getattr(optimizers, cls)(**kwargs)
    history = []
    for step in range(steps):
        optimizer.apply(gradients(step), variables)
        history.append([v.numpy().copy() for v in variables])
    return optimizer, variables, history


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_step_matches_keras(keras_runs, name):
    optimizer, _, history = tinyfit_run(*CASES[name])
    expected = keras_runs[name]
    for step, (ours, theirs) in enumerate(zip(history, expected["steps"])):
        for w, k in zip(ours, theirs):
            np.testing.assert_allclose(w, k, rtol=2e-5, atol=2e-6, err_msg=f"step {step + 1}")
    state = {v.name: v.numpy() for v in optimizer.variables}
    assert sorted(state) == sorted(expected["state"])
    for key, value in expected["state"].items():
        np.testing.assert_allclose(state[key], value, rtol=2e-5, atol=2e-6, err_msg=key)


@pytest.mark.parametrize("cls", ["Adadelta", "Lion", "Ftrl"])
def test_defaults_are_keras_s(keras_runs, cls):
    theirs = {k: v for k, v in keras_runs["configs"][cls].items()
              if k not in ("use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                           "gradient_accumulation_steps")}
    ours = getattr(optimizers, cls)().get_config()
    assert ours.keys() == theirs.keys()
    for key, value in theirs.items():
        assert ours[key] == pytest.approx(value), key


@pytest.mark.parametrize("name", sorted(CASES))
def test_saved_state_restores_and_training_continues_exactly(name):
    cls, kwargs = CASES[name]
    _, _, straight = tinyfit_run(cls, kwargs)
    first, variables, _ = tinyfit_run(cls, kwargs, steps=3)
    store = {}
    first.save_own_variables(store)
    assert len(store) == len(first.variables)  # iteration, learning_rate, then the slots
    second = optimizers.deserialize(optimizers.serialize(first))
    second.build(variables)
    second.load_own_variables(store)
    assert int(second.iterations) == 3
    for step in range(3, STEPS):
        second.apply(gradients(step), variables)
    for w, expected in zip(variables, straight[-1]):
        np.testing.assert_array_equal(w.numpy(), expected)


@pytest.mark.parametrize("name", ["adadelta", "lion", "ftrl"])
def test_variables_are_listed_in_keras_s_order(keras_runs, name):
    optimizer, _, _ = tinyfit_run(*CASES[name])
    assert [v.name for v in optimizer.variables] == keras_runs[name]["order"]


# ****************************************************************** behaviour
def test_lion_moves_every_weight_by_exactly_the_learning_rate():
    w = tinyfit.Variable(np.zeros(4, dtype="float32"))
    optimizers.Lion(learning_rate=0.1).apply([np.array([1e-6, -3.0, 50.0, -1e-3], dtype="float32")], [w])
    np.testing.assert_allclose(w.numpy(), [-0.1, 0.1, -0.1, 0.1])


def test_ftrl_l1_sets_weights_with_small_gradients_exactly_to_zero():
    w = tinyfit.Variable(np.array([0.5, 0.5], dtype="float32"))
    optimizer = optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=1.0)
    for _ in range(3):
        optimizer.apply([np.array([0.01, 5.0], dtype="float32")], [w])
    assert w.numpy()[0] == 0.0 and w.numpy()[1] != 0.0


@pytest.mark.parametrize("name", ["adadelta", "lion", "ftrl"])
def test_compile_by_name_and_fit(name):
    tinyfit.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5]])).astype("float32")
    model = tinyfit.Sequential([tinyfit.Input((3,)), tinyfit.layers.Dense(1)])
    model.compile(optimizer=name, loss="mse")
    assert type(model.optimizer) is optimizers.get(name).__class__
    model.optimizer.learning_rate = 0.05 if name != "adadelta" else 1.0
    history = model.fit(x, y, epochs=5, batch_size=16, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match=r"Lion: beta_1 must be in \(0, 1\], got beta_1=0"):
        optimizers.Lion(beta_1=0)
    with pytest.raises(ValueError, match="Ftrl: l1_regularization_strength must be >= 0"):
        optimizers.Ftrl(l1_regularization_strength=-1)
    with pytest.raises(ValueError, match="Ftrl: learning_rate_power must be <= 0"):
        optimizers.Ftrl(learning_rate_power=0.5)
