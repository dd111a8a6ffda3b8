"""The built-in losses: Keras's documented numbers, NumPy formulas, gradients, stability, errors, lookup.

Reference values come from two places: the examples in Keras's own docstrings
(exact inputs, Keras's printed outputs), and NumPy formulas written out here,
independently of tinyfit, on random data.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
from tinyfit import losses, ops
from tinyfit.autograd.gradcheck import gradcheck

few = settings(max_examples=20, deadline=None)
EPS = 1e-7


# ************************************************************** NumPy references
def np_mse(t, p):
    return ((t - p) ** 2).mean(-1)


def np_mae(t, p):
    return np.abs(t - p).mean(-1)


def np_mape(t, p):
    return 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)


def np_huber(t, p, delta=1.0):
    e = np.abs(p - t)
    return np.where(e <= delta, 0.5 * e**2, delta * e - 0.5 * delta**2).mean(-1)


def np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return (t * np.log(t / p)).sum(-1)


def np_cosine(t, p):
    tn = t / np.linalg.norm(t, axis=-1, keepdims=True)
    pn = p / np.linalg.norm(p, axis=-1, keepdims=True)
    return -(tn * pn).sum(-1)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).mean(-1)


def np_bce_logits(t, x):
    return (np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))).mean(-1)


def np_log_softmax(x):
    s = x - x.max(-1, keepdims=True)
    return s - np.log(np.exp(s).sum(-1, keepdims=True))


def np_cce(t, p):
    p = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    return -(t * np.log(p)).sum(-1)


def np_cce_logits(t, x):
    return -(t * np_log_softmax(x)).sum(-1)


def one_hot(labels, n):
    return np.eye(n)[labels]


def rng(seed=0):
    return np.random.default_rng(seed)


def probs(r, n, c):
    p = r.uniform(0.05, 1.0, (n, c))
    return p / p.sum(-1, keepdims=True)


# ********************************************************** Keras's docstring numbers
KERAS_EXAMPLES = [
    # (loss object, y_true, y_pred, reduced, weights, weighted, per-sample)
    (losses.MeanSquaredError, [[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]], 0.5, [0.7, 0.3], 0.25, [0.5, 0.5]),
    (losses.MeanAbsoluteError, [[0., 1.], [0., 0.]], [[1., 1.], [1., 0.]], 0.5, [0.7, 0.3], 0.25, [0.5, 0.5]),
    (losses.MeanAbsolutePercentageError, [[2., 1.], [2., 3.]], [[1., 1.], [1., 0.]], 50.0, [0.7, 0.3], 20.0,
     [25.0, 75.0]),
    (losses.Huber, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.155, [1, 0], 0.09, [0.18, 0.13]),
    (losses.KLDivergence, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.458, [0.8, 0.2], 0.366,
     [0.916, -3.08e-06]),
    (lambda **kw: losses.CosineSimilarity(axis=1, **kw), [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], -0.5,
     [0.8, 0.2], -0.0999, [-0.0, -0.999]),
    (losses.BinaryCrossentropy, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.815, [1, 0], 0.458,
     [0.916, 0.714]),
    (lambda **kw: losses.BinaryCrossentropy(from_logits=True, **kw), [[0, 1], [0, 0]],
     [[-18.6, 0.51], [2.94, -12.8]], 0.865, [0.8, 0.2], 0.243, [0.235, 1.496]),
    (losses.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177,
     [0.3, 0.7], 0.814, [0.0513, 2.303]),
    (losses.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.177, [0.3, 0.7],
     0.814, [0.0513, 2.303]),
]


@pytest.mark.parametrize("make, y_true, y_pred, reduced, weights, weighted, per_sample", KERAS_EXAMPLES)
def test_keras_docstring_examples(make, y_true, y_pred, reduced, weights, weighted, per_sample):
    assert float(make()(y_true, y_pred)) == pytest.approx(reduced, abs=1e-3)
    assert float(make()(y_true, y_pred, sample_weight=weights)) == pytest.approx(weighted, abs=1e-3)
    assert float(make(reduction="sum")(y_true, y_pred)) == pytest.approx(2 * reduced, abs=2e-3)
    assert make(reduction=None)(y_true, y_pred).numpy() == pytest.approx(per_sample, abs=1e-3)


def test_binary_crossentropy_from_logits_on_flat_vectors_as_keras():
    # Keras's first BinaryCrossentropy example: 1-d inputs average over their only axis.
    bce = losses.BinaryCrossentropy(from_logits=True)
    assert float(bce([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])) == pytest.approx(0.865, abs=1e-3)


# ********************************************************** NumPy formulas, random data
def regression_data(seed, n=6, d=4):
    r = rng(seed)
    return r.normal(size=(n, d)), r.normal(size=(n, d))


REGRESSION = [
    (losses.mean_squared_error, losses.MeanSquaredError, np_mse),
    (losses.mean_absolute_error, losses.MeanAbsoluteError, np_mae),
    (losses.mean_absolute_percentage_error, losses.MeanAbsolutePercentageError, np_mape),
    (losses.huber, losses.Huber, np_huber),
    (losses.cosine_similarity, losses.CosineSimilarity, np_cosine),
]


@pytest.mark.parametrize("fn, cls, ref", REGRESSION, ids=lambda x: getattr(x, "__name__", ""))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_regression_losses_match_numpy(fn, cls, ref, seed):
    t, p = regression_data(seed)
    np.testing.assert_allclose(fn(t, p).numpy(), ref(t, p), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(float(cls()(t, p)), ref(t, p).mean(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("delta", [0.1, 0.5, 2.0])
def test_huber_delta(delta):
    t, p = regression_data(3)
    np.testing.assert_allclose(float(losses.Huber(delta=delta)(t, p)), np_huber(t, p, delta).mean(), rtol=1e-5)


def test_kl_divergence_matches_numpy():
    r = rng(4)
    t, p = probs(r, 5, 3), probs(r, 5, 3)
    np.testing.assert_allclose(losses.kl_divergence(t, p).numpy(), np_kld(t, p), rtol=1e-4, atol=1e-6)


def test_crossentropies_match_numpy():
    r = rng(5)
    labels = r.integers(0, 4, 8)
    p = probs(r, 8, 4)
    logits = r.normal(scale=3, size=(8, 4))
    t = one_hot(labels, 4)
    np.testing.assert_allclose(losses.categorical_crossentropy(t, p).numpy(), np_cce(t, p), rtol=1e-5)
    np.testing.assert_allclose(losses.categorical_crossentropy(t, logits, from_logits=True).numpy(),
                               np_cce_logits(t, logits), rtol=1e-5)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, p).numpy(), np_cce(t, p), rtol=1e-5)
    np.testing.assert_allclose(losses.sparse_categorical_crossentropy(labels, logits, from_logits=True).numpy(),
                               np_cce_logits(t, logits), rtol=1e-5)
    bt = r.integers(0, 2, (8, 3)).astype(float)
    bp = r.uniform(0.01, 0.99, (8, 3))
    np.testing.assert_allclose(losses.binary_crossentropy(bt, bp).numpy(), np_bce(bt, bp), rtol=1e-5)
    np.testing.assert_allclose(losses.binary_crossentropy(bt, logits[:, :3], from_logits=True).numpy(),
                               np_bce_logits(bt, logits[:, :3]), rtol=1e-5)


def test_categorical_crossentropy_rescales_probabilities_that_do_not_sum_to_one():
    t = one_hot([0, 1], 3)
    p = np.array([[2.0, 1.0, 1.0], [0.1, 0.1, 0.2]])
    np.testing.assert_allclose(losses.categorical_crossentropy(t, p).numpy(), np_cce(t, p), rtol=1e-6)


# ************************************************************** from_logits, smoothing
def test_from_logits_equals_probabilities_of_the_same_logits():
    r = rng(6)
    logits = r.normal(scale=2, size=(10, 5)).astype("float32")
    labels = r.integers(0, 5, 10)
    sig = 1 / (1 + np.exp(-logits))
    bt = r.integers(0, 2, (10, 5))
    assert float(losses.BinaryCrossentropy(from_logits=True)(bt, logits)) == pytest.approx(
        float(losses.BinaryCrossentropy()(bt, sig)), rel=1e-5)
    soft = np.exp(np_log_softmax(logits))
    assert float(losses.SparseCategoricalCrossentropy(from_logits=True)(labels, logits)) == pytest.approx(
        float(losses.SparseCategoricalCrossentropy()(labels, soft)), rel=1e-5)
    assert float(losses.CategoricalCrossentropy(from_logits=True)(one_hot(labels, 5), logits)) == pytest.approx(
        float(losses.CategoricalCrossentropy()(one_hot(labels, 5), soft)), rel=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.3])
def test_categorical_label_smoothing(smoothing):
    r = rng(7)
    labels = r.integers(0, 4, 6)
    logits = r.normal(size=(6, 4))
    t = one_hot(labels, 4)
    smoothed = t * (1 - smoothing) + smoothing / 4
    loss = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=smoothing)
    np.testing.assert_allclose(float(loss(t, logits)), np_cce_logits(smoothed, logits).mean(), rtol=1e-5)


@pytest.mark.parametrize("smoothing", [0.0, 0.2, 1.0])
def test_binary_label_smoothing(smoothing):
    r = rng(8)
    t = r.integers(0, 2, (6, 2)).astype(float)
    logits = r.normal(size=(6, 2))
    smoothed = t * (1 - smoothing) + 0.5 * smoothing
    loss = losses.BinaryCrossentropy(from_logits=True, label_smoothing=smoothing)
    np.testing.assert_allclose(float(loss(t, logits)), np_bce_logits(smoothed, logits).mean(), rtol=1e-5)


def test_softmax_output_is_as_stable_as_logits_even_for_extreme_logits():
    logits = np.array([[1000.0, 0.0, -1000.0], [-500.0, 500.0, 0.0], [3.0, 1.0, 2.0]], dtype="float32")
    labels = np.array([2, 0, 1])
    expected = np_cce_logits(one_hot(labels, 3), logits.astype("float64"))  # 2000, 1000, 1.41
    via_logits = losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)(labels, logits)
    x = tinyfit.Tensor(logits, requires_grad=True)
    via_softmax = losses.SparseCategoricalCrossentropy(reduction=None)(labels, ops.softmax(x))
    np.testing.assert_allclose(via_softmax.numpy(), expected, rtol=1e-6)
    np.testing.assert_allclose(via_logits.numpy(), expected, rtol=1e-6)
    # ... and the gradient reaching the logits is softmax - one_hot, finite everywhere.
    via_softmax.sum().backward()
    np.testing.assert_allclose(x.grad, np.exp(np_log_softmax(logits)) - one_hot(labels, 3), atol=1e-6)
    # Categorical cross-entropy takes the same path.
    cce = losses.CategoricalCrossentropy(reduction=None)(one_hot(labels, 3), ops.softmax(tinyfit.Tensor(logits)))
    np.testing.assert_allclose(cce.numpy(), expected, rtol=1e-6)


def test_probabilities_are_clipped_as_keras_does():
    # A confident mistake costs -log(1e-7) (about 16.1), not infinity.
    loss = losses.SparseCategoricalCrossentropy()([0], [[0.0, 1.0]])
    assert float(loss) == pytest.approx(-np.log(EPS), rel=1e-3)
    assert np.isfinite(float(losses.BinaryCrossentropy()([[1.0]], [[0.0]])))


# ******************************************************************** gradients
ALL_LOSSES = [
    losses.MeanSquaredError(), losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(), losses.Huber(),
    losses.KLDivergence(), losses.CosineSimilarity(), losses.BinaryCrossentropy(),
    losses.BinaryCrossentropy(from_logits=True), losses.CategoricalCrossentropy(),
    losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
    losses.SparseCategoricalCrossentropy(), losses.SparseCategoricalCrossentropy(from_logits=True),
]


@pytest.mark.parametrize("loss", ALL_LOSSES, ids=lambda l: f"{l.name}-{getattr(l, 'from_logits', '')}")
def test_backward_gives_finite_gradients_of_the_prediction_shape(loss):
    r = rng(9)
    labels = r.integers(0, 4, 5)
    y_true = labels if isinstance(loss, losses.SparseCategoricalCrossentropy) else one_hot(labels, 4)
    y_pred = tinyfit.Tensor(probs(r, 5, 4), requires_grad=True)
    value = loss(y_true, y_pred)
    assert value.shape == ()
    value.backward()
    assert y_pred.grad.shape == (5, 4)
    assert np.all(np.isfinite(y_pred.grad)) and np.any(y_pred.grad != 0)


GRADCHECKS = [
    ("mse", lambda t, p: losses.mean_squared_error(t, p), "real"),
    ("mae", lambda t, p: losses.mean_absolute_error(t, p), "real"),
    ("mape", lambda t, p: losses.mean_absolute_percentage_error(t, p), "real"),
    ("huber", lambda t, p: losses.huber(t, p, delta=0.7), "real"),
    ("kld", lambda t, p: losses.kl_divergence(t, p), "probs"),
    ("cosine", lambda t, p: losses.cosine_similarity(t, p), "real"),
    ("bce", lambda t, p: losses.binary_crossentropy(t, p), "probs"),
    ("bce_logits", lambda t, p: losses.binary_crossentropy(t, p, from_logits=True, label_smoothing=0.1), "real"),
    ("cce", lambda t, p: losses.categorical_crossentropy(t, p), "probs"),
    ("cce_logits", lambda t, p: losses.categorical_crossentropy(t, p, from_logits=True), "real"),
]


@pytest.mark.parametrize("name, fn, domain", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck_against_finite_differences(name, fn, domain):
    r = rng(10)
    t = probs(r, 3, 4)
    if domain == "probs":
        p = probs(r, 3, 4)
    else:
        # Away from the kinks of |x| and of huber's switch (|error| = delta).
        p = t + r.choice([-1, 1], (3, 4)) * r.uniform(0.2, 0.6, (3, 4))
    gradcheck(lambda y_pred: fn(t, y_pred), [p])


def test_gradcheck_sparse_crossentropy_through_softmax():
    r = rng(11)
    labels = r.integers(0, 4, 3)
    gradcheck(lambda x: losses.SparseCategoricalCrossentropy()(labels, ops.softmax(x)), [r.normal(size=(3, 4))])


def test_float64_predictions_give_a_float64_loss():
    r = rng(12)
    y_pred = tinyfit.Tensor(r.normal(size=(4, 3)), dtype="float64")
    assert losses.MeanSquaredError()(r.normal(size=(4, 3)), y_pred).dtype == np.float64
    assert losses.SparseCategoricalCrossentropy(from_logits=True)([0, 1, 2, 0], y_pred).dtype == np.float64


# ************************************************************* shapes of targets
def test_labels_of_shape_n_and_n_1_give_the_same_loss():
    r = rng(13)
    labels = r.integers(0, 3, 6)
    p = probs(r, 6, 3)
    scce = losses.SparseCategoricalCrossentropy()
    assert float(scce(labels, p)) == pytest.approx(float(scce(labels.reshape(-1, 1), p)))
    assert float(scce(labels.astype("float32"), p)) == pytest.approx(float(scce(labels, p)))
    # A Dense(1) output (N, 1) against targets (N,): per sample, never an (N, N) broadcast.
    t, out = r.normal(size=6), r.normal(size=(6, 1))
    assert losses.MeanSquaredError(reduction=None)(t, out).shape == (6,)
    np.testing.assert_allclose(losses.mean_squared_error(t, out).numpy(), (t - out[:, 0]) ** 2, rtol=1e-5)


# *********************************************************************** errors
def test_categorical_crossentropy_on_integer_labels_says_what_to_use():
    with pytest.raises(ValueError) as err:
        losses.CategoricalCrossentropy()(np.array([1, 2, 0, 3]), probs(rng(), 4, 10))
    message = str(err.value)
    for fact in ("(4,)", "(4, 10)", "CategoricalCrossentropy expects one-hot", "SparseCategoricalCrossentropy",
                 "to_categorical(y, num_classes=10)"):
        assert fact in message


def test_sparse_crossentropy_on_one_hot_labels_says_what_to_use():
    with pytest.raises(ValueError) as err:
        losses.SparseCategoricalCrossentropy()(one_hot([1, 2], 3), probs(rng(), 2, 3))
    message = str(err.value)
    for fact in ("(2, 3)", "one integer class label per sample", "(2,) or (2, 1)", "one-hot",
                 "CategoricalCrossentropy"):
        assert fact in message


def test_label_outside_the_classes_names_label_and_class_count():
    with pytest.raises(ValueError) as err:
        losses.SparseCategoricalCrossentropy(from_logits=True)([0, 10], np.zeros((2, 10)))
    assert "label 10" in str(err.value) and "10 classes" in str(err.value)


def test_mse_on_integer_labels_against_class_scores_suggests_one_hot():
    with pytest.raises(ValueError) as err:
        losses.MeanSquaredError()(np.array([1, 2, 3]), probs(rng(), 3, 10))
    message = str(err.value)
    for fact in ("mean_squared_error", "(3,)", "(3, 10)", "same shape", "to_categorical(y, num_classes=10)"):
        assert fact in message


def test_binary_crossentropy_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as err:
        losses.BinaryCrossentropy()(np.zeros((4, 2)), np.full((4, 3), 0.5))
    assert "(4, 2)" in str(err.value) and "(4, 3)" in str(err.value) and "BinaryCrossentropy" in str(err.value)
    with pytest.raises(ValueError) as err:
        losses.BinaryCrossentropy()(np.array([0, 3, 1]), np.full((3, 5), 0.2))
    assert "SparseCategoricalCrossentropy" in str(err.value)


def test_label_smoothing_outside_0_1_is_refused():
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got 1.5"):
        losses.CategoricalCrossentropy(label_smoothing=1.5)
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\], got -0.1"):
        losses.binary_crossentropy([[1.0]], [[0.5]], label_smoothing=-0.1)


def test_categorical_crossentropy_with_a_single_class_warns():
    with pytest.warns(UserWarning, match=r"\(2, 1\), a single class.*BinaryCrossentropy"):
        losses.categorical_crossentropy([[1.0], [1.0]], [[0.3], [0.9]])


# ******************************************************* registry, get, serialize
def test_get_resolves_names_as_keras_does():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("MSE") is losses.mean_squared_error
    assert losses.get("mae") is losses.mean_absolute_error
    assert losses.get("mape") is losses.mean_absolute_percentage_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("sparse_categorical_crossentropy") is losses.sparse_categorical_crossentropy
    obj = losses.get("SparseCategoricalCrossentropy")
    assert isinstance(obj, losses.SparseCategoricalCrossentropy) and obj.from_logits is False
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    mine = losses.Huber(delta=3.0)
    assert losses.get(mine) is mine
    assert losses.get(None) is None

    def custom(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    assert losses.get(custom) is custom


def test_unknown_loss_name_lists_close_match_and_known_names():
    with pytest.raises(ValueError) as err:
        losses.get("sparse_categorical_crossentropyy")
    message = str(err.value)
    assert "Unknown loss 'sparse_categorical_crossentropyy'" in message
    assert "Did you mean 'sparse_categorical_crossentropy'?" in message
    assert "mean_squared_error" in message and "mse" in message


def test_get_refuses_things_that_are_not_losses():
    with pytest.raises(TypeError, match=r"Could not interpret loss identifier 42 \(a int\)"):
        losses.get(42)


@pytest.mark.parametrize("loss", [
    losses.MeanSquaredError(reduction="sum", name="my_mse"), losses.Huber(delta=2.5),
    losses.CosineSimilarity(axis=0), losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2),
    losses.CategoricalCrossentropy(label_smoothing=0.1, reduction=None),
    losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64"),
    losses.MeanAbsoluteError(), losses.MeanAbsolutePercentageError(), losses.KLDivergence(),
], ids=lambda l: l.name)
def test_serialize_round_trip(loss):
    config = losses.serialize(loss)
    assert config["class_name"] == type(loss).__name__
    again = losses.deserialize(config)
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    assert losses.get(config).get_config() == loss.get_config()
    r = rng(14)
    labels = r.integers(0, 3, 4)
    t = labels if isinstance(loss, losses.SparseCategoricalCrossentropy) else one_hot(labels, 3)
    p = probs(r, 4, 3)
    np.testing.assert_allclose(again(t, p).numpy(), loss(t, p).numpy())


def test_function_and_wrapper_round_trip():
    assert losses.deserialize(losses.serialize(losses.huber)) is losses.huber
    wrapped = losses.LossFunctionWrapper(losses.huber, delta=0.5)
    again = losses.deserialize(losses.serialize(wrapped))
    assert again.fn is losses.huber and again.get_config() == wrapped.get_config()


def test_custom_objects_are_needed_for_custom_losses_and_named_in_the_error():
    def my_loss(y_true, y_pred):
        return ops.mean(ops.abs(y_true - y_pred), axis=-1)

    wrapped = losses.LossFunctionWrapper(my_loss, name="mine")
    config = losses.serialize(wrapped)
    with pytest.raises(ValueError, match=r"Unknown loss 'my_loss'.*custom_objects=\{'my_loss': \.\.\.\}"):
        losses.deserialize(config)
    again = losses.deserialize(config, custom_objects={"my_loss": my_loss})
    assert again.fn is my_loss and again.name == "mine"


def test_public_names_are_pinned():
    assert sorted(losses.__all__) == sorted([
        "Loss", "LossFunctionWrapper", "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError",
        "Huber", "KLDivergence", "CosineSimilarity", "BinaryCrossentropy", "CategoricalCrossentropy",
        "SparseCategoricalCrossentropy", "mean_squared_error", "mean_absolute_error",
        "mean_absolute_percentage_error", "huber", "kl_divergence", "cosine_similarity", "binary_crossentropy",
        "categorical_crossentropy", "sparse_categorical_crossentropy", "get", "serialize", "deserialize",
        "Hinge", "SquaredHinge", "CategoricalHinge", "LogCosh", "MeanSquaredLogarithmicError", "Poisson",
        "BinaryFocalCrossentropy", "CategoricalFocalCrossentropy", "hinge", "squared_hinge",
        "categorical_hinge", "log_cosh", "mean_squared_logarithmic_error", "poisson",
        "binary_focal_crossentropy", "categorical_focal_crossentropy",
    ])
    for name in losses.__all__:
        assert hasattr(losses, name)


# ****************************************************************** properties
@few
@given(n=st.integers(1, 6), d=st.integers(1, 5), seed=st.integers(0, 2**16))
def test_mse_is_the_mean_of_per_sample_losses_for_any_shape(n, d, seed):
    r = rng(seed)
    t, p = r.normal(size=(n, d)), r.normal(size=(n, d))
    per_sample = losses.MeanSquaredError(reduction=None)(t, p).numpy()
    assert per_sample.shape == (n,)
    assert float(losses.MeanSquaredError()(t, p)) == pytest.approx(per_sample.mean(), rel=1e-5, abs=1e-6)
    assert float(losses.MeanSquaredError(reduction="sum")(t, p)) == pytest.approx(per_sample.sum(), rel=1e-5,
                                                                                  abs=1e-5)


def test_a_wrapped_sparse_function_equals_the_class_for_every_label_dtype():
    # compile(loss="sparse_categorical_crossentropy") wraps the function; it must agree with the class.
    r = rng(15)
    labels, p = r.integers(0, 5, 7), probs(r, 7, 5)
    wrapped = losses.LossFunctionWrapper(losses.get("sparse_categorical_crossentropy"))
    expected = np_cce(one_hot(labels, 5), p).mean()
    for y in (labels, labels.astype("uint8"), labels.astype("float32"), labels.reshape(-1, 1)):
        assert float(wrapped(y, p)) == pytest.approx(expected, rel=1e-5)
        assert float(losses.SparseCategoricalCrossentropy()(y, p)) == pytest.approx(expected, rel=1e-5)
    with pytest.raises(ValueError, match=r"label 2.5 is not a whole number"):
        wrapped(np.array([0, 2.5, 1, 0, 0, 0, 0]), p)


@pytest.mark.parametrize("loss, y_true", [
    ("sparse_categorical_crossentropy", np.zeros(4)),
    ("categorical_crossentropy", np.eye(10)[:4]),
    ("mean_squared_error", np.zeros((4, 10))),
])
def test_a_feature_map_reaching_the_loss_gets_a_flatten_hint(loss, y_true):
    # A convnet whose last Dense was applied to an unflattened (N, 26, 26, C) feature map.
    y_pred = np.full((4, 26, 26, 10), 0.1, dtype="float32")
    with pytest.raises(ValueError, match=r"\(4, 26, 26, 10\).*axes \(26, 26\).*Flatten\(\)"):
        losses.get(loss)(y_true, y_pred)


def test_no_flatten_hint_for_a_plain_shape_mismatch():
    with pytest.raises(ValueError) as info:
        losses.mean_squared_error(np.zeros((4, 3)), np.zeros((4, 5), dtype="float32"))
    assert "Flatten" not in str(info.value)
