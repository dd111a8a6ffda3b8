"""Optimizers against their update formulas written out in NumPy (float64), plus the shared bookkeeping."""

import math

import numpy as np
import pytest

import tinyfit
from tinyfit import optimizers
from tinyfit.optimizers import schedules

RNG = np.random.default_rng(0)
W0 = RNG.normal(size=(3, 2))
B0 = RNG.normal(size=(2,))
GRADS = [(RNG.normal(size=(3, 2)), RNG.normal(size=(2,))) for _ in range(4)]


def make_variables(dtype="float32"):
    return [tinyfit.Variable(W0, dtype=dtype, name="kernel"), tinyfit.Variable(B0, dtype=dtype, name="bias")]


def run(optimizer, steps=4, dtype="float32"):
    variables = make_variables(dtype)
    for grads in GRADS[:steps]:
        optimizer.apply([g.astype(dtype) for g in grads], variables)
    return [v.numpy() for v in variables]


def reference(step_fn, steps=4, **hyper):
    """Runs `step_fn(w, g, state, t, **hyper) -> w` on each variable in float64."""
    weights = [W0.copy(), B0.copy()]
    states = [{}, {}]
    for t, grads in enumerate(GRADS[:steps], start=1):
        weights = [step_fn(w, g, s, t, **hyper) for w, g, s in zip(weights, grads, states)]
    return weights


