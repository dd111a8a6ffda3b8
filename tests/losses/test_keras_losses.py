"""Hinge, log-scale and focal losses: the same numbers as real Keras 3, gradients, stability, saving.

Keras 3 (numpy backend) runs once, in a subprocess, on random inputs given
here; every case is compared per sample and reduced with sample weights. The
test is skipped, saying why, where Keras cannot be imported.
"""

import json
import textwrap

import numpy as np
import pytest

import tinyfit
from tinyfit import losses
from tinyfit.autograd.gradcheck import gradcheck

# name: (class, keyword arguments, kind of data)
CASES = {
    "hinge 0/1": ("Hinge", {}, "binary_scores"),
    "hinge -1/1": ("Hinge", {}, "sign_scores"),
    "squared_hinge": ("SquaredHinge", {}, "binary_scores"),
    "squared_hinge -1/1": ("SquaredHinge", {}, "sign_scores"),
    "categorical_hinge": ("CategoricalHinge", {}, "onehot_scores"),
    "log_cosh": ("LogCosh", {}, "real"),
    "msle": ("MeanSquaredLogarithmicError", {}, "real"),
    "poisson": ("Poisson", {}, "counts"),
    "binary_focal": ("BinaryFocalCrossentropy", {}, "binary_probs"),
    "binary_focal balanced": ("BinaryFocalCrossentropy",
                              {"apply_class_balancing": True, "alpha": 0.3, "gamma": 1.5}, "binary_probs"),
    "binary_focal logits smoothed": ("BinaryFocalCrossentropy",
                                     {"from_logits": True, "label_smoothing": 0.1, "gamma": 3.0}, "binary_scores"),
    "categorical_focal": ("CategoricalFocalCrossentropy", {}, "onehot_probs"),
    "categorical_focal unnormalised": ("CategoricalFocalCrossentropy", {"alpha": 0.5, "gamma": 1.0},
                                       "onehot_positive"),
    "categorical_focal logits smoothed": ("CategoricalFocalCrossentropy",
                                          {"from_logits": True, "label_smoothing": 0.2}, "onehot_scores"),
}
FUNCTIONS = {"Hinge": "hinge", "SquaredHinge": "squared_hinge", "CategoricalHinge": "categorical_hinge",
             "LogCosh": "log_cosh", "MeanSquaredLogarithmicError": "mean_squared_logarithmic_error",
             "Poisson": "poisson", "BinaryFocalCrossentropy": "binary_focal_crossentropy",
             "CategoricalFocalCrossentropy": "categorical_focal_crossentropy"}
REDUCTIONS = ["sum_over_batch_size", "sum", None, "mean_with_sample_weight"]


def make_data(kind, seed=0, shape=(6, 4)):
    r = np.random.default_rng(seed)
    scores = r.normal(size=shape) * 2
    labels = r.integers(0, 2, shape).astype("float32")
    onehot = np.eye(shape[-1])[r.integers(0, shape[-1], shape[:-1])]
    probs = r.dirichlet(np.ones(shape[-1]), shape[:-1])
    y_true, y_pred = {
        "binary_scores": (labels, scores),
        "sign_scores": (2 * labels - 1, scores),
        "onehot_scores": (onehot, scores),
        "real": (r.normal(size=shape), r.normal(size=shape)),
        "counts": (r.poisson(2.0, shape).astype("float32"), r.uniform(0.1, 4.0, shape)),
        "binary_probs": (labels, r.uniform(0.02, 0.98, shape)),
        "onehot_probs": (onehot, probs),
        "onehot_positive": (onehot, r.uniform(0.1, 3.0, shape)),
    }[kind]
    weights = r.uniform(0.0, 2.0, shape[0])
    return y_true.astype("float32"), y_pred.astype("float32"), weights.astype("float32")


