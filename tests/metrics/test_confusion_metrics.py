"""Precision, Recall, AUC, F-scores: Keras's documented numbers and brute-force NumPy references.

The references count every (prediction, threshold) pair in a plain loop, so they
share nothing with the histogram counting the metrics use.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import metrics

few = settings(max_examples=20, deadline=None)
EPS = 1e-7


def rng(seed=0):
    return np.random.default_rng(seed)


# ********************************************************************* references
def brute_counts(y_true, y_pred, thresholds, weights=None):
    t = np.asarray(y_true).reshape(-1) != 0
    p = np.asarray(y_pred, dtype="float32").reshape(-1)  # compared in float32, as Keras does
    thresholds = np.asarray(thresholds, dtype="float32")
    w = np.ones_like(p) if weights is None else np.broadcast_to(weights, np.shape(y_pred)).reshape(-1)
    out = {k: [] for k in ("tp", "fp", "tn", "fn")}
    for thr in thresholds:
        positive = p > thr
        out["tp"].append(w[positive & t].sum())
        out["fp"].append(w[positive & ~t].sum())
        out["tn"].append(w[~positive & ~t].sum())
        out["fn"].append(w[~positive & t].sum())
    return {k: np.array(v) for k, v in out.items()}


def keras_thresholds(n):
    return [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]


def div(a, b):
    return a / b if b else 0.0


def reference_auc(c, curve="ROC", summation="interpolation"):
    tp, fp, tn, fn = c["tp"], c["fp"], c["tn"], c["fn"]
    area = 0.0
    for i in range(len(tp) - 1):
        if curve == "PR" and summation == "interpolation":
            dtp = tp[i] - tp[i + 1]
            p_here, p_next = tp[i] + fp[i], tp[i + 1] + fp[i + 1]
            slope = div(dtp, max(p_here - p_next, 0))
            intercept = tp[i + 1] - slope * p_next
            ratio = p_here / p_next if p_here > 0 and p_next > 0 else 1.0
            area += div(slope * (dtp + intercept * np.log(ratio)), tp[i + 1] + fn[i + 1])
            continue
        rec = [div(tp[j], tp[j] + fn[j]) for j in (i, i + 1)]
        if curve == "ROC":
            x, y = [div(fp[j], fp[j] + tn[j]) for j in (i, i + 1)], rec
        else:
            x, y = rec, [div(tp[j], tp[j] + fp[j]) for j in (i, i + 1)]
        height = {"interpolation": (y[0] + y[1]) / 2, "minoring": min(y), "majoring": max(y)}[summation]
        area += (x[0] - x[1]) * height
    return area


def exact_roc_auc(t, p):
    """P(score of a random positive > score of a random negative), ties half: the exact ROC AUC."""
    pos, neg = p[t == 1], p[t == 0]
    return ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()) / (len(pos) * len(neg))


# ********************************************************** Keras's docstring numbers
def test_precision_docstring():
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == pytest.approx(0.6666667)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == pytest.approx(1.0)
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == pytest.approx(0.0)
    m = metrics.Precision(top_k=4)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert float(m.result()) == pytest.approx(0.5)


def test_recall_docstring():
    m = metrics.Recall()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert float(m.result()) == pytest.approx(0.6666667)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert float(m.result()) == pytest.approx(1.0)


def test_auc_docstring():
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    # thresholds [0 - 1e-7, 0.5, 1 + 1e-7]: tp = [2, 1, 0], fp = [2, 0, 0], fn = [0, 1, 2], tn = [0, 2, 2]
    np.testing.assert_allclose(m.true_positives.numpy(), [2, 1, 0])
    np.testing.assert_allclose(m.false_positives.numpy(), [2, 0, 0])
    np.testing.assert_allclose(m.false_negatives.numpy(), [0, 1, 2])
    np.testing.assert_allclose(m.true_negatives.numpy(), [0, 2, 2])
    assert float(m.result()) == pytest.approx(0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert float(m.result()) == pytest.approx(1.0)


def test_pr_auc_interpolation_worked_by_hand():
    # Same data, PR curve. Between thresholds 0 and 1: dTP = 1, P goes 4 -> 1, slope 1/3,
    # intercept 1 - 1/3 = 2/3, area (1/3)(1 + (2/3) ln 4) / 2; between 1 and 2: slope 1,
    # intercept 0, area 1 / 2.
    m = metrics.AUC(num_thresholds=3, curve="PR")
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert float(m.result()) == pytest.approx((1 / 3) * (1 + (2 / 3) * np.log(4)) / 2 + 0.5, rel=1e-6)


def test_f1_docstring():
    m = metrics.F1Score(threshold=0.5)
    m.update_state([[1, 1, 1], [1, 0, 0], [1, 1, 0]], [[0.2, 0.6, 0.7], [0.2, 0.6, 0.6], [0.6, 0.8, 0.0]])
    np.testing.assert_allclose(m.result().numpy(), [0.5, 0.8, 0.6666667], rtol=1e-5)


# ******************************************************** counts against brute force
@few
@given(seed=st.integers(0, 2**16), n=st.integers(1, 12), weighted=st.booleans())
def test_counts_match_brute_force(seed, n, weighted):
    r = rng(seed)
    t, p = r.integers(0, 2, n), r.uniform(size=n).round(2)  # rounding makes ties with thresholds
    w = r.uniform(0, 2, n) if weighted else None
    thresholds = [0.7, 0.0, 0.5, 0.2, 1.0]  # unsorted on purpose; results follow this order
    ref = brute_counts(t, p, thresholds, w)
    for cls, key in ((metrics.TruePositives, "tp"), (metrics.FalsePositives, "fp"),
                     (metrics.TrueNegatives, "tn"), (metrics.FalseNegatives, "fn")):
        m = cls(thresholds=thresholds)
        m.update_state(t, p, sample_weight=w)
        np.testing.assert_allclose(m.result().numpy(), ref[key], rtol=1e-5, atol=1e-5)
    precision, recall = metrics.Precision(thresholds=thresholds), metrics.Recall(thresholds=thresholds)
    precision.update_state(t, p, sample_weight=w)
    recall.update_state(t, p, sample_weight=w)
    np.testing.assert_allclose(precision.result().numpy(),
                               [div(a, a + b) for a, b in zip(ref["tp"], ref["fp"])], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(recall.result().numpy(),
                               [div(a, a + b) for a, b in zip(ref["tp"], ref["fn"])], rtol=1e-5, atol=1e-6)


def test_precision_and_recall_accumulate_over_batches():
    r = rng(1)
    t, p = r.integers(0, 2, (30, 3)), r.uniform(size=(30, 3))
    m = metrics.Precision()
    for i in range(0, 30, 7):
        m.update_state(t[i:i + 7], p[i:i + 7])
    c = brute_counts(t, p, [0.5])
    assert float(m.result()) == pytest.approx(c["tp"][0] / (c["tp"][0] + c["fp"][0]))


def test_per_sample_weights_weigh_every_label_of_the_sample():
    r = rng(2)
    t, p, w = r.integers(0, 2, (6, 3)), r.uniform(size=(6, 3)), r.uniform(size=6)
    m = metrics.Recall()
    m.update_state(t, p, sample_weight=w)
    c = brute_counts(t, p, [0.5], w[:, None])
    assert float(m.result()) == pytest.approx(c["tp"][0] / (c["tp"][0] + c["fn"][0]), rel=1e-5)


def test_class_id_and_top_k():
    r = rng(3)
    t, p = r.integers(0, 2, (10, 4)), r.uniform(size=(10, 4))
    m = metrics.Precision(class_id=2)
    m.update_state(t, p)
    c = brute_counts(t[:, 2], p[:, 2], [0.5])
    assert float(m.result()) == pytest.approx(div(c["tp"][0], c["tp"][0] + c["fp"][0]))
    # top_k keeps the k best scores of each row as the positive predictions.
    k = 2
    order = np.argsort(-p, axis=-1, kind="stable")[:, :k]
    kept = np.zeros_like(p, dtype=bool)
    np.put_along_axis(kept, order, True, axis=-1)
    m = metrics.Recall(top_k=k, class_id=1)
    m.update_state(t, p)
    tp = (kept[:, 1] & (t[:, 1] == 1)).sum()
    assert float(m.result()) == pytest.approx(div(tp, (t[:, 1] == 1).sum()))


def test_a_single_threshold_gives_a_number_several_give_one_per_threshold():
    m = metrics.Precision(thresholds=[0.3, 0.6])
    m.update_state([1, 0, 1], [0.4, 0.5, 0.9])
    np.testing.assert_allclose(m.result().numpy(), [2 / 3, 1.0], rtol=1e-6)
    assert metrics.Precision(thresholds=[0.3]).result().shape == ()


# ******************************************************************************* AUC
@pytest.mark.parametrize("curve", ["ROC", "PR"])
@pytest.mark.parametrize("summation", ["interpolation", "minoring", "majoring"])
@pytest.mark.parametrize("seed", [0, 1])
def test_auc_matches_the_reference_formula(curve, summation, seed):
    r = rng(seed)
    t, p, w = r.integers(0, 2, 40), r.uniform(size=40), r.uniform(0.5, 1.5, 40)
    m = metrics.AUC(num_thresholds=25, curve=curve, summation_method=summation)
    m.update_state(t[:20], p[:20], sample_weight=w[:20])
    m.update_state(t[20:], p[20:], sample_weight=w[20:])
    expected = reference_auc(brute_counts(t, p, keras_thresholds(25), w), curve, summation)
    assert float(m.result()) == pytest.approx(expected, rel=1e-5, abs=1e-6)


def test_roc_auc_approaches_the_exact_value_with_many_thresholds():
    r = rng(4)
    t = r.integers(0, 2, 300)
    p = np.clip(0.5 + 0.3 * (t - 0.5) + r.normal(scale=0.25, size=300), 0, 1)
    m = metrics.AUC(num_thresholds=1000)
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(exact_roc_auc(t, p), abs=2e-3)


def test_perfect_and_reversed_classifiers():
    for curve in ("ROC", "PR"):
        perfect = metrics.AUC(curve=curve)
        perfect.update_state([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9])
        assert float(perfect.result()) == pytest.approx(1.0, abs=1e-6)
    reverse = metrics.AUC()
    reverse.update_state([1, 1, 0, 0], [0.1, 0.2, 0.8, 0.9])
    assert float(reverse.result()) == pytest.approx(0.0, abs=1e-6)


def test_explicit_thresholds():
    m = metrics.AUC(thresholds=[0.6, 0.3])
    assert m.thresholds == [-EPS, 0.3, 0.6, 1 + EPS] and m.num_thresholds == 4
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    expected = reference_auc(brute_counts([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], [-EPS, 0.3, 0.6, 1 + EPS]))
    assert float(m.result()) == pytest.approx(expected)


def test_from_logits_applies_a_sigmoid():
    r = rng(5)
    t, logits = r.integers(0, 2, 20), r.normal(scale=2, size=20)
    a, b = metrics.AUC(from_logits=True), metrics.AUC()
    a.update_state(t, logits)
    b.update_state(t, 1 / (1 + np.exp(-logits)))
    assert float(a.result()) == pytest.approx(float(b.result()), abs=1e-6)


def test_multi_label_averages_per_label_aucs_and_label_weights_weigh_them():
    r = rng(6)
    t, p = r.integers(0, 2, (30, 3)), r.uniform(size=(30, 3))
    per_label = []
    for j in range(3):
        m = metrics.AUC(num_thresholds=50)
        m.update_state(t[:, j], p[:, j])
        per_label.append(float(m.result()))
    multi = metrics.AUC(num_thresholds=50, multi_label=True)  # num_labels found from the data
    multi.update_state(t, p)
    assert multi.true_positives.shape == (50, 3)
    assert float(multi.result()) == pytest.approx(np.mean(per_label), rel=1e-5)
    weighted = metrics.AUC(num_thresholds=50, multi_label=True, num_labels=3, label_weights=[1.0, 0.0, 3.0])
    weighted.update_state(t, p)
    assert float(weighted.result()) == pytest.approx((per_label[0] + 3 * per_label[2]) / 4, rel=1e-5)


def test_pooled_label_weights_weigh_the_values():
    t, p = np.array([[1, 0], [0, 1]]), np.array([[0.9, 0.8], [0.2, 0.1]])
    m = metrics.AUC(num_thresholds=11, label_weights=[1.0, 0.0])  # only column 0 counts
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(1.0)


# ************************************************************************** F-scores
def np_fbeta(t, hit, w=None, beta=1.0, average=None):
    w = np.ones(len(t)) if w is None else w
    axis = None if average == "micro" else 0
    tp = (w[:, None] * hit * t).sum(axis)
    fp = (w[:, None] * hit * (1 - t)).sum(axis)
    fn = (w[:, None] * (1 - hit) * t).sum(axis)
    support = (w[:, None] * t).sum(axis)
    precision, recall = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta**2) * precision * recall / (beta**2 * precision + recall + EPS)
    if average == "weighted":
        return (f * support / (support.sum() + EPS)).sum()
    return f.mean() if average is not None else f


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0])
def test_fbeta_matches_numpy(average, beta):
    r = rng(7)
    t, p, w = r.integers(0, 2, (12, 4)), r.uniform(size=(12, 4)), r.uniform(size=12)
    m = metrics.FBetaScore(average=average, beta=beta, threshold=0.4)
    m.update_state(t[:6], p[:6], sample_weight=w[:6])
    m.update_state(t[6:], p[6:], sample_weight=w[6:])
    np.testing.assert_allclose(m.result().numpy(), np_fbeta(t, (p > 0.4).astype(float), w, beta, average),
                               rtol=1e-4, atol=1e-6)


def test_f1_without_threshold_predicts_the_top_class():
    r = rng(8)
    labels, p = r.integers(0, 3, 15), r.uniform(size=(15, 3))
    t = np.eye(3)[labels]
    hit = (p == p.max(-1, keepdims=True)).astype(float)
    m = metrics.F1Score(average="macro")
    m.update_state(t, p)
    assert float(m.result()) == pytest.approx(np_fbeta(t, hit, average="macro"), rel=1e-5)
    # A row of zeros predicts no class at all.
    zeros = metrics.F1Score(average="micro")
    zeros.update_state([[1, 0]], [[0.0, 0.0]])
    assert float(zeros.result()) == 0.0


def test_f1_reset_and_config():
    m = metrics.F1Score(average="weighted", threshold=0.3, name="f1")
    m.update_state([[1, 0]], [[0.9, 0.1]])
    m.reset_state()
    assert float(m.true_positives.numpy().sum()) == 0.0
    assert m.get_config() == {"name": "f1", "dtype": "float32", "average": "weighted", "threshold": 0.3}


# ***************************************************************************** errors
def test_thresholds_outside_0_1_are_refused_with_the_value():
    with pytest.raises(ValueError, match=r"precision: threshold 1.5 is outside \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    with pytest.raises(ValueError, match=r"auc: threshold -0.2 is outside \[0, 1\]"):
        metrics.AUC(thresholds=[-0.2])


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError) as err:
        metrics.Recall().update_state([0, 1, 2], np.full((3, 4), 0.5))
    assert "recall" in str(err.value) and "(3,)" in str(err.value) and "(3, 4)" in str(err.value)
    assert "to_categorical" in str(err.value)


def test_class_id_out_of_range():
    with pytest.raises(ValueError, match=r"class_id=5 is out of range for y_pred of shape \(2, 3\); .*0..2"):
        metrics.Precision(class_id=5).update_state(np.zeros((2, 3)), np.zeros((2, 3)))


def test_sample_weight_that_does_not_fit():
    with pytest.raises(ValueError, match=r"sample_weight has shape \(2,\).*y_pred of shape \(3,\)"):
        metrics.Precision().update_state([0, 1, 1], [0.2, 0.6, 0.9], sample_weight=[1.0, 2.0])


def test_auc_argument_errors():
    with pytest.raises(ValueError, match=r"unknown curve 'DET'; use 'ROC' or 'PR'"):
        metrics.AUC(curve="DET")
    with pytest.raises(ValueError, match=r"unknown summation_method 'simpson'"):
        metrics.AUC(summation_method="simpson")
    with pytest.raises(ValueError, match=r"num_thresholds must be an int > 1, got 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r"multi_label=True needs y_pred of shape \(batch, labels\); got \(3,\)"):
        metrics.AUC(multi_label=True).update_state([0, 1, 0], [0.1, 0.5, 0.2])
    m = metrics.AUC(multi_label=True)
    m.update_state(np.zeros((2, 3)), np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"y_pred has 2 label columns .* built for 3"):
        m.update_state(np.zeros((2, 2)), np.zeros((2, 2)))
    assert metrics.AUC(curve="pr").curve == "PR"


def test_fbeta_argument_and_shape_errors():
    with pytest.raises(ValueError, match=r"unknown average 'binary'"):
        metrics.F1Score(average="binary")
    with pytest.raises(ValueError, match=r"beta must be a number > 0, got 0"):
        metrics.FBetaScore(beta=0)
    with pytest.raises(ValueError, match=r"threshold must be in \[0, 1\]"):
        metrics.F1Score(threshold=2.0)
    with pytest.raises(ValueError) as err:
        metrics.F1Score().update_state([0, 2, 1], np.zeros((3, 3)))
    assert "(3,)" in str(err.value) and "(3, 3)" in str(err.value) and "(batch, classes)" in str(err.value)
    m = metrics.F1Score()
    m.update_state(np.eye(3), np.eye(3))
    with pytest.raises(ValueError, match=r"y_pred has 2 classes .* earlier batches had 3"):
        m.update_state(np.eye(2), np.eye(2))
    with pytest.raises(ValueError, match=r"top_k must be a positive int, got 0"):
        metrics.Precision(top_k=0)
