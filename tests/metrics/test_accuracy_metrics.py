"""Accuracy metrics: Keras's documented numbers, NumPy references, label shapes, top-k ties, errors."""

import numpy as np
import pytest

from tinyfit import metrics


def rng(seed=0):
    return np.random.default_rng(seed)


# ********************************************************** Keras's docstring numbers
DOCSTRINGS = [
    # (metric, y_true, y_pred, result, weights, weighted result)
    (metrics.Accuracy(), [[1], [2], [3], [4]], [[0], [2], [3], [4]], 0.75, [1, 1, 0, 0], 0.5),
    (metrics.BinaryAccuracy(), [[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]], 0.75, [1, 0, 0, 1], 0.5),
    (metrics.CategoricalAccuracy(), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5,
     [0.7, 0.3], 0.3),
    (metrics.SparseCategoricalAccuracy(), [[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]], 0.5, [0.7, 0.3], 0.3),
    (metrics.TopKCategoricalAccuracy(k=1), [[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5,
     [0.7, 0.3], 0.3),
    (metrics.SparseTopKCategoricalAccuracy(k=1), [2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], 0.5, [0.7, 0.3], 0.3),
]


@pytest.mark.parametrize("metric, y_true, y_pred, result, weights, weighted", DOCSTRINGS,
                         ids=[d[0].name for d in DOCSTRINGS])
def test_keras_docstring_examples(metric, y_true, y_pred, result, weights, weighted):
    metric.reset_state()
    metric.update_state(y_true, y_pred)
    assert float(metric.result()) == pytest.approx(result)
    metric.reset_state()
    metric.update_state(y_true, y_pred, sample_weight=weights)
    assert float(metric.result()) == pytest.approx(weighted)


# ********************************************************************* NumPy references
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_sparse_and_categorical_accuracy_match_numpy_over_batches(seed):
    r = rng(seed)
    sparse, categorical = metrics.SparseCategoricalAccuracy(), metrics.CategoricalAccuracy()
    hits = []
    for n in (5, 7, 3):
        labels, scores = r.integers(0, 4, n), r.normal(size=(n, 4))
        sparse.update_state(labels, scores)
        categorical.update_state(np.eye(4)[labels], scores)
        hits.append(scores.argmax(-1) == labels)
    expected = np.concatenate(hits).mean()
    assert float(sparse.result()) == pytest.approx(expected)
    assert float(categorical.result()) == pytest.approx(expected)


def test_sparse_labels_of_shape_n_n_1_and_float_give_the_same_answer():
    r = rng(3)
    labels, scores = r.integers(0, 5, 12), r.normal(size=(12, 5))
    results = []
    for y in (labels, labels.reshape(-1, 1), labels.astype("float32")):
        m = metrics.SparseCategoricalAccuracy()
        m.update_state(y, scores)
        results.append(float(m.result()))
    assert results[0] == results[1] == results[2] == pytest.approx((scores.argmax(-1) == labels).mean())
    assert metrics.sparse_categorical_accuracy(labels.reshape(-1, 1), scores).shape == (12,)


@pytest.mark.parametrize("labels_dtype", ["int64", "uint8", "int32", "float32", "float64"])
def test_sparse_accuracy_matches_numpy_for_every_label_dtype_ties_and_3d_batches(labels_dtype):
    r = rng(5)
    for shape in ((16, 4), (3, 5, 4)):
        scores = r.integers(0, 3, shape).astype("float32")  # many ties: the first best class wins
        labels = r.integers(0, 4, shape[:-1]).astype(labels_dtype)
        expected = (scores.argmax(-1) == labels).astype("float32")
        if labels_dtype.startswith("float"):
            labels.flat[0] = 1.5  # a fractional label matches no class
            expected.flat[0] = 0.0
        got = metrics.sparse_categorical_accuracy(labels, scores)
        assert got.dtype == np.float32 and got.shape == shape[:-1] and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), expected)


