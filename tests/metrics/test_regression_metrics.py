"""Regression and probabilistic metrics: Keras's documented numbers and NumPy references."""

import numpy as np
import pytest

from tinyfit import losses, metrics

EPS = 1e-7

# (metric, y_true, y_pred, result, weights, weighted result): Keras's docstring examples.
DOCSTRINGS = [
    (metrics.MeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.25, [1, 0], 0.5),
    (metrics.MeanAbsoluteError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.25, [1, 0], 0.5),
    (metrics.MeanAbsolutePercentageError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], 250000000.0, [1, 0], 500000000.0),
    (metrics.RootMeanSquaredError, [[0, 1], [0, 0]], [[1, 1], [0, 0]], 0.5, [1, 0], 0.70710677),
    (lambda: metrics.CosineSimilarity(axis=1), [[0., 1.], [1., 1.]], [[1., 0.], [1., 1.]], 0.49999997,
     [0.3, 0.7], 0.6999999),
    (metrics.BinaryCrossentropy, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.81492424, [1, 0], 0.9162905),
    (metrics.CategoricalCrossentropy, [[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392,
     [0.3, 0.7], 1.6271976),
    (metrics.SparseCategoricalCrossentropy, [1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]], 1.1769392, [0.3, 0.7],
     1.6271976),
    (metrics.KLDivergence, [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]], 0.45814306, [1, 0], 0.9162892),
]


@pytest.mark.parametrize("make, y_true, y_pred, result, weights, weighted", DOCSTRINGS,
                         ids=[type(d[0]()).__name__ for d in DOCSTRINGS])
def test_keras_docstring_examples(make, y_true, y_pred, result, weights, weighted):
    m = make()
    m.update_state(y_true, y_pred)
    assert float(m.result()) == pytest.approx(result, rel=1e-5)
    m.reset_state()
    m.update_state(y_true, y_pred, sample_weight=weights)
    assert float(m.result()) == pytest.approx(weighted, rel=1e-5)


def test_regression_metrics_over_batches_match_numpy():
    r = np.random.default_rng(0)
    t, p = r.normal(size=(20, 3)), r.normal(size=(20, 3))
    made = {m: m() for m in (metrics.MeanSquaredError, metrics.MeanAbsoluteError,
                             metrics.MeanAbsolutePercentageError, metrics.RootMeanSquaredError)}
    for i in range(0, 20, 6):
        for m in made.values():
            m.update_state(t[i:i + 6], p[i:i + 6])
    expected = {
        metrics.MeanSquaredError: ((t - p) ** 2).mean(),
        metrics.MeanAbsoluteError: np.abs(t - p).mean(),
        metrics.MeanAbsolutePercentageError: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(),
        metrics.RootMeanSquaredError: np.sqrt(((t - p) ** 2).mean()),  # of all data, not a mean of batch RMSEs
    }
    for cls, m in made.items():
        assert float(m.result()) == pytest.approx(expected[cls], rel=1e-5), cls.__name__


def test_metric_and_loss_of_the_same_name_agree():
    r = np.random.default_rng(1)
    labels, logits = r.integers(0, 4, 10), r.normal(size=(10, 4))
    m = metrics.SparseCategoricalCrossentropy(from_logits=True)
    m.update_state(labels, logits)
    assert float(m.result()) == pytest.approx(float(losses.SparseCategoricalCrossentropy(from_logits=True)(
        labels, logits)), rel=1e-6)
    t, p = r.normal(size=(10, 2)), r.normal(size=(10, 2))
    m = metrics.MeanSquaredError()
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(float(losses.MeanSquaredError()(t, p)), rel=1e-6)


def test_cosine_similarity_metric_is_the_negative_of_the_loss():
    r = np.random.default_rng(2)
    t, p = r.normal(size=(5, 3)), r.normal(size=(5, 3))
    np.testing.assert_allclose(metrics.regression_metrics.cosine_similarity(t, p).numpy(),
                               -losses.cosine_similarity(t, p).numpy())


def test_default_names():
    assert [m().name for m in (metrics.MeanSquaredError, metrics.MeanAbsoluteError,
                               metrics.MeanAbsolutePercentageError, metrics.RootMeanSquaredError,
                               metrics.CosineSimilarity)] == [
        "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error", "root_mean_squared_error",
        "cosine_similarity"]


def test_rmse_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"root_mean_squared_error: y_true has shape \(3,\) but y_pred has shape "
                                         r"\(3, 2\)"):
        metrics.RootMeanSquaredError().update_state([1.0, 2.0, 3.0], np.zeros((3, 2)))


def test_mse_metric_on_labels_against_class_scores_suggests_one_hot():
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 3\).*to_categorical"):
        metrics.MeanSquaredError().update_state([0, 1, 2, 1], np.zeros((4, 3)))
