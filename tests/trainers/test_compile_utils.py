"""compile()'s containers: lining losses and metrics up with the outputs, naming them as
Keras does, weighting, and telling which accuracy "accuracy" means."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import metrics, ops
from tinyfit.trainers.compile_utils import (
    AutoAccuracy,
    CompileLoss,
    CompileMetrics,
    align,
    flatten_outputs,
    pick_accuracy,
    resolve_loss,
    resolve_metric,
    to_float,
)

TWO = ["score_output", "class_output"]


def t(values):
    return ops.convert_to_tensor(np.asarray(values, dtype="float32"))


# ******************************************************************** align
def test_align_broadcasts_one_item_and_keeps_lists_and_dicts_in_output_order():
    assert align("mse", TWO, "loss") == ["mse", "mse"]
    assert align(["mse", None], TWO, "loss") == ["mse", None]
    assert align({"class_output": "ce"}, TWO, "loss") == [None, "ce"]
    assert align({"class_output": "ce", "score_output": "mse"}, TWO, "loss") == ["mse", "ce"]


def test_align_errors_name_the_outputs():
    with pytest.raises(ValueError, match=r"loss: got 3 entries for a model with 2 output\(s\) "
                                         r"\['score_output', 'class_output'\]"):
        align(["a", "b", "c"], TWO, "loss")
    with pytest.raises(ValueError, match=r"key\(s\) \['scores'\] match no model output; the outputs are named "
                                         r"\['score_output', 'class_output'\]"):
        align({"scores": "mse"}, TWO, "loss")
    with pytest.raises(ValueError, match=r"the model has 2 outputs"):
        align("mse", TWO, "metrics", broadcast=False)


def test_flatten_outputs():
    a, b = np.zeros(2), np.ones(2)
    assert flatten_outputs({"class_output": b, "score_output": a}, TWO, "y") == [a, b]
    assert flatten_outputs({"class_output": b}, TWO, "y") == [None, b]
    assert flatten_outputs([a, b], TWO, "y") == [a, b]
    assert flatten_outputs(None, TWO, "y") == [None, None]
    assert flatten_outputs([a], ["out"], "y") == [a]  # a one-item list for a one-output model
    assert flatten_outputs(a, ["out"], "y") == [a]
    with pytest.raises(ValueError, match=r"y: got 1 arrays for a model with 2 outputs"):
        flatten_outputs([a], TWO, "y")
    with pytest.raises(ValueError, match=r"y: the model has 2 outputs .* pass a list .* or a dict"):
        flatten_outputs(a, TWO, "y")
    with pytest.raises(ValueError, match=r"y: key\(s\) \['other'\] match no model output"):
        flatten_outputs({"other": a}, TWO, "y")


# *************************************************************** CompileLoss
def test_compile_loss_weights_and_sums_the_outputs_losses():
    loss = CompileLoss(["mse", keras.losses.CategoricalCrossentropy()], [2.0, 0.5], TWO)
    y_true = [t([[1.0], [3.0]]), t([[0, 1], [1, 0]])]
    y_pred = [t([[2.0], [1.0]]), t([[0.2, 0.8], [0.6, 0.4]])]
    total, parts = loss(y_true, y_pred)
    mse = (1 + 4) / 2
    ce = -(np.log(0.8) + np.log(0.6)) / 2
    assert float(parts["score_output"]) == pytest.approx(mse)
    assert float(parts["class_output"]) == pytest.approx(ce, rel=1e-6)
    assert float(total) == pytest.approx(2.0 * mse + 0.5 * ce, rel=1e-6)
    # Each output's loss is tracked too, under "<output>_loss".
    assert [m.name for m in loss.metrics] == ["score_output_loss", "class_output_loss"]
    assert float(loss.metrics[0].result()) == pytest.approx(mse)


def test_compile_loss_skips_outputs_without_a_loss_and_tracks_nothing_extra():
    loss = CompileLoss({"class_output": "categorical_crossentropy"}, None, TWO)
    total, parts = loss({"class_output": t([[0, 1]])}, [t([[5.0]]), t([[0.5, 0.5]])])
    assert list(parts) == ["class_output"]
    assert float(total) == pytest.approx(np.log(2))
    assert loss.metrics == []  # one loss: "loss" already says it all


def test_compile_loss_with_sample_weight_for_every_output_or_per_output():
    loss = CompileLoss("mse", None, TWO)
    y = [t([[0.0], [0.0]]), t([[0.0], [0.0]])]
    p = [t([[1.0], [2.0]]), t([[1.0], [2.0]])]
    total, _ = loss(y, p, sample_weight=t([1.0, 0.0]))
    assert float(total) == pytest.approx(2 * (1 * 1 + 0 * 4) / 2)
    total, parts = loss(y, p, sample_weight={"score_output": t([0.0, 1.0]), "class_output": None})
    assert float(parts["score_output"]) == pytest.approx(4 / 2)
    assert float(parts["class_output"]) == pytest.approx(5 / 2)


def test_compile_loss_needs_a_target_for_each_output_with_a_loss():
    loss = CompileLoss(["mse", "mse"], None, TWO)
    with pytest.raises(ValueError, match=r"Output 'class_output' has a loss but no target was given"):
        loss({"score_output": t([[1.0]])}, [t([[1.0]]), t([[1.0]])])


def test_loss_weights_must_be_numbers():
    with pytest.raises(TypeError, match=r"the weight for output 'class_output' must be a number, got 'x'"):
        CompileLoss("mse", {"class_output": "x"}, TWO)
    assert CompileLoss("mse", {"class_output": 3}, TWO).weights == [1.0, 3.0]


def test_resolve_loss_wraps_names_and_functions_with_the_batch_mean():
    for identifier in ("mse", keras.losses.mean_squared_error):
        loss = resolve_loss(identifier)
        assert isinstance(loss, keras.losses.Loss)
        assert float(loss(t([[0.0], [0.0]]), t([[1.0], [3.0]]))) == pytest.approx(5.0)
    custom = keras.losses.MeanAbsoluteError()
    assert resolve_loss(custom) is custom
    with pytest.raises(ValueError, match=r"Unknown loss 'msee'\. Did you mean 'mse'\?"):
        resolve_loss("msee")


# ************************************************************ CompileMetrics
def test_metrics_are_made_at_compile_time_and_named_as_given():
    compiled = CompileMetrics(["mae", "mean_squared_error", metrics.RootMeanSquaredError,
                               keras.metrics.mean_absolute_error], ["out"])
    assert [m.name for m in compiled.metrics] == ["mae", "mean_squared_error", "root_mean_squared_error",
                                                  "mean_absolute_error"]
    assert isinstance(compiled.metrics[0], metrics.MeanAbsoluteError)
    assert isinstance(compiled.metrics[3], metrics.MeanMetricWrapper)
    compiled.update_state(t([[1.0], [2.0]]), t([[2.0], [4.0]]))
    assert [float(m.result()) for m in compiled.metrics] == pytest.approx([1.5, 2.5, 2.5 ** 0.5, 1.5])


def test_several_outputs_prefix_the_names_with_the_output_name():
    compiled = CompileMetrics({"class_output": ["accuracy"], "score_output": ["mae"]}, TWO,
                              [None, keras.losses.CategoricalCrossentropy()])
    assert [m.name for m in compiled.metrics] == ["score_output_mae", "class_output_accuracy"]
    listed = CompileMetrics([[metrics.MeanAbsoluteError()], None], TWO)
    assert [m.name for m in listed.metrics] == ["score_output_mean_absolute_error"]


def test_compiling_the_same_metric_object_again_does_not_prefix_twice():
    mae = metrics.MeanAbsoluteError()
    CompileMetrics([[mae], []], TWO)
    CompileMetrics([[mae], []], TWO)
    assert mae.name == "score_output_mean_absolute_error"


def test_a_flat_list_for_several_outputs_is_an_error():
    with pytest.raises(ValueError, match=r"compile\(metrics=\.\.\.\): the model has 2 outputs .* list of lists"):
        CompileMetrics(["mae", "accuracy"], TWO)


def test_unknown_metric_names_the_argument():
    with pytest.raises(ValueError, match=r"compile\(metrics=\.\.\.\): Unknown metric 'acuracy'\. Did you mean "
                                         r"'accuracy'\?"):
        CompileMetrics(["acuracy"], ["out"])
    with pytest.raises(ValueError, match=r"compile\(weighted_metrics=\.\.\.\): Unknown metric 'maee'"):
        CompileMetrics(["maee"], ["out"], weighted=True, argument="weighted_metrics")


def test_metrics_ignore_sample_weights_unless_weighted():
    y_true, y_pred = t([[0.0], [0.0]]), t([[1.0], [3.0]])
    plain = CompileMetrics(["mae"], ["out"])
    weighted = CompileMetrics(["mae"], ["out"], weighted=True)
    plain.update_state(y_true, y_pred, sample_weight=t([1.0, 0.0]))
    weighted.update_state(y_true, y_pred, sample_weight=t([1.0, 0.0]))
    assert float(plain.metrics[0].result()) == pytest.approx(2.0)
    assert float(weighted.metrics[0].result()) == pytest.approx(1.0)
    plain.reset_state()
    assert float(plain.metrics[0].result()) == 0.0


def test_an_output_without_targets_updates_no_metric():
    compiled = CompileMetrics([["mae"], ["mae"]], TWO)
    compiled.update_state({"class_output": t([[1.0]])}, [t([[5.0]]), t([[3.0]])])
    assert [float(m.result()) for m in compiled.metrics] == [0.0, 2.0]


# ********************************************************* "accuracy"
@pytest.mark.parametrize("loss, kind", [
    (keras.losses.SparseCategoricalCrossentropy(), metrics.SparseCategoricalAccuracy),
    ("sparse_categorical_crossentropy", metrics.SparseCategoricalAccuracy),
    (keras.losses.BinaryCrossentropy(from_logits=True), metrics.BinaryAccuracy),
    ("binary_crossentropy", metrics.BinaryAccuracy),
    (keras.losses.CategoricalCrossentropy(), metrics.CategoricalAccuracy),
    ("categorical_crossentropy", metrics.CategoricalAccuracy),
])
def test_accuracy_follows_the_loss(loss, kind):
    for name in ("accuracy", "acc"):
        metric = resolve_metric(name, resolve_loss(loss))
        assert type(metric) is kind and metric.name == name


@pytest.mark.parametrize("y_true, y_pred, kind", [
    ([[1.0], [0.0]], [[0.9], [0.2]], metrics.BinaryAccuracy),
    ([2.0, 0.0], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]], metrics.SparseCategoricalAccuracy),
    ([[2.0], [0.0]], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]], metrics.SparseCategoricalAccuracy),
    ([[0, 0, 1.0], [0, 1.0, 0]], [[0.1, 0.2, 0.7], [0.8, 0.1, 0.1]], metrics.CategoricalAccuracy),
])
def test_accuracy_without_a_telling_loss_is_picked_from_the_shapes(y_true, y_pred, kind):
    assert pick_accuracy(t(y_true), t(y_pred)) is kind
    metric = resolve_metric("accuracy", resolve_loss("mse"))
    assert isinstance(metric, AutoAccuracy) and float(metric.result()) == 0.0
    metric.update_state(t(y_true), t(y_pred))
    assert type(metric.inner) is kind and metric.inner.name == "accuracy"
    expected = kind()
    expected.update_state(t(y_true), t(y_pred))
    assert float(metric.result()) == float(expected.result())
    metric.reset_state()
    assert float(metric.result()) == 0.0
    assert len(metric.variables) == len(expected.variables)


# ******************************************************************* to_float
def test_to_float():
    assert to_float(0.25) == 0.25
    value = to_float(t(0.5))
    assert type(value) is float and value == 0.5
    vector = to_float(t([0.5, 0.25]))
    assert isinstance(vector, np.ndarray) and vector.tolist() == [0.5, 0.25]
