"""The Metric base class, the guide's custom metric, and the package's lookup and public names."""

import numpy as np
import pytest

import tinyfit
import tinyfit.metrics
from tinyfit import ops
from tinyfit.autograd import is_grad_enabled


class keras:  # the guide writes keras.metrics.Metric; the lead exports tinyfit.metrics
    metrics = tinyfit.metrics


# ****************************************************** the guide's custom metric, verbatim
class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(
            shape=(), name="ctp", initializer="zeros"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
        values = ops.cast(values, "float32")
        if sample_weight is not None:
            sample_weight = ops.cast(sample_weight, "float32")
            values = ops.multiply(values, sample_weight)
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        # The state of the metric will be reset at the start of each epoch.
        self.true_positives.assign(0.0)


def test_guide_categorical_true_positives_counts_hits_across_batches_and_resets():
    m = CategoricalTruePositives()
    y_true = np.array([[1], [2], [0], [1]])
    y_pred = np.array([[0.1, 0.8, 0.1], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.9, 0.05, 0.05]], dtype="float32")
    m.update_state(y_true, y_pred)
    assert float(m.result()) == 3.0
    m.update_state(y_true, y_pred, sample_weight=np.array([[1.0], [0.5], [0.0], [1.0]]))
    assert float(m.result()) == 4.5
    assert m.name == "categorical_true_positives"
    assert [v.name for v in m.variables] == ["ctp"] and m.variables[0].trainable is False
    m.reset_state()
    assert float(m.result()) == 0.0


def test_guide_metric_works_on_a_tensor_prediction_that_requires_grad():
    m = CategoricalTruePositives()
    y_pred = tinyfit.Tensor(np.eye(3, dtype="float32"), requires_grad=True)
    m.update_state(np.array([[0], [1], [1]]), y_pred)
    assert float(m.result()) == 2.0


