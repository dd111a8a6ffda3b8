"""Metric updates run on the backend arrays: no Function is applied, no graph node is made.

The accuracies, Mean and Sum (the loss tracker) run at every training step, so
they compare and sum the arrays directly; the metrics built on a loss function
apply ops, but only with gradients off.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import metrics
from tinyfit.autograd import function as function_module
from tinyfit.autograd.grad_mode import is_grad_enabled


@pytest.fixture
def applied(monkeypatch):
    """Every Function applied while the test runs, with whether gradients were on."""
    seen = []
    original = function_module.Function.apply.__func__

    def spy(cls, *args, **attrs):
        seen.append((cls.__name__, is_grad_enabled()))
        return original(cls, *args, **attrs)
    monkeypatch.setattr(function_module.Function, "apply", classmethod(spy))
    return seen


def _scores(rng, n=8, classes=4):
    return keras.Tensor(rng.random((n, classes), dtype=np.float32), requires_grad=True)


ARRAY_METRICS = [
    ("Accuracy", lambda: metrics.Accuracy(), lambda r, p: p.numpy().round()),
    ("BinaryAccuracy", lambda: metrics.BinaryAccuracy(), lambda r, p: r.integers(0, 2, p.shape).astype("float32")),
    ("CategoricalAccuracy", lambda: metrics.CategoricalAccuracy(), lambda r, p: np.eye(4, dtype="float32")[r.integers(0, 4, 8)]),
    ("SparseCategoricalAccuracy", lambda: metrics.SparseCategoricalAccuracy(), lambda r, p: r.integers(0, 4, 8).astype("float32")),
    ("SparseCategoricalAccuracy-(N,1)", lambda: metrics.SparseCategoricalAccuracy(), lambda r, p: r.integers(0, 4, (8, 1))),
]


@pytest.mark.parametrize("name, make, labels", ARRAY_METRICS, ids=[m[0] for m in ARRAY_METRICS])
@pytest.mark.parametrize("weighted", [False, True])
def test_accuracies_apply_no_function(applied, name, make, labels, weighted):
    r = np.random.default_rng(3)
    metric, y_pred = make(), _scores(r)
    y_true = labels(r, y_pred)
    weight = r.random(8).astype("float32") if weighted else None
    metric.update_state(y_true, y_pred, sample_weight=weight)
    result = metric.result()
    assert applied == []
    assert not result.requires_grad and result._ctx is None
    assert 0.0 <= float(result) <= 1.0


@pytest.mark.parametrize("weight", [None, 64, 2.5, np.float32(3.0), np.ones(1, "float32")])
def test_mean_and_sum_of_a_loss_apply_no_function(applied, weight):
    """The loss tracker's update: a 0-d loss Tensor (with a graph behind it) weighted by the batch size."""
    w = keras.Tensor(np.float32(2.0), requires_grad=True)
    loss = w * 1.5  # a graph node, as a step's loss is
    applied.clear()
    mean, total = metrics.Mean(), metrics.Sum()
    for _ in range(3):
        mean.update_state(loss.detach(), sample_weight=weight)
        total.update_state(loss, sample_weight=weight)
    assert applied == []
    assert float(mean.result()) == pytest.approx(3.0)
    factor = 1.0 if weight is None else float(np.asarray(weight).reshape(-1)[0])
    assert float(total.result()) == pytest.approx(9.0 * factor)
    assert float(mean.count.numpy()) == pytest.approx(3 * factor)


def test_a_number_weight_gives_the_same_figures_as_the_same_weight_as_an_array():
    r = np.random.default_rng(0)
    for values in (r.random(5).astype("float32"), r.random((5, 3)).astype("float32"), np.float32(0.7)):
        by_number, by_array = metrics.Mean(), metrics.Mean()
        by_number.update_state(values, sample_weight=7)
        by_array.update_state(values, sample_weight=np.asarray(7.0, "float32"))
        assert float(by_number.result()) == float(by_array.result())
        assert float(by_number.count.numpy()) == float(by_array.count.numpy())


LOSS_METRICS = [metrics.MeanSquaredError, metrics.MeanAbsoluteError, metrics.RootMeanSquaredError,
                metrics.CosineSimilarity, metrics.CategoricalCrossentropy, metrics.KLDivergence,
                lambda: metrics.TopKCategoricalAccuracy(k=2)]


@pytest.mark.parametrize("make", LOSS_METRICS, ids=lambda m: getattr(m, "__name__", "top_k"))
def test_metrics_built_on_ops_apply_them_with_gradients_off(applied, make):
    r = np.random.default_rng(1)
    y_pred = _scores(r)
    y_true = np.eye(4, dtype="float32")[r.integers(0, 4, 8)]
    metric = make()
    metric.update_state(y_true, y_pred)
    assert applied and not any(grad_on for _, grad_on in applied)  # some ops ran, none recording a graph
    assert not metric.result().requires_grad
    assert is_grad_enabled()


def test_the_metrics_of_a_training_step_apply_no_function(applied):
    """What the built-in step does after the backward pass: the tracker and compiled metrics, on arrays."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy", "sparse_categorical_accuracy"], weighted_metrics=["accuracy"],
                  jit_compile=False)
    x, y = keras.Tensor(np.ones((4, 5), "float32")), keras.Tensor(np.array([0, 1, 2, 1], "float32"))
    y_pred = model(x, training=True)
    loss = model.compute_loss(x=x, y=y, y_pred=y_pred)
    assert applied  # the model and the loss apply their ops
    applied.clear()
    model._loss_tracker.update_state(loss.detach(), sample_weight=4)
    logs = model.compute_metrics(x, y, y_pred, keras.Tensor(np.ones(4, "float32")))
    assert applied == []
    assert list(logs) == ["loss", "accuracy", "sparse_categorical_accuracy", "weighted_accuracy"]
    assert logs["loss"] == pytest.approx(float(loss.numpy()))