def tinyfit_results(loss_module):
    out = {}
    for name, (cls, kwargs, kind) in CASES.items():
        y_true, y_pred, weights = make_data(kind)
        for reduction in REDUCTIONS:
            loss = getattr(loss_module, cls)(reduction=reduction, **kwargs)
            out[f"{name} {reduction}"] = np.asarray(loss(y_true, y_pred, sample_weight=weights)).tolist()
        out[f"{name} function"] = np.asarray(getattr(loss_module, FUNCTIONS[cls])(y_true, y_pred, **kwargs)).tolist()
    return out


KERAS_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    sys.path.insert(0, sys.argv[1])
    import keras
    print("keras imported", flush=True)
    from test_keras_losses import CASES, FUNCTIONS, REDUCTIONS, make_data
    out = {}
    for name, (cls, kwargs, kind) in CASES.items():
        y_true, y_pred, weights = make_data(kind)
        for reduction in REDUCTIONS:
            loss = getattr(keras.losses, cls)(reduction=reduction, **kwargs)
            out[f"{name} {reduction}"] = np.asarray(loss(y_true, y_pred, sample_weight=weights)).tolist()
        fn = getattr(keras.losses, FUNCTIONS[cls])
        out[f"{name} function"] = np.asarray(fn(y_true, y_pred, **kwargs)).tolist()
    out["configs"] = {cls: getattr(keras.losses, cls)().get_config() for cls in FUNCTIONS}
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def keras_values(keras_in_subprocess):
    return keras_in_subprocess(KERAS_SCRIPT, __file__)


@pytest.mark.parametrize("case", [f"{name} {r}" for name in CASES for r in REDUCTIONS + ["function"]])
def test_values_match_keras(keras_values, case):
    ours = tinyfit_results_cached()[case]
    np.testing.assert_allclose(ours, keras_values[case], rtol=2e-5, atol=1e-6)


_CACHE = {}


def tinyfit_results_cached():
    if not _CACHE:
        _CACHE.update(tinyfit_results(losses))
    return _CACHE


@pytest.mark.parametrize("cls", sorted(FUNCTIONS))
def test_default_config_has_keras_s_values(keras_values, cls):
    ours = getattr(losses, cls)().get_config()
    assert ours.pop("dtype") is None
    assert ours == keras_values["configs"][cls]


# ****************************************************************** documented numbers
def test_keras_docstring_examples():
    y_true, y_pred = [[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y_true, y_pred, gamma=2), [0.330, 0.206], atol=1e-3)
    np.testing.assert_allclose(losses.binary_focal_crossentropy(y_true, y_pred, gamma=0),
                               losses.binary_crossentropy(y_true, y_pred), rtol=1e-6)
    # BinaryFocalCrossentropy's class docstring: balanced, alpha 0.25, gamma 2.
    loss = losses.BinaryFocalCrossentropy(apply_class_balancing=True, gamma=2, from_logits=True)
    assert float(loss([0, 1, 0, 0], [-18.6, 0.51, 2.94, -12.8])) == pytest.approx(0.51, abs=5e-3)
    loss = losses.CategoricalFocalCrossentropy()
    assert float(loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])) == pytest.approx(0.23315276,
                                                                                                    rel=1e-5)


def test_hinge_reads_0_1_targets_as_minus_one_and_one():
    assert float(losses.Hinge()([[0.0, 1.0]], [[-0.5, 2.0]])) == pytest.approx(0.25)
    assert float(losses.Hinge()([[-1.0, 1.0]], [[-0.5, 2.0]])) == pytest.approx(0.25)
    # Targets that are not all 0/1 are used as they are: 0 is then a target of 0, loss 1.
    assert float(losses.hinge([[0.0, 0.5]], [[3.0, 2.0]])) == pytest.approx((1.0 + 0.0) / 2)


def test_log_cosh_does_not_overflow_for_huge_errors():
    value = losses.log_cosh([[0.0]], [[1e4]]).numpy()
    assert np.isfinite(value).all() and value[0] == pytest.approx(1e4 - np.log(2.0), rel=1e-6)