# ******************************************************************** the base class
class Counter(keras.metrics.Metric):
    """A hand-written Mean, as lesson 06 builds it."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values):
        values = ops.convert_to_tensor(values)
        self.total.assign_add(ops.sum(values))
        self.count.assign_add(values.shape[0])

    def result(self):
        return self.total / self.count


def test_add_variable_makes_named_non_trainable_variables_on_the_metric():
    m = Counter(name="counter")
    assert [v.name for v in m.variables] == ["total", "count"]
    for v in m.variables:
        assert isinstance(v, tinyfit.Variable) and not v.trainable and not v.requires_grad
        assert v.shape == () and v.dtype == np.float32
    assert m.total.path == "counter/total"


def test_call_updates_then_returns_the_result_and_default_reset_zeroes():
    m = Counter()
    assert float(m([1.0, 2.0, 3.0])) == 2.0
    assert float(m([10.0])) == 4.0
    m.reset_state()
    assert float(m.total) == 0.0 and float(m.count) == 0.0


def test_add_variable_initializers_shapes_and_dtypes():
    m = keras.metrics.Metric(name="m")
    assert np.all(m.add_variable(shape=(2, 3), initializer="ones").numpy() == 1)
    assert m.add_variable(shape=3, initializer=2.5).numpy().tolist() == [2.5, 2.5, 2.5]
    assert m.add_variable(shape=(2,), initializer=lambda shape, dtype: np.arange(2, dtype=dtype)).numpy().tolist() \
        == [0, 1]
    assert m.add_variable(shape=(), dtype="int32").dtype == np.int32
    assert m.add_weight(shape=(4,), name="w").shape == (4,)
    assert len(m.variables) == 5
    m.reset_state()
    assert all(np.all(v.numpy() == 0) for v in m.variables)


def test_unknown_initializer_names_the_choices():
    with pytest.raises(ValueError) as err:
        keras.metrics.Metric(name="m").add_variable(shape=(), initializer="glorot", name="v")
    assert "unknown initializer 'glorot'" in str(err.value) and "'zeros', 'ones'" in str(err.value)


def test_forgetting_super_init_is_explained():
    class Forgetful(keras.metrics.Metric):
        def __init__(self):
            self.v = self.add_variable(shape=(), name="v")

    with pytest.raises(RuntimeError, match=r"Forgetful: call super\(\).__init__\(...\) .* before add_variable"):
        Forgetful()


def test_base_methods_say_what_to_implement():
    m = keras.metrics.Metric(name="bare")
    with pytest.raises(NotImplementedError, match=r"Metric must implement update_state"):
        m.update_state([1.0])
    with pytest.raises(NotImplementedError, match=r"Metric must implement result\(\)"):
        m.result()


def test_variables_include_those_of_metrics_held_as_attributes():
    class Both(keras.metrics.Metric):
        def __init__(self):
            super().__init__(name="both")
            self.inner = keras.metrics.Mean(name="inner")
            self.extra = self.add_variable(shape=(), name="extra")

    m = Both()
    assert [v.name for v in m.variables] == ["extra", "total", "count"]
    m.inner.update_state([2.0])
    m.reset_state()
    assert float(m.inner.count) == 0.0


def test_default_name_and_config():
    assert Counter().name == "counter"
    assert keras.metrics.Mean().get_config() == {"name": "mean", "dtype": "float32"}
    assert keras.metrics.Mean(name="m", dtype="float64").result().dtype == np.float64
    assert repr(keras.metrics.Mean()) == "<Mean name='mean'>"


def test_builtin_updates_build_no_graph():
    seen = []

    def fn(y_true, y_pred):
        seen.append(is_grad_enabled())
        return ops.square(y_true - y_pred)

    m = keras.metrics.MeanMetricWrapper(fn)
    y_pred = tinyfit.Tensor(np.ones((2, 2), dtype="float32"), requires_grad=True)
    m.update_state(np.zeros((2, 2)), y_pred)
    assert seen == [False]
    assert float(m.result()) == 1.0 and m.name == "fn"
    assert is_grad_enabled()


def test_results_are_0d_tensors():
    for m in (keras.metrics.Mean(), keras.metrics.Sum(), keras.metrics.SparseCategoricalAccuracy(),
              keras.metrics.AUC(), keras.metrics.Precision(), keras.metrics.RootMeanSquaredError()):
        result = m.result()
        assert isinstance(result, tinyfit.Tensor) and result.shape == () and float(result) == 0.0


# ****************************************************************** lookup and saving
SNAKE_NAMES = {
    "mean": "Mean", "sum": "Sum", "accuracy": "Accuracy", "binary_accuracy": "BinaryAccuracy",
    "categorical_accuracy": "CategoricalAccuracy", "sparse_categorical_accuracy": "SparseCategoricalAccuracy",
    "top_k_categorical_accuracy": "TopKCategoricalAccuracy",
    "sparse_top_k_categorical_accuracy": "SparseTopKCategoricalAccuracy",
    "mean_squared_error": "MeanSquaredError", "mse": "MeanSquaredError", "MSE": "MeanSquaredError",
    "mean_absolute_error": "MeanAbsoluteError", "mae": "MeanAbsoluteError",
    "mean_absolute_percentage_error": "MeanAbsolutePercentageError", "mape": "MeanAbsolutePercentageError",
    "root_mean_squared_error": "RootMeanSquaredError", "cosine_similarity": "CosineSimilarity",
    "binary_crossentropy": "BinaryCrossentropy", "bce": "BinaryCrossentropy",
    "categorical_crossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "SparseCategoricalCrossentropy",
    "kl_divergence": "KLDivergence", "kld": "KLDivergence",
    "precision": "Precision", "recall": "Recall", "auc": "AUC", "f1_score": "F1Score", "fbeta_score": "FBetaScore",
    "true_positives": "TruePositives", "false_positives": "FalsePositives",
    "true_negatives": "TrueNegatives", "false_negatives": "FalseNegatives",
}


@pytest.mark.parametrize("name, cls_name", SNAKE_NAMES.items())
def test_get_by_snake_case_name_short_name_and_class_name(name, cls_name):
    cls = getattr(keras.metrics, cls_name)
    assert type(keras.metrics.get(name)) is cls
    assert type(keras.metrics.get(cls_name)) is cls


def test_get_passes_objects_and_functions_through():
    m = keras.metrics.AUC(num_thresholds=10)
    assert keras.metrics.get(m) is m
    assert keras.metrics.get(keras.metrics.sparse_categorical_accuracy) is keras.metrics.sparse_categorical_accuracy
    assert type(keras.metrics.get(keras.metrics.Recall)) is keras.metrics.Recall
    assert keras.metrics.get(None) is None
    with pytest.raises(TypeError, match=r"Could not interpret metric identifier 3.5 \(a float\)"):
        keras.metrics.get(3.5)


def test_unknown_metric_name_lists_close_match_and_known_names():
    with pytest.raises(ValueError) as err:
        keras.metrics.get("sparse_categorical_acuracy")
    message = str(err.value)
    assert "Unknown metric 'sparse_categorical_acuracy'" in message
    assert "Did you mean 'sparse_categorical_accuracy'?" in message
    assert "auc" in message and "precision" in message


CONFIGURED = [
    keras.metrics.Mean(name="avg"), keras.metrics.Sum(), keras.metrics.BinaryAccuracy(threshold=0.3),
    keras.metrics.TopKCategoricalAccuracy(k=2), keras.metrics.SparseTopKCategoricalAccuracy(k=3),
    keras.metrics.SparseCategoricalAccuracy(name="acc"), keras.metrics.RootMeanSquaredError(),
    keras.metrics.CosineSimilarity(axis=0), keras.metrics.CategoricalCrossentropy(label_smoothing=0.1),
    keras.metrics.Precision(thresholds=[0.2, 0.7], class_id=1), keras.metrics.Recall(top_k=2),
    keras.metrics.AUC(num_thresholds=50, curve="PR", summation_method="minoring"),
    keras.metrics.AUC(thresholds=[0.3, 0.6], multi_label=True, num_labels=2, label_weights=[1.0, 2.0]),
    keras.metrics.F1Score(average="macro", threshold=0.4), keras.metrics.FBetaScore(beta=2.0),
    keras.metrics.TruePositives(thresholds=0.7),
    keras.metrics.MeanMetricWrapper(keras.metrics.binary_accuracy, name="wrapped", threshold=0.2),
]


@pytest.mark.parametrize("metric", CONFIGURED, ids=lambda m: m.name)
def test_serialize_round_trip(metric):
    config = keras.metrics.serialize(metric)
    assert config["class_name"] == type(metric).__name__
    again = keras.metrics.deserialize(config)
    assert type(again) is type(metric) and again.get_config() == metric.get_config()
    assert keras.metrics.get(config).get_config() == metric.get_config()


def test_custom_metric_needs_custom_objects_and_the_error_says_so():
    config = keras.metrics.serialize(CategoricalTruePositives())
    with pytest.raises(ValueError, match=r"Unknown metric 'CategoricalTruePositives'.*custom_objects="):
        keras.metrics.deserialize(config)
    again = keras.metrics.deserialize(config, custom_objects={"CategoricalTruePositives": CategoricalTruePositives})
    assert isinstance(again, CategoricalTruePositives) and again.name == "categorical_true_positives"


def test_wrapped_custom_function_round_trips_with_custom_objects():
    def hits(y_true, y_pred):
        return ops.cast(ops.equal(y_true, y_pred), "float32")

    config = keras.metrics.serialize(keras.metrics.MeanMetricWrapper(hits))
    assert keras.metrics.deserialize(config, custom_objects={"hits": hits})._fn is hits
    with pytest.raises(TypeError, match="a function defined with def"):
        keras.metrics.serialize(keras.metrics.MeanMetricWrapper(lambda t, p: t))


def test_public_names_are_pinned():
    assert sorted(keras.metrics.__all__) == sorted([
        "Metric", "Mean", "Sum", "MeanMetricWrapper",
        "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
        "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
        "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "RootMeanSquaredError",
        "CosineSimilarity",
        "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
        "Precision", "Recall", "AUC", "F1Score", "FBetaScore",
        "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
        "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
        "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
        "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
        "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
        "get", "serialize", "deserialize",
        "Hinge", "SquaredHinge", "CategoricalHinge", "LogCoshError", "MeanSquaredLogarithmicError", "Poisson",
        "R2Score", "PearsonCorrelation", "ConcordanceCorrelation",
        "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
        "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "mean_squared_logarithmic_error", "poisson",
        "huber", "binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation",
        "concordance_correlation",
    ])
    for name in keras.metrics.__all__:
        assert hasattr(keras.metrics, name)


@pytest.mark.parametrize("make", [
    keras.metrics.Mean, keras.metrics.Sum, keras.metrics.AUC, keras.metrics.Precision, keras.metrics.TruePositives,
    keras.metrics.SparseCategoricalAccuracy, keras.metrics.RootMeanSquaredError,
    lambda dtype: keras.metrics.F1Score(average="macro", dtype=dtype),
], ids=lambda m: getattr(m, "__name__", "f1"))
def test_dtype_argument_sets_state_and_result_dtype(make):
    m = make(dtype="float64")
    assert all(v.dtype == np.float64 for v in m.variables)
    assert m.result().dtype == np.float64
