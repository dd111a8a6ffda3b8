"""The fused cross-entropy ops with a weight input and a reduction: float64 finite
differences at the logits, the targets and the weights, and their errors."""

import numpy as np
import pytest

from tinyfit import Tensor
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.nn import (CategoricalCrossentropyFromLogits, SparseCategoricalCrossentropyFromLogits,
                                     categorical_crossentropy, sparse_categorical_crossentropy)
from tinyfit.autograd.ops.weighted_reduction import REDUCTIONS

SHAPES = [((5, 3), 1), ((2, 4, 3), 2), ((3, 2, 4), 1)]  # (logits shape, class axis)


def _data(shape, axis, seed=0):
    rng = np.random.default_rng(seed)
    per_sample = shape[:axis] + shape[axis + 1:]
    labels = rng.integers(0, shape[axis], size=per_sample)
    soft = rng.uniform(0.1, 1.0, size=shape)
    return rng.normal(size=shape), labels, soft / soft.sum(axis=axis, keepdims=True), rng.uniform(0.5, 2, per_sample)


@pytest.mark.parametrize("shape, axis", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", ["per_sample", "number", "none"])
def test_sparse_gradcheck_at_logits_and_weights(weighted, reduction, shape, axis):
    logits, labels, _, weights = _data(shape, axis)
    weight = {"per_sample": [weights], "number": [np.array(0.7)], "none": []}[weighted]
    assert gradcheck(lambda x, y, *w: SparseCategoricalCrossentropyFromLogits.apply(x, y, *w, axis=axis,
                                                                                    reduction=reduction),
                     [logits, labels] + weight)


@pytest.mark.parametrize("shape, axis", SHAPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [True, False])
def test_categorical_gradcheck_at_targets_logits_and_weights(weighted, reduction, shape, axis):
    logits, _, soft, weights = _data(shape, axis, seed=1)
    weight = [weights] if weighted else []
    assert gradcheck(lambda t, x, *w: CategoricalCrossentropyFromLogits.apply(t, x, *w, axis=axis,
                                                                              reduction=reduction),
                     [soft, logits] + weight)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_weighted_and_reduced_equals_the_separate_ops(reduction):
    logits, labels, soft, weights = _data((6, 4), 1, seed=2)
    for f, target in [(sparse_categorical_crossentropy, labels), (categorical_crossentropy, soft)]:
        t = Tensor(target, dtype=None if f is sparse_categorical_crossentropy else "float64")
        x = Tensor(logits, dtype="float64")
        w = Tensor(weights, dtype="float64")
        folded = f(t, x, from_logits=True, weight=w, reduction=reduction).numpy()
        weighted = (f(t, x, from_logits=True) * w).numpy()
        expected = {"sum": weighted.sum(), "sum_over_batch_size": weighted.mean(), None: weighted}[reduction]
        np.testing.assert_allclose(folded, expected, rtol=1e-12)


def test_an_empty_batch_averages_to_zero():
    out = SparseCategoricalCrossentropyFromLogits.apply(Tensor(np.zeros((0, 3))), Tensor(np.zeros(0, dtype="int64")),
                                                        axis=1, reduction="sum_over_batch_size")
    assert out.shape == () and float(out.numpy()) == 0.0


def test_bad_reduction_and_weight_shape_name_their_facts():
    logits, labels, soft, _ = (Tensor(a) for a in _data((5, 3), 1))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy: reduction 'mean_with_sample_weight' is "
                                         r"not one of \(None, 'sum', 'sum_over_batch_size'\)"):
        SparseCategoricalCrossentropyFromLogits.apply(logits, labels, axis=1, reduction="mean_with_sample_weight")
    with pytest.raises(ValueError, match=r"categorical_crossentropy: a weight of shape \(5, 1\) does not fit the "
                                         r"per-sample losses of shape \(5,\).*shape \(5,\), or a single number"):
        CategoricalCrossentropyFromLogits.apply(soft, logits, Tensor(np.ones((5, 1))), axis=1, reduction="sum")
    with pytest.raises(ValueError, match=r"a weight of shape \(4,\) does not fit the per-sample losses of shape \(5,\)"):
        sparse_categorical_crossentropy(labels, Tensor(np.full((5, 3), 1 / 3)), weight=Tensor(np.ones(4)),
                                        reduction="sum")  # probabilities: the path built from primitives