def test_sparse_accuracy_is_one_code_path():
    from tinyfit.metrics import accuracy_metrics

    assert not [name for name in vars(accuracy_metrics) if name.startswith("_sparse_hits")]


@pytest.mark.parametrize("threshold", [0.2, 0.5, 0.8])
def test_binary_accuracy_matches_numpy(threshold):
    r = rng(4)
    t, p = r.integers(0, 2, (9, 3)), r.uniform(size=(9, 3))
    np.testing.assert_array_equal(metrics.binary_accuracy(t, p, threshold=threshold).numpy(),
                                  ((p > threshold) == t).astype("float32"))
    m = metrics.BinaryAccuracy(threshold=threshold)
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(((p > threshold) == t).mean())


# Keras 3's documented behaviour of BinaryAccuracy, with the numbers worked out by hand:
# y_pred [0.98, 1, 0, 0.6] thresholded at 0.5 is [1, 1, 0, 1]; against [1, 1, 0, 0] the hits are [1, 1, 1, 0].
LABELS, PREDS = np.array([1, 1, 0, 0]), np.array([0.98, 1, 0, 0.6])


def test_binary_accuracy_is_element_wise_as_in_keras_3():
    got = metrics.binary_accuracy(LABELS.reshape(2, 2), PREDS.reshape(2, 2))
    assert got.shape == (2, 2)
    assert got.numpy().tolist() == [[1.0, 1.0], [1.0, 0.0]]
    assert metrics.binary_accuracy(LABELS, PREDS).numpy().tolist() == [1.0, 1.0, 1.0, 0.0]


@pytest.mark.parametrize("y_true, y_pred, sample_weight, expected", [
    # 1-D labels and predictions, one weight per sample: hits 1 and 0 weighted 1 each -> 1/2
    (LABELS, PREDS, [1, 0, 0, 1], 0.5),
    # labels (4,) against predictions (4, 1) line up, no weights: 3 hits of 4
    (LABELS, PREDS.reshape(4, 1), None, 0.75),
    # a weight per element of a (2, 2) batch: hits [[1, 1], [1, 0]] weighted [[1, 0], [0, 1]] -> 1/2
    (LABELS.reshape(2, 2), PREDS.reshape(2, 2), [[1, 0], [0, 1]], 0.5),
    # one row of weights spread over every row: only column 0 counts, and both of its values are hits
    (LABELS.reshape(2, 2), PREDS.reshape(2, 2), [[1, 0]], 1.0),
    # one weight per sample of a (2, 2) batch: row means 1 and 0.5 weighted 1 and 3 -> 2.5 / 4
    (LABELS.reshape(2, 2), PREDS.reshape(2, 2), [1, 3], 0.625),
])
def test_binary_accuracy_weights_as_keras_3_documents(y_true, y_pred, sample_weight, expected):
    m = metrics.BinaryAccuracy()
    m.update_state(y_true, y_pred, sample_weight=sample_weight)
    assert float(m.result()) == pytest.approx(expected)


def test_binary_accuracy_threshold_as_keras_3_documents():
    y_true, y_pred = [[1], [1], [0], [0]], [[0.98], [0.5], [0.1], [0.2]]
    low, high = metrics.BinaryAccuracy(threshold=0.3), metrics.BinaryAccuracy(threshold=0.9)
    low.update_state(y_true, y_pred)
    high.update_state(y_true, y_pred)
    assert float(low.result()) == 1.0 and float(high.result()) == 0.75  # 0.5 is not above 0.9


@pytest.mark.parametrize("threshold", [0, 1, 1.5, -0.5, True, "0.5", None])
def test_binary_accuracy_refuses_a_threshold_outside_0_1(threshold):
    with pytest.raises(ValueError) as err:
        metrics.BinaryAccuracy(threshold=threshold)
    assert "BinaryAccuracy: threshold must be a number strictly between 0 and 1" in str(err.value)
    assert f"got {threshold!r}" in str(err.value)