# ------------------------------------------------------------ the formulas, by hand
def sgd(w, g, s, t, lr=0.01, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    v = s.get("v", np.zeros_like(w))
    v = momentum * v - lr * g
    s["v"] = v
    return w + (momentum * v - lr * g if nesterov else v)


def rmsprop(w, g, s, t, lr=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v = rho * s.get("v", np.zeros_like(w)) + (1 - rho) * g**2
    s["v"] = v
    if centered:
        a = rho * s.get("a", np.zeros_like(w)) + (1 - rho) * g
        s["a"] = a
        step = lr * g / np.sqrt(v - a**2 + epsilon)
    else:
        step = lr * g / np.sqrt(v + epsilon)
    if momentum > 0:
        m = momentum * s.get("m", np.zeros_like(w)) + step
        s["m"] = m
        return w - m
    return w - step


def adam(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, weight_decay=None):
    if weight_decay is not None:
        w = w - lr * weight_decay * w
    m = beta_1 * s.get("m", np.zeros_like(w)) + (1 - beta_1) * g
    v = beta_2 * s.get("v", np.zeros_like(w)) + (1 - beta_2) * g**2
    s["m"], s["v"] = m, v
    if amsgrad:
        v = np.maximum(s.get("v_hat", np.zeros_like(w)), v)
        s["v_hat"] = v
    alpha = lr * math.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - alpha * m / (np.sqrt(v) + epsilon)


def adagrad(w, g, s, t, lr=0.001, initial_accumulator_value=0.1, epsilon=1e-7):
    a = s.get("a", np.full_like(w, initial_accumulator_value)) + g**2
    s["a"] = a
    return w - lr * g / np.sqrt(a + epsilon)


def adamax(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    m = beta_1 * s.get("m", np.zeros_like(w)) + (1 - beta_1) * g
    u = np.maximum(beta_2 * s.get("u", np.zeros_like(w)), np.abs(g))
    s["m"], s["u"] = m, u
    return w - lr * m / ((1 - beta_1**t) * (u + epsilon))


def nadam(w, g, s, t, lr=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def mu(k):
        return beta_1 * (1 - 0.5 * 0.96**k)

    product = math.prod(mu(k) for k in range(1, t + 1))  # mu_1 ... mu_t
    m = beta_1 * s.get("m", np.zeros_like(w)) + (1 - beta_1) * g
    v = beta_2 * s.get("v", np.zeros_like(w)) + (1 - beta_2) * g**2
    s["m"], s["v"] = m, v
    m_hat = mu(t + 1) * m / (1 - product * mu(t + 1)) + (1 - mu(t)) * g / (1 - product)
    v_hat = v / (1 - beta_2**t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


CASES = [
    ("sgd", lambda: optimizers.SGD(), sgd, {}),
    ("sgd-lr", lambda: optimizers.SGD(0.1), sgd, {"lr": 0.1}),
    ("sgd-momentum", lambda: optimizers.SGD(0.1, momentum=0.9), sgd, {"lr": 0.1, "momentum": 0.9}),
    ("sgd-nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True), sgd,
     {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", lambda: optimizers.RMSprop(), rmsprop, {}),
    ("rmsprop-momentum", lambda: optimizers.RMSprop(0.01, momentum=0.5), rmsprop, {"lr": 0.01, "momentum": 0.5}),
    ("rmsprop-centered", lambda: optimizers.RMSprop(centered=True, rho=0.8), rmsprop,
     {"centered": True, "rho": 0.8}),
    ("adam", lambda: optimizers.Adam(), adam, {}),
    ("adam-amsgrad", lambda: optimizers.Adam(0.01, amsgrad=True), adam, {"lr": 0.01, "amsgrad": True}),
    ("adamw", lambda: optimizers.AdamW(), adam, {"weight_decay": 0.004}),
    ("adamw-strong", lambda: optimizers.AdamW(0.1, weight_decay=0.5), adam, {"lr": 0.1, "weight_decay": 0.5}),
    ("adagrad", lambda: optimizers.Adagrad(), adagrad, {}),
    ("adagrad-init", lambda: optimizers.Adagrad(0.5, initial_accumulator_value=1.0), adagrad,
     {"lr": 0.5, "initial_accumulator_value": 1.0}),
    ("adamax", lambda: optimizers.Adamax(), adamax, {}),
    ("nadam", lambda: optimizers.Nadam(), nadam, {}),
    ("nadam-lr", lambda: optimizers.Nadam(0.05, beta_1=0.8), nadam, {"lr": 0.05, "beta_1": 0.8}),
]


@pytest.mark.parametrize("make, formula, hyper", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_steps_follow_the_formula(make, formula, hyper):
    got = run(make())
    expected = reference(formula, **hyper)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=2e-5, atol=1e-6)
    # And the steps did move the weights (a formula that does nothing cannot pass by accident).
    assert not np.allclose(expected[0], W0)


@pytest.mark.parametrize("make, formula, hyper", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_float64_variables_stay_float64_and_match_closely(make, formula, hyper):
    got = run(make(), dtype="float64")
    for g, e in zip(got, reference(formula, **hyper)):
        assert g.dtype == np.float64
        # Only the learning rate is float32 (a 0-d float32 Variable, as in Keras).
        np.testing.assert_allclose(g, e, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("make, formula, hyper", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
@pytest.mark.parametrize("clip", [{}, {"clipnorm": 0.5}, {"clipvalue": 0.5}, {"global_clipnorm": 0.5}],
                         ids=["plain", "clipnorm", "clipvalue", "global_clipnorm"])
def test_every_optimizer_updates_a_0d_variable(make, formula, hyper, clip):
    # A single number as a weight (a learnable temperature or scale): squaring a 0-d
    # array gives a NumPy scalar, which in-place updates must not trip over.
    opt = make()
    for name, value in clip.items():
        setattr(opt, name, value)
    w = tinyfit.Variable(0.7, dtype="float64", name="scale")
    expected, state = np.array(0.7), {}
    for t, g in enumerate([0.3, -1.2, 0.05, 2.0], start=1):
        opt.apply([np.array(g)], [w])
        if clip:  # one gradient of one element: every kind of clipping limits it to +-0.5
            g = float(np.clip(g, -0.5, 0.5))
        expected = formula(expected, np.array(g), state, t, **hyper)
    assert w.shape == () and w.dtype == np.float64
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-7, atol=1e-8)
    assert float(w.numpy()) != 0.7


def test_first_adam_step_moves_each_weight_by_about_the_learning_rate():
    # What bias correction is for: step 1 is lr * |g| / (|g| + eps / sqrt(1 - beta_2)) ~ lr,
    # whatever the gradient's scale.
    w = tinyfit.Variable([1.0, -2.0, 3.0])
    optimizers.Adam(0.01).apply([np.array([0.5, -30.0, 0.05], "float32")], [w])
    np.testing.assert_allclose(np.abs(w.numpy() - [1.0, -2.0, 3.0]), 0.01, rtol=1e-3)


# ------------------------------------------------------------------- Keras defaults
KERAS_DEFAULTS = [
    (optimizers.SGD, {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "name": "SGD"}),
    (optimizers.RMSprop, {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
                          "centered": False, "name": "rmsprop"}),
    (optimizers.Adam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                       "amsgrad": False, "name": "adam"}),
    (optimizers.AdamW, {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999,
                        "epsilon": 1e-7, "amsgrad": False, "name": "adamw"}),
    (optimizers.Adagrad, {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7,
                          "name": "adagrad"}),
    (optimizers.Adamax, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                         "name": "adamax"}),
    (optimizers.Nadam, {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
                        "name": "nadam"}),
]


@pytest.mark.parametrize("cls, defaults", KERAS_DEFAULTS, ids=[c.__name__ for c, _ in KERAS_DEFAULTS])
def test_keras_defaults(cls, defaults):
    config = cls().get_config()
    for key, value in defaults.items():
        assert config[key] == pytest.approx(value), key
    opt = cls()
    assert float(opt.learning_rate) == pytest.approx(defaults["learning_rate"])
    assert opt.weight_decay == defaults.get("weight_decay")
    assert opt.clipnorm is None and opt.clipvalue is None and opt.global_clipnorm is None


# ----------------------------------------------------------------------- bookkeeping
def test_state_is_updated_in_place_without_building_a_graph():
    opt = optimizers.Adam()
    variables = make_variables()
    arrays = [v.data for v in variables]
    opt.apply([g.astype("float32") for g in GRADS[0]], variables)
    slots = [s.data for s in opt.momentums + opt.velocities]
    opt.apply([g.astype("float32") for g in GRADS[1]], variables)
    assert all(v.data is a for v, a in zip(variables, arrays))
    assert all(s.data is a for s, a in zip(opt.momentums + opt.velocities, slots))
    assert all(v.is_leaf and v.grad is None for v in variables)
    assert not np.allclose(variables[0].numpy(), W0)


def test_iterations_is_an_int64_variable_counting_updates():
    opt = optimizers.SGD()
    assert isinstance(opt.iterations, tinyfit.Variable)
    assert opt.iterations.dtype == np.int64 and not opt.iterations.trainable
    run(opt, steps=3)
    assert int(opt.iterations) == 3


def test_gradients_may_be_tensors_and_apply_gradients_takes_pairs():
    variables = make_variables()
    opt = optimizers.SGD(0.1)
    grads = [tinyfit.Tensor(g) for g in GRADS[0]]
    assert opt.apply_gradients(zip(grads, variables)) is opt.iterations
    np.testing.assert_allclose(variables[0].numpy(), W0 - 0.1 * GRADS[0][0], rtol=1e-5)
    assert int(opt.iterations) == 1


def test_gradients_from_backward_update_the_weights():
    w = tinyfit.Variable([1.0, 2.0])
    (w * w).sum().backward()
    optimizers.SGD(0.25).apply([w.grad], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, 1.0])


def test_none_gradients_are_skipped():
    variables = make_variables()
    opt = optimizers.SGD(0.1, momentum=0.9)
    opt.apply([GRADS[0][0].astype("float32"), None], variables)
    np.testing.assert_allclose(variables[1].numpy(), B0.astype("float32"))
    assert not np.any(opt.momentums[1].numpy())
    assert np.any(opt.momentums[0].numpy())
    assert int(opt.iterations) == 1
    opt.apply([None, GRADS[0][1].astype("float32")])  # built: variables may be left out
    assert not np.allclose(variables[1].numpy(), B0)


def test_all_none_gradients_is_an_error_naming_the_variables():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match=r"every gradient is None, for all 2 variables \(kernel, bias\)"):
        opt.apply([None, None], make_variables())


def test_apply_errors_name_their_facts():
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match=r"not built yet.*optimizer.apply\(grads, model.trainable_variables\)"):
        opt.apply([np.zeros(2)])
    variables = make_variables()
    with pytest.raises(ValueError, match=r"got 1 gradients for 2 variables"):
        opt.apply([np.zeros((3, 2))], variables)
    with pytest.raises(ValueError, match=r"gradient for variable 'bias' has shape \(3,\), the variable has shape \(2,\)"):
        opt.apply([np.zeros((3, 2)), np.zeros(3)], variables)
    stranger = tinyfit.Variable(np.zeros(4), name="stranger")
    with pytest.raises(ValueError, match=r"unknown variable 'stranger' \(shape \(4,\)\).*built for 2 other variables"):
        opt.apply([np.zeros(4)], [stranger])
    with pytest.raises(TypeError, match=r"variable 0 is a Tensor, not a tinyfit.Variable"):
        optimizers.SGD().build([tinyfit.Tensor([1.0])])


def test_slot_variables_are_named_after_their_variable_and_listed_in_variables():
    opt = optimizers.Adam()
    run(opt, steps=1)
    names = [v.name for v in opt.variables]
    assert names == ["iteration", "learning_rate", "kernel_momentum", "bias_momentum",
                     "kernel_velocity", "bias_velocity"]
    assert all(not v.trainable for v in opt.variables)


def test_save_and_load_own_variables_round_trip():
    source = optimizers.RMSprop(momentum=0.5)
    run(source, steps=2)
    store = {}
    source.save_own_variables(store)
    target = optimizers.RMSprop(momentum=0.5)
    with pytest.raises(ValueError, match=r"saved state has 6 arrays, this optimizer has 2 variables.*optimizer.build"):
        target.load_own_variables(store)
    target.build(make_variables())
    target.load_own_variables(store)
    assert int(target.iterations) == 2
    for a, b in zip(source.variables, target.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# -------------------------------------------------------------------------- clipping
def sgd_step_taken(opt, grads):
    """The (clipped) gradient SGD(lr=1) actually applied."""
    variables = make_variables()
    opt.apply([g.astype("float32") for g in grads], variables)
    return [w0 - v.numpy() for w0, v in zip((W0.astype("float32"), B0.astype("float32")), variables)]


def test_clipnorm_clips_each_gradient_to_the_norm():
    big, small = np.full((3, 2), 10.0), np.array([0.1, -0.1])
    step_big, step_small = sgd_step_taken(optimizers.SGD(1.0, clipnorm=1.0), [big, small])
    assert np.linalg.norm(step_big) == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(step_big, big / np.linalg.norm(big), rtol=1e-4)
    np.testing.assert_allclose(step_small, small, rtol=1e-4)  # already short: unchanged


def test_global_clipnorm_scales_all_gradients_together():
    a, b = np.full((3, 2), 2.0), np.array([3.0, 4.0])
    total = np.sqrt(np.sum(a**2) + np.sum(b**2))
    step_a, step_b = sgd_step_taken(optimizers.SGD(1.0, global_clipnorm=2.0), [a, b])
    np.testing.assert_allclose(step_a, a * 2.0 / total, rtol=1e-4)
    np.testing.assert_allclose(step_b, b * 2.0 / total, rtol=1e-4)
    step_a, _ = sgd_step_taken(optimizers.SGD(1.0, global_clipnorm=100.0), [a, b])
    np.testing.assert_allclose(step_a, a, rtol=1e-4)


def test_clipvalue_clips_each_element():
    g = np.array([[5.0, -5.0], [0.2, -0.2], [1.0, 0.0]])
    step, _ = sgd_step_taken(optimizers.SGD(1.0, clipvalue=0.5), [g, np.zeros(2)])
    np.testing.assert_allclose(step, np.clip(g, -0.5, 0.5), rtol=1e-4, atol=1e-6)


def test_only_one_clipping_argument_at_a_time():
    with pytest.raises(ValueError, match=r"only one of clipnorm, clipvalue and global_clipnorm.*"
                                         r"clipnorm=1.0, global_clipnorm=2.0"):
        optimizers.Adam(clipnorm=1.0, global_clipnorm=2.0)
    with pytest.raises(ValueError, match=r"clipnorm=1.0, clipvalue=0.5"):
        optimizers.SGD(clipnorm=1.0, clipvalue=0.5)
    with pytest.raises(ValueError, match=r"RMSprop: clipvalue must be a number > 0, got clipvalue=-1"):
        optimizers.RMSprop(clipvalue=-1)


# ---------------------------------------------------------------------- weight decay
def test_weight_decay_shrinks_weights_before_the_step():
    variables = make_variables()
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.apply([np.ones((3, 2)), np.zeros(2)], variables)
    np.testing.assert_allclose(variables[0].numpy(), W0 * (1 - 0.1 * 0.5) - 0.1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), B0 * (1 - 0.1 * 0.5), rtol=1e-5, atol=1e-6)


def test_exclude_from_weight_decay_by_name_and_by_variable():
    variables = make_variables()
    opt = optimizers.SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bia"])
    opt.apply([np.zeros((3, 2)), np.zeros(2)], variables)
    np.testing.assert_allclose(variables[1].numpy(), B0, rtol=1e-6)
    np.testing.assert_allclose(variables[0].numpy(), W0 * 0.95, rtol=1e-5)
    with pytest.raises(ValueError, match=r"exclude_from_weight_decay\(\) must be called before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])

    variables = make_variables()
    opt = optimizers.AdamW(weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[variables[0]])
    opt.apply([np.zeros((3, 2)), np.zeros(2)], variables)
    np.testing.assert_allclose(variables[0].numpy(), W0, rtol=1e-6)
    np.testing.assert_allclose(variables[1].numpy(), B0 * (1 - 0.001 * 0.5), rtol=1e-6)


def test_adamw_needs_a_weight_decay():
    with pytest.raises(ValueError, match=r"AdamW: weight_decay must be a number.*got None.*Use Adam"):
        optimizers.AdamW(weight_decay=None)


# --------------------------------------------------------------------- learning rate
def test_learning_rate_is_a_0d_float32_variable_that_can_be_set():
    opt = optimizers.RMSprop()
    lr = opt.learning_rate
    assert isinstance(lr, tinyfit.Variable) and lr.shape == () and lr.dtype == np.float32
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    opt.learning_rate.assign(0.25)  # the Keras idiom works too
    assert float(opt.learning_rate) == 0.25
    assert opt.learning_rate is lr
    variables = make_variables()
    optimizers.SGD(0.0).apply([np.ones((3, 2)), np.ones(2)], variables)  # lr 0: no change
    np.testing.assert_allclose(variables[0].numpy(), W0.astype("float32"))
    with pytest.raises(TypeError, match=r"learning_rate must be set to a number, got 'fast'"):
        opt.learning_rate = "fast"
    with pytest.raises(TypeError, match=r"SGD: learning_rate must be a float.*got 'fast'"):
        optimizers.SGD("fast")


def test_a_schedule_is_evaluated_at_iterations_before_each_update():
    schedule = schedules.PiecewiseConstantDecay([1], [1.0, 0.5])  # 1.0 for steps 0 and 1, then 0.5
    opt = optimizers.SGD(schedule)
    w = tinyfit.Variable([0.0])
    seen = []
    for _ in range(4):
        seen.append(float(opt.learning_rate))
        before = w.numpy().copy()
        opt.apply([np.ones(1)], [w])
        assert before - w.numpy() == pytest.approx(seen[-1])
    assert seen == [1.0, 1.0, 0.5, 0.5]
    assert isinstance(opt.learning_rate, tinyfit.Variable) and opt.learning_rate.shape == ()


def test_setting_a_float_on_a_schedule_is_an_error_that_says_why():
    opt = optimizers.RMSprop(schedules.ExponentialDecay(0.1, decay_steps=100000, decay_rate=0.96, staircase=True))
    with pytest.raises(TypeError, match=r"rmsprop: the learning rate comes from the schedule ExponentialDecay, "
                                        r"so it cannot be set to 0.01.*float learning_rate"):
        opt.learning_rate = 0.01
    opt.learning_rate = schedules.InverseTimeDecay(0.2, 10, 1.0)  # a new schedule replaces it
    assert float(opt.learning_rate) == pytest.approx(0.2)


def test_a_callable_learning_rate_is_called_each_step():
    rate = {"value": 0.5}
    opt = optimizers.SGD(lambda: rate["value"])
    w = tinyfit.Variable([0.0])
    opt.apply([np.ones(1)], [w])
    rate["value"] = 0.25
    opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.75])
    with pytest.raises(TypeError, match="comes from a function"):
        opt.learning_rate = 0.1
    with pytest.raises(ValueError, match="cannot be saved"):
        opt.get_config()


# ------------------------------------------------------------ names, configs, errors
@pytest.mark.parametrize("name, cls", [("sgd", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
                                       ("adam", optimizers.Adam), ("adamw", optimizers.AdamW),
                                       ("adagrad", optimizers.Adagrad), ("adamax", optimizers.Adamax),
                                       ("nadam", optimizers.Nadam), ("RMSprop", optimizers.RMSprop),
                                       ("AdamW", optimizers.AdamW), ("SGD", optimizers.SGD)])
def test_get_by_name_gives_a_fresh_optimizer_with_defaults(name, cls):
    first, second = optimizers.get(name), optimizers.get(name)
    assert type(first) is cls and first is not second
    assert first.get_config() == cls().get_config()


def test_get_passes_instances_and_none_and_reads_configs():
    opt = optimizers.Adam(0.01)
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    rebuilt = optimizers.get({"class_name": "Adam", "config": {"learning_rate": 0.5, "amsgrad": True}})
    assert isinstance(rebuilt, optimizers.Adam) and rebuilt.amsgrad and float(rebuilt.learning_rate) == 0.5


def test_get_errors_name_the_identifier_and_the_choices():
    with pytest.raises(ValueError, match=r"Unknown optimizer 'adm'. Did you mean 'adam'\?.*Adagrad.*rmsprop"):
        optimizers.get("adm")
    with pytest.raises(TypeError, match=r"class Adam, not an optimizer: write Adam\(\)"):
        optimizers.get(optimizers.Adam)
    with pytest.raises(ValueError, match=r"Could not interpret optimizer identifier 3.*adamax"):
        optimizers.get(3)


@pytest.mark.parametrize("opt", [
    optimizers.SGD(0.1, momentum=0.9, nesterov=True, clipnorm=1.0),
    optimizers.RMSprop(0.01, rho=0.8, momentum=0.1, epsilon=1e-6, centered=True, weight_decay=0.1),
    optimizers.Adam(schedules.ExponentialDecay(0.1, 100, 0.9, staircase=True), amsgrad=True),
    optimizers.AdamW(weight_decay=0.01, global_clipnorm=2.0),
    optimizers.Adagrad(initial_accumulator_value=0.3, clipvalue=0.5),
    optimizers.Adamax(beta_1=0.8, name="maxi"),
    optimizers.Nadam(schedules.CosineDecay(0.1, 1000, warmup_target=0.2, warmup_steps=10)),
], ids=lambda o: type(o).__name__)
def test_serialize_deserialize_round_trip(opt):
    data = optimizers.serialize(opt)
    assert data["class_name"] == type(opt).__name__
    rebuilt = optimizers.deserialize(data)
    assert type(rebuilt) is type(opt) and rebuilt.get_config() == opt.get_config()
    # A config is plain data: it survives JSON.
    import json

    assert optimizers.deserialize(json.loads(json.dumps(data))).get_config() == opt.get_config()


def test_deserialize_finds_custom_classes_and_rejects_bad_input():
    class Halving(optimizers.SGD):
        pass

    data = {"class_name": "Halving", "config": optimizers.SGD(0.3).get_config()}
    assert isinstance(optimizers.deserialize(data, custom_objects={"Halving": Halving}), Halving)
    with pytest.raises(ValueError, match=r"Unknown optimizer 'Halving'"):
        optimizers.deserialize(data)
    with pytest.raises(ValueError, match=r"expected a dict with 'class_name' and 'config', got 'adam'"):
        optimizers.deserialize("adam")
    with pytest.raises(TypeError, match=r"expected an Optimizer, got str"):
        optimizers.serialize("adam")


def test_constructor_errors_name_the_argument():
    with pytest.raises(TypeError, match=r"Adam: unknown argument\(s\) decay, lr"):
        optimizers.Adam(lr=0.1, decay=0.01)
    with pytest.raises(NotImplementedError, match=r"Adam: tinyfit does not implement use_ema"):
        optimizers.Adam(use_ema=True)
    optimizers.Adam(use_ema=False)  # the default is accepted
    with pytest.raises(ValueError, match=r"SGD: momentum must be a number in \[0, 1\], got momentum=1.5"):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match=r"weight_decay must be a number >= 0 or None, got -0.1"):
        optimizers.SGD(weight_decay=-0.1)
    with pytest.raises(ValueError, match=r"initial_accumulator_value must be >= 0, got -1"):
        optimizers.Adagrad(initial_accumulator_value=-1)


def test_a_subclass_that_forgets_update_step_says_so():
    class Lazy(optimizers.Optimizer):
        pass

    with pytest.raises(NotImplementedError, match=r"Lazy must implement update_step"):
        Lazy().apply([np.ones(1)], [tinyfit.Variable([1.0])])


def test_a_custom_optimizer_needs_only_build_and_update_step():
    class SignSGD(optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.data -= learning_rate * np.sign(gradient)

    w = tinyfit.Variable([1.0, 1.0])
    SignSGD(0.5).apply([np.array([3.0, -0.1])], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, 1.5])


def test_public_names():
    assert optimizers.__all__ == ["Optimizer", "SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adamax", "Nadam",
                                  "Adadelta", "Lion", "Ftrl", "schedules", "get", "serialize", "deserialize"]
    for name in optimizers.__all__:
        assert hasattr(optimizers, name)
    import tinyfit.optimizers.schedules as submodule

    assert optimizers.schedules is submodule


@pytest.mark.gpu
def test_gpu_variables_are_updated_on_the_gpu_like_on_the_cpu():
    import cupy

    for make in (lambda: optimizers.Adam(0.01), lambda: optimizers.RMSprop(centered=True, momentum=0.5),
                 lambda: optimizers.Nadam(clipnorm=1.0)):
        cpu = run(make())
        opt = make()
        variables = [v.to("gpu") for v in make_variables()]
        variables = [tinyfit.Variable(v.data, name=n) for v, n in zip(variables, ("kernel", "bias"))]
        for grads in GRADS:
            opt.apply([cupy.asarray(g, dtype="float32") for g in grads], variables)
        assert all(isinstance(v.data, cupy.ndarray) for v in variables)
        assert all(isinstance(s.data, cupy.ndarray) for s in opt.variables[2:] if s.shape)
        for c, g in zip(cpu, variables):
            np.testing.assert_allclose(g.numpy(), c, rtol=1e-5, atol=1e-6)
        with pytest.raises(ValueError, match=r"gradient for variable 'kernel' is on the cpu, the variable on the gpu"):
            opt.apply([GRADS[0][0], None], variables)
