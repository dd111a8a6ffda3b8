"""The cross-entropy losses weight and reduce inside their fused op: the same values and
gradients as the cross-entropy, sample weights and mean worked out by hand in NumPy, for
every reduction and weight layout, and the general path where the op cannot fold them."""

import numpy as np
import pytest

import tinyfit
from tinyfit import Tensor, ops
from tinyfit.autograd.ops.nn import CategoricalCrossentropyFromLogits, SparseCategoricalCrossentropyFromLogits

N, C = 6, 4
REDUCTIONS = ["sum_over_batch_size", "mean", "sum", None]
WEIGHTS = ["none", "per_sample", "column", "number"]


def _batch(seed=0, shape=(N, C)):
    rng = np.random.default_rng(seed)
    logits = rng.normal(size=shape)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    weights = rng.uniform(0.0, 2.0, size=shape[:-1])
    weights.reshape(-1)[0] = 0.0  # a weight of 0 removes a sample's loss but still counts it
    return logits, labels, weights


def _by_hand(logits, labels, weights, reduction):
    """Cross-entropy, weighting and reduction in NumPy: (loss, gradient at the logits)."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))
    one_hot = np.eye(logits.shape[-1])[labels]
    losses = -(one_hot * log_probs).sum(axis=-1)
    w = np.ones_like(losses) if weights is None else np.broadcast_to(weights, losses.shape)
    per_sample_grad = {"sum": w, None: w}.get(reduction, w / losses.size)
    grad = (np.exp(log_probs) - one_hot) * per_sample_grad[..., None]
    weighted = losses * w
    value = {"sum": weighted.sum(), None: weighted}.get(reduction, weighted.sum() / losses.size)
    return value, grad


def _weight_argument(kind, weights):
    return {"none": None, "per_sample": weights, "column": weights[..., None], "number": 0.5}[kind]


def _weights_by_hand(kind, weights):
    return {"none": None, "per_sample": weights, "column": weights, "number": 0.5}[kind]


def _run(loss, y_true, logits, sample_weight, softmax_first):
    """The loss, the gradient of its sum at the logits (float64), and the op that made the loss."""
    x = Tensor(logits, dtype="float64", requires_grad=True)
    y_pred = ops.softmax(x) if softmax_first else x
    value = loss(y_true, y_pred, sample_weight=sample_weight)
    made_by = value._ctx  # backward frees the graph
    value.sum().backward()
    return value, x.grad, made_by


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_kind", WEIGHTS)
@pytest.mark.parametrize("from_logits", [True, False])  # False: the softmax output's logits are used
@pytest.mark.parametrize("sparse", [True, False])
def test_loss_is_one_op_with_the_values_and_gradients_worked_out_by_hand(sparse, from_logits, weight_kind,
                                                                          reduction):
    logits, labels, weights = _batch()
    kind = tinyfit.losses.SparseCategoricalCrossentropy if sparse else tinyfit.losses.CategoricalCrossentropy
    loss = kind(from_logits=from_logits, reduction=reduction)
    y_true = labels if sparse else np.eye(C)[labels]
    value, grad, made_by = _run(loss, y_true, logits, _weight_argument(weight_kind, weights), softmax_first=not from_logits)
    expected_value, expected_grad = _by_hand(logits, labels, _weights_by_hand(weight_kind, weights), reduction)
    np.testing.assert_allclose(value.numpy(), expected_value, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-12)
    op = SparseCategoricalCrossentropyFromLogits if sparse else CategoricalCrossentropyFromLogits
    assert isinstance(made_by, op)  # no multiply, no mean after it
    assert made_by.reduction == {"mean": "sum_over_batch_size"}.get(reduction, reduction)


def test_sequence_losses_with_a_weight_per_timestep_fold_and_per_sample_weights_do_not():
    logits, labels, weights = _batch(shape=(3, 5, C))
    loss = tinyfit.losses.SparseCategoricalCrossentropy(from_logits=True)
    value, grad, made_by = _run(loss, labels, logits, weights, softmax_first=False)  # (3, 5): one per timestep
    expected = _by_hand(logits, labels, weights, "sum_over_batch_size")
    np.testing.assert_allclose(value.numpy(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(grad, expected[1], rtol=1e-10, atol=1e-12)
    assert isinstance(made_by, SparseCategoricalCrossentropyFromLogits)

    per_sample = weights[:, 0]  # (3,): weighs every timestep of a sample: the general path lines it up
    value, grad, made_by = _run(loss, labels, logits, per_sample, softmax_first=False)
    expected = _by_hand(logits, labels, per_sample[:, None], "sum_over_batch_size")
    np.testing.assert_allclose(value.numpy(), expected[0], rtol=1e-12)
    np.testing.assert_allclose(grad, expected[1], rtol=1e-10, atol=1e-12)
    assert not isinstance(made_by, SparseCategoricalCrossentropyFromLogits)


@pytest.mark.parametrize("sparse", [True, False])
def test_probabilities_not_from_a_softmax_are_weighted_and_reduced_too(sparse):
    rng = np.random.default_rng(3)
    probs = rng.uniform(0.05, 1.0, size=(N, C))
    labels = rng.integers(0, C, size=N)
    weights = rng.uniform(0.0, 2.0, size=N)
    kind = tinyfit.losses.SparseCategoricalCrossentropy if sparse else tinyfit.losses.CategoricalCrossentropy
    y_true = labels if sparse else np.eye(C)[labels]
    normalized = probs / probs.sum(axis=-1, keepdims=True)
    losses = -np.log(normalized[np.arange(N), labels])
    for reduction, expected in [("sum_over_batch_size", (losses * weights).mean()), ("sum", (losses * weights).sum()),
                                (None, losses * weights)]:
        value = kind(reduction=reduction)(y_true, Tensor(probs, dtype="float64"), sample_weight=weights)
        np.testing.assert_allclose(value.numpy(), expected, rtol=1e-6)


def test_mean_with_sample_weight_divides_by_the_weights_sum():
    logits, labels, weights = _batch(seed=4)
    loss = tinyfit.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")
    value, grad, made_by = _run(loss, labels, logits, weights, softmax_first=False)
    expected_value, expected_grad = _by_hand(logits, labels, weights, "sum")
    np.testing.assert_allclose(value.numpy(), expected_value / weights.sum(), rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad / weights.sum(), rtol=1e-10, atol=1e-12)


def test_a_subclass_with_its_own_call_is_not_folded():
    class Halved(tinyfit.losses.SparseCategoricalCrossentropy):
        def call(self, y_true, y_pred):
            return super().call(y_true, y_pred) * 0.5

    logits, labels, weights = _batch(seed=5)
    value, grad, made_by = _run(Halved(from_logits=True), labels, logits, weights, softmax_first=False)
    expected_value, expected_grad = _by_hand(logits, labels, weights, "sum_over_batch_size")
    np.testing.assert_allclose(value.numpy(), expected_value * 0.5, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad * 0.5, rtol=1e-10, atol=1e-12)


def test_a_wrapper_given_another_function_later_computes_that_one():
    loss = tinyfit.losses.SparseCategoricalCrossentropy(from_logits=True)
    loss.fn = lambda y_true, y_pred, from_logits: ops.sum(y_pred, axis=-1)  # sums the outputs instead
    logits, labels, _ = _batch(seed=6)
    value = loss(labels, Tensor(logits, dtype="float64"))
    np.testing.assert_allclose(value.numpy(), logits.sum(axis=-1).mean(), rtol=1e-12)


def test_weights_that_fit_nothing_still_name_both_shapes():
    logits, labels, _ = _batch()
    loss = tinyfit.losses.SparseCategoricalCrossentropy(from_logits=True)
    with pytest.raises(ValueError, match=r"sample_weight has shape \(4,\).*per-sample values of shape \(6,\)"):
        loss(labels, Tensor(logits), sample_weight=np.ones(4))


def test_compiled_loss_in_fit_gives_the_weighted_mean_by_hand():
    """The loss fit() logs for one full-batch step equals the hand-computed weighted mean."""
    tinyfit.utils.set_random_seed(0)
    x = np.random.default_rng(7).normal(size=(N, 3)).astype("float32")
    _, labels, weights = _batch(seed=8)
    model = tinyfit.Sequential([tinyfit.Input((3,)), tinyfit.layers.Dense(C, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=False)
    kernel, bias = model.get_weights()
    logits = x.astype("float64") @ kernel + bias
    history = model.fit(x, labels, sample_weight=weights, batch_size=N, epochs=1, verbose=0, shuffle=False)
    expected, _ = _by_hand(logits, labels, weights, "sum_over_batch_size")
    np.testing.assert_allclose(history.history["loss"][0], expected, rtol=1e-5)
