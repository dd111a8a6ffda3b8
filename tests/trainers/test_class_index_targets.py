"""fit() checks class-index labels once and passes them on as int64 only where every reader of
those targets says, in its own class body, that it reads class indices (class_index_targets)."""

import numpy as np

import tinyfit as keras
from tinyfit import layers, metrics
from tinyfit.trainers.compile_utils import class_index_outputs

CLASSES = 3


def model_with(loss="sparse_categorical_crossentropy", metric_list=()):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(CLASSES, activation="softmax")])
    model.compile(optimizer="sgd", loss=loss, metrics=list(metric_list))
    return model


class SeesTargets(metrics.SparseCategoricalAccuracy):
    """Overrides what reads the targets, and keeps their dtype: it says nothing of class indices."""

    def update_state(self, y_true, y_pred, sample_weight=None):
        self.seen = np.asarray(y_true).dtype
        super().update_state(y_true, y_pred, sample_weight)


class SaysItReadsClassIndices(SeesTargets):
    class_index_targets = True


class OwnMetric(metrics.Metric):
    class_index_targets = True

    def update_state(self, y_true, y_pred, sample_weight=None):
        pass

    def result(self):
        return 0.0


def test_the_built_in_class_index_metrics_keep_the_fast_path():
    built_in = [metrics.SparseCategoricalAccuracy(), metrics.SparseTopKCategoricalAccuracy(k=2),
                metrics.SparseCategoricalCrossentropy(), "accuracy"]
    for metric in built_in:
        assert class_index_outputs(model_with(metric_list=[metric])) == {
            0: (CLASSES, "sparse_categorical_crossentropy")}, metric
    assert class_index_outputs(model_with(metric_list=built_in)) == {0: (CLASSES, "sparse_categorical_crossentropy")}


def test_a_metric_that_says_nothing_gets_the_targets_as_given():
    assert class_index_outputs(model_with(metric_list=[metrics.MeanSquaredError()])) == {}
    # A subclass overriding update_state does not inherit its parent's word.
    assert class_index_outputs(model_with(metric_list=[SeesTargets()])) == {}
    assert class_index_outputs(model_with(metric_list=["accuracy", SeesTargets()])) == {}


def test_a_users_metric_can_say_it_reads_class_indices():
    assert class_index_outputs(model_with(metric_list=[SaysItReadsClassIndices()])) == {
        0: (CLASSES, "sparse_categorical_crossentropy")}
    assert class_index_outputs(model_with(metric_list=[OwnMetric()])) == {0: (CLASSES, "sparse_categorical_crossentropy")}


def test_a_loss_subclass_that_computes_otherwise_gets_the_targets_as_given():
    class OwnCall(keras.losses.SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return super().call(y_true, y_pred) * 2.0

    assert class_index_outputs(model_with(loss=keras.losses.SparseCategoricalCrossentropy())) == {
        0: (CLASSES, "sparse_categorical_crossentropy")}
    assert class_index_outputs(model_with(loss=OwnCall())) == {}
    assert class_index_outputs(model_with(loss="categorical_crossentropy")) == {}


def test_fit_hands_the_labels_on_as_given_or_as_int64_as_the_metric_says():
    x = np.random.default_rng(0).normal(size=(8, 4)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype="float32")
    for metric, dtype in ((SeesTargets(), np.float32), (SaysItReadsClassIndices(), np.int64)):
        model_with(metric_list=[metric]).fit(x, y, epochs=1, batch_size=4, verbose=0)
        assert metric.seen == dtype


def test_a_loss_made_from_a_function_needs_the_functions_word_and_the_last_axis():
    sparse = keras.losses.sparse_categorical_crossentropy
    wrapped = keras.losses.LossFunctionWrapper
    assert class_index_outputs(model_with(loss=wrapped(sparse, name="ce"))) == {
        0: (CLASSES, "sparse_categorical_crossentropy")}
    assert class_index_outputs(model_with(loss=wrapped(sparse, axis=0))) == {}
    assert class_index_outputs(model_with(loss=wrapped(keras.losses.categorical_crossentropy))) == {}

    def my_sparse(y_true, y_pred):
        return sparse(y_true, y_pred)

    assert class_index_outputs(model_with(loss=my_sparse)) == {}


def test_a_users_loss_can_say_it_reads_class_indices():
    class OwnCall(keras.losses.SparseCategoricalCrossentropy):
        class_index_targets = True

        def call(self, y_true, y_pred):
            return super().call(y_true, y_pred) * 2.0

    assert class_index_outputs(model_with(loss=OwnCall())) == {0: (CLASSES, "sparse_categorical_crossentropy")}