def test_focal_losses_from_logits_stay_finite_at_extreme_logits():
    for loss, y_true in ((losses.BinaryFocalCrossentropy(from_logits=True, gamma=1.0), [[1.0, 0.0]]),
                         (losses.CategoricalFocalCrossentropy(from_logits=True, gamma=1.0), [[1.0, 0.0]])):
        x = tinyfit.Variable(np.array([[-200.0, 200.0]], dtype="float32"))
        value = loss(y_true, x)
        value.backward()
        assert np.isfinite(float(value)) and float(value) > 50  # confidently wrong: a large loss, not inf
        grad = np.asarray(x.grad)
        assert np.isfinite(grad).all() and np.abs(grad).max() > 0


# ****************************************************************** gradients
GRADCHECKS = [
    ("hinge", lambda t, p: losses.hinge(t, p), "binary_scores"),
    ("squared_hinge", lambda t, p: losses.squared_hinge(t, p), "binary_scores"),
    ("categorical_hinge", lambda t, p: losses.categorical_hinge(t, p), "onehot_scores"),
    ("log_cosh", lambda t, p: losses.log_cosh(t, p), "real"),
    ("msle", lambda t, p: losses.mean_squared_logarithmic_error(t, p), "counts"),
    ("poisson", lambda t, p: losses.poisson(t, p), "counts"),
    ("binary_focal", lambda t, p: losses.binary_focal_crossentropy(t, p, apply_class_balancing=True), "binary_probs"),
    ("binary_focal logits", lambda t, p: losses.binary_focal_crossentropy(t, p, from_logits=True,
                                                                          label_smoothing=0.1), "binary_scores"),
    ("categorical_focal", lambda t, p: losses.categorical_focal_crossentropy(t, p), "onehot_positive"),
    ("categorical_focal logits", lambda t, p: losses.categorical_focal_crossentropy(t, p, from_logits=True),
     "onehot_scores"),
]


@pytest.mark.parametrize("name, fn, kind", GRADCHECKS, ids=[g[0] for g in GRADCHECKS])
def test_gradcheck(name, fn, kind):
    y_true, y_pred, _ = make_data(kind, seed=3, shape=(3, 4))
    if "hinge" in name:  # away from the kink at a margin of exactly 1
        y_pred = np.where(np.abs(np.abs(y_pred) - 1) < 0.1, y_pred + 0.3, y_pred)
    gradcheck(lambda p: fn(y_true, p), [y_pred.astype("float64")])


# ****************************************************************** names and saving
@pytest.mark.parametrize("cls", sorted(FUNCTIONS))
def test_names_resolve_and_configs_round_trip(cls):
    assert isinstance(losses.get(cls), getattr(losses, cls))
    assert losses.get(FUNCTIONS[cls]) is getattr(losses, FUNCTIONS[cls])
    loss = getattr(losses, cls)(reduction="sum", name="mine")
    again = losses.deserialize(json.loads(json.dumps(losses.serialize(loss))))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()
    assert set(losses.serialize(loss)) == {"module", "class_name", "config", "registered_name"}


def test_short_name_msle():
    assert losses.get("msle") is losses.get("MSLE") is losses.mean_squared_logarithmic_error


def test_compile_and_fit_with_a_focal_loss_by_name():
    tinyfit.utils.set_random_seed(0)
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = tinyfit.Sequential([tinyfit.Input((3,)), tinyfit.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_focal_crossentropy")
    history = model.fit(x, y, epochs=3, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_bad_input_names_the_loss_and_both_shapes():
    with pytest.raises(ValueError, match=r"categorical_hinge: y_true has shape \(2,\) but y_pred has shape \(2, 3\)"):
        losses.categorical_hinge([0, 2], np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"binary_focal_crossentropy: label_smoothing must be in \[0, 1\]"):
        losses.binary_focal_crossentropy([[1.0]], [[0.5]], label_smoothing=2.0)