@pytest.mark.parametrize("k", [1, 2, 3, 5])
def test_top_k_matches_numpy(k):
    r = rng(5)
    labels, scores = r.integers(0, 5, 20), r.normal(size=(20, 5))
    rank_of_label = (scores > scores[np.arange(20), labels][:, None]).sum(-1)
    expected = (rank_of_label < k).mean()
    sparse, dense = metrics.SparseTopKCategoricalAccuracy(k=k), metrics.TopKCategoricalAccuracy(k=k)
    sparse.update_state(labels, scores)
    dense.update_state(np.eye(5)[labels], scores)
    assert float(sparse.result()) == pytest.approx(expected)
    assert float(dense.result()) == pytest.approx(expected)


def test_top_k_counts_ties_at_the_boundary_as_in():
    # All scores equal: the label ties with every class, so it is in the top 1 (as tf.math.in_top_k).
    assert metrics.sparse_top_k_categorical_accuracy([2], [[0.5, 0.5, 0.5]], k=1).numpy().tolist() == [1.0]
    assert metrics.sparse_top_k_categorical_accuracy([0], [[0.1, 0.5, 0.5]], k=2).numpy().tolist() == [0.0]


def test_sparse_top_k_from_sorted_ids():
    ids = np.array([[3, 1, 0], [2, 0, 1]])
    got = metrics.sparse_top_k_categorical_accuracy([1, 1], ids, k=2, from_sorted_ids=True)
    assert got.numpy().tolist() == [1.0, 0.0]


def test_accuracy_matches_exact_values():
    got = metrics.accuracy([1, 2, 3], [1.0, 2.5, 3.0]).numpy()
    assert got.tolist() == [1.0, 0.0, 1.0]


def test_default_names():
    assert [m.name for m in (metrics.Accuracy(), metrics.BinaryAccuracy(), metrics.CategoricalAccuracy(),
                             metrics.SparseCategoricalAccuracy(), metrics.TopKCategoricalAccuracy(),
                             metrics.SparseTopKCategoricalAccuracy())] == [
        "accuracy", "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"]
    assert metrics.BinaryAccuracy(threshold=0.7).get_config() == {"name": "binary_accuracy", "dtype": "float32",
                                                                  "threshold": 0.7}


# *************************************************************************** errors
def test_categorical_accuracy_on_integer_labels_suggests_the_sparse_one():
    with pytest.raises(ValueError) as err:
        metrics.CategoricalAccuracy().update_state([1, 0, 2], np.zeros((3, 4)))
    message = str(err.value)
    for fact in ("categorical_accuracy", "(3,)", "(3, 4)", "one-hot", "SparseCategoricalAccuracy"):
        assert fact in message


def test_sparse_accuracy_on_one_hot_labels_suggests_the_categorical_one():
    with pytest.raises(ValueError) as err:
        metrics.SparseCategoricalAccuracy().update_state(np.eye(3), np.zeros((3, 3)))
    message = str(err.value)
    for fact in ("sparse_categorical_accuracy", "(3, 3)", "(3,) or (3, 1)", "one-hot", "CategoricalAccuracy"):
        assert fact in message


def test_binary_and_exact_accuracy_shape_errors_name_both_shapes():
    with pytest.raises(ValueError) as err:
        metrics.BinaryAccuracy().update_state([0, 1, 2], np.full((3, 4), 0.5))
    assert "(3,)" in str(err.value) and "(3, 4)" in str(err.value) and "SparseCategoricalAccuracy" in str(err.value)
    with pytest.raises(ValueError) as err:
        metrics.Accuracy().update_state([[1, 2]], [[1, 2, 3]])
    assert "(1, 2)" in str(err.value) and "(1, 3)" in str(err.value)


def test_top_k_label_out_of_range_names_label_and_classes():
    with pytest.raises(ValueError) as err:
        metrics.SparseTopKCategoricalAccuracy(k=2).update_state([0, 7], np.zeros((2, 5)))
    assert "label 7" in str(err.value) and "5" in str(err.value)
