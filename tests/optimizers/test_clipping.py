"""clipnorm, clipvalue and global_clipnorm: every optimizer clips as Keras 3 does.

Two paths reach an optimizer, and both are checked against real Keras 3 (NumPy
backend) given the same starting weights and the same gradients:
- `optimizer.apply(grads, variables)` with gradients drawn at random, and
- `model.fit` (eager and compiled steps) on a linear model with a mean squared
  error, whose gradients have a closed form: the reference computes them with
  NumPy and hands them to Keras's optimizer, step by step.
The gradients are large enough that every clipping argument changes the update.
"""

import numpy as np
import pytest

import tinyfit
from tinyfit import layers, optimizers

CLIPPING = {"clipnorm": 0.5, "clipvalue": 0.1, "global_clipnorm": 0.7}
OPTIMIZERS = sorted(
    name for name in optimizers.__all__
    if isinstance(getattr(optimizers, name), type) and issubclass(getattr(optimizers, name), optimizers.Optimizer)
    and getattr(optimizers, name) is not optimizers.Optimizer
)
LEARNING_RATE = 0.1
# Keras 3's NumPy backend converts its own variables with np.array(variable), which NumPy 2 warns about.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")
STEPS = 4


def test_every_optimizer_is_checked():
    assert {"SGD", "RMSprop", "Adam", "AdamW", "Adamax", "Adagrad", "Adadelta", "Nadam", "Lion",
            "Ftrl"} <= set(OPTIMIZERS)


def start_values():
    r = np.random.default_rng(0)
    return [r.normal(size=(3, 2)).astype("float32"), r.normal(size=(2,)).astype("float32")]


def gradients(step):
    # Scales that differ from step to step: clipping then changes the steps' relative weight,
    # which even an optimizer blind to a gradient's scale (Lion, Adam) feels.
    scale = (3.0, 0.1, 30.0, 1.0)[step % 4]
    r = np.random.default_rng(100 + step)
    return [scale * r.normal(size=(3, 2)).astype("float32"), scale * r.normal(size=(2,)).astype("float32")]


def make(module, name, clip):
    kwargs = {"learning_rate": LEARNING_RATE}
    if clip is not None:
        kwargs[clip] = CLIPPING[clip]
    return getattr(module.optimizers, name)(**kwargs)


def keras_steps(keras, name, clip, grads_of_step, steps=STEPS):
    """Keras's weights after each step; grads_of_step(step, weights) gives that step's gradients."""
    variables = [keras.Variable(v) for v in start_values()]
    optimizer = make(keras, name, clip)
    history = []
    for step in range(steps):
        weights = [np.asarray(v.numpy()) for v in variables]
        optimizer.apply([g.astype("float32") for g in grads_of_step(step, weights)], variables)
        history.append([np.asarray(v.numpy()).copy() for v in variables])
    return history


def tinyfit_apply_steps(name, clip):
    variables = [tinyfit.Variable(v) for v in start_values()]
    optimizer = make(tinyfit, name, clip)
    history = []
    for step in range(STEPS):
        optimizer.apply(gradients(step), variables)
        history.append([v.numpy().copy() for v in variables])
    return history


def assert_same_history(ours, theirs, rtol=2e-5, atol=2e-6):
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for w, k, what in zip(a, b, ("kernel", "bias")):
            np.testing.assert_allclose(w, k, rtol=rtol, atol=atol, err_msg=f"{what} after step {step + 1}")


# ------------------------------------------------------------------ optimizer.apply
@pytest.mark.parametrize("clip", sorted(CLIPPING))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_apply_clips_as_keras_does(keras3, name, clip):
    theirs = keras_steps(keras3, name, clip, lambda step, _: gradients(step))
    assert_same_history(tinyfit_apply_steps(name, clip), theirs)


@pytest.mark.parametrize("clip", sorted(CLIPPING))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_clipping_changes_the_steps(name, clip):
    # Without this, a clipping argument that were ignored would pass the comparison above
    # only if Keras ignored it too; here the gradients are large enough that it must act.
    clipped, plain = tinyfit_apply_steps(name, clip), tinyfit_apply_steps(name, None)
    assert any(not np.allclose(a, b, rtol=1e-4, atol=1e-6)
               for step_a, step_b in zip(clipped, plain) for a, b in zip(step_a, step_b))


def test_clipnorm_is_per_variable_and_global_clipnorm_is_joint():
    g = [np.array([3.0, 4.0], dtype="float32"), np.array([0.0, 0.3], dtype="float32")]
    w = [tinyfit.Variable(np.zeros(2, dtype="float32")) for _ in range(2)]
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply(g, w)
    np.testing.assert_allclose(w[0].numpy(), [-0.6, -0.8], rtol=1e-6)  # norm 5 -> 1
    np.testing.assert_allclose(w[1].numpy(), [0.0, -0.3], rtol=1e-6)  # norm 0.3: untouched
    w = [tinyfit.Variable(np.zeros(2, dtype="float32")) for _ in range(2)]
    optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0).apply(g, w)
    total = np.sqrt(25 + 0.09)
    np.testing.assert_allclose(w[0].numpy(), [-3 / total, -4 / total], rtol=1e-6)
    np.testing.assert_allclose(w[1].numpy(), [0.0, -0.3 / total], rtol=1e-6)


def test_clipvalue_clips_each_element():
    w = tinyfit.Variable(np.zeros(4, dtype="float32"))
    optimizers.SGD(learning_rate=1.0, clipvalue=0.5).apply([np.array([-2, -0.25, 0.25, 7], dtype="float32")], [w])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.25, -0.25, -0.5])


def test_a_zero_gradient_stays_zero_under_clipnorm():
    w = tinyfit.Variable(np.ones(3, dtype="float32"))
    optimizers.SGD(learning_rate=1.0, clipnorm=1.0).apply([np.zeros(3, dtype="float32")], [w])
    np.testing.assert_array_equal(w.numpy(), np.ones(3))


@pytest.mark.parametrize("clip", sorted(CLIPPING))
@pytest.mark.parametrize("value", [0, -1.0, "1", True])
def test_clip_values_that_are_not_positive_numbers_are_refused(clip, value):
    with pytest.raises(ValueError, match=f"{clip} must be a number > 0"):
        optimizers.Adam(**{clip: value})


def test_two_clipping_arguments_are_refused():
    with pytest.raises(ValueError, match="only one of clipnorm, clipvalue and global_clipnorm"):
        optimizers.SGD(clipnorm=1.0, clipvalue=0.5)


@pytest.mark.parametrize("clip", sorted(CLIPPING))
def test_clipping_is_saved_in_the_config(clip):
    optimizer = optimizers.deserialize(optimizers.serialize(make(tinyfit, "Adam", clip)))
    assert getattr(optimizer, clip) == CLIPPING[clip]


# ------------------------------------------------------------------ model.fit
def fit_data():
    r = np.random.default_rng(7)
    x = r.normal(size=(8, 3)).astype("float32")
    y = (4 * r.normal(size=(8, 2))).astype("float32")
    return x, y


def mse_gradients(step, weights):
    """The gradients of mean((x @ kernel + bias - y)^2) over one batch of 4, in float64."""
    x, y = fit_data()
    rows = slice(4 * (step % 2), 4 * (step % 2) + 4)
    x, y = x[rows].astype("float64"), y[rows].astype("float64")
    kernel, bias = (w.astype("float64") for w in weights)
    d_pred = 2 * (x @ kernel + bias - y) / y.size
    return [x.T @ d_pred, d_pred.sum(axis=0)]


def tinyfit_fit(name, clip, jit_compile):
    model = tinyfit.Sequential([tinyfit.Input((3,)), layers.Dense(2)])
    model.set_weights(start_values())
    model.compile(optimizer=make(tinyfit, name, clip), loss="mse", jit_compile=jit_compile)
    x, y = fit_data()
    weights = []

    class Record(tinyfit.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            weights.append([w.copy() for w in model.get_weights()])

    model.fit(x, y, batch_size=4, epochs=STEPS // 2, shuffle=False, verbose=0, callbacks=[Record()])
    return weights


@pytest.mark.parametrize("jit_compile", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("clip", sorted(CLIPPING))
@pytest.mark.parametrize("name", OPTIMIZERS)
def test_fit_clips_as_keras_does(keras3, name, clip, jit_compile):
    theirs = keras_steps(keras3, name, clip, mse_gradients)
    assert_same_history(tinyfit_fit(name, clip, jit_compile), theirs, rtol=1e-4, atol=1e-5)


def test_the_fit_reference_gradients_are_large_enough_to_clip():
    norms = [np.linalg.norm(g) for g in mse_gradients(0, start_values())]
    assert min(norms) > max(CLIPPING.values())
    assert max(abs(g).max() for g in mse_gradients(0, start_values())) > CLIPPING["clipvalue"]
