"""The Loss base class: conversion, sample weights, reductions, config, and the guide's custom losses."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
import tinyfit.losses
from tinyfit import ops
from tinyfit.losses.loss import reduce_weighted_values, squeeze_or_expand_to_same_rank

few = settings(max_examples=20, deadline=None)


class keras:  # the guide writes keras.losses.Loss; the lead exports tinyfit.losses
    losses = tinyfit.losses


# ****************************************************** the guide's custom losses
def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


def guide_batch(seed=0):
    r = np.random.default_rng(seed)
    y = r.integers(0, 10, 8)
    y_one_hot = ops.one_hot(y, num_classes=10)
    return y_one_hot, r.uniform(size=(8, 10)).astype("float32")


def test_guide_custom_loss_function_matches_numpy_and_backpropagates():
    y_true, p = guide_batch()
    y_pred = tinyfit.Tensor(p, requires_grad=True)
    loss = keras.losses.LossFunctionWrapper(custom_mean_squared_error)(y_true, y_pred)
    assert float(loss) == pytest.approx(((y_true.numpy() - p) ** 2).mean(), rel=1e-6)
    loss.backward()
    np.testing.assert_allclose(y_pred.grad, 2 * (p - y_true.numpy()) / p.size, rtol=1e-5)


def test_guide_custom_loss_subclass_matches_numpy_and_backpropagates():
    y_true, p = guide_batch(1)
    y_pred = tinyfit.Tensor(p, requires_grad=True)
    loss = CustomMSE()(y_true, y_pred)
    t = y_true.numpy()
    expected = ((t - p) ** 2).mean(-1) + 0.1 * ((0.5 - p) ** 2).mean(-1)
    assert float(loss) == pytest.approx(expected.mean(), rel=1e-6)
    assert CustomMSE().name == "custom_mse"
    loss.backward()
    assert y_pred.grad.shape == p.shape and np.all(np.isfinite(y_pred.grad))
    # A subclass gets weights and reductions for free.
    np.testing.assert_allclose(CustomMSE(regularization_factor=0.0)(y_true, p, sample_weight=np.arange(8)).numpy(),
                               (((t - p) ** 2).mean(-1) * np.arange(8)).mean(), rtol=1e-5)


def test_subclass_without_call_says_what_to_write():
    class NoCall(keras.losses.Loss):
        pass

    with pytest.raises(NotImplementedError, match=r"NoCall must implement call\(self, y_true, y_pred\)"):
        NoCall()([1.0], [1.0])


def test_subclass_that_skips_super_init_is_told_to_call_it():
    class Forgetful(keras.losses.Loss):
        def __init__(self):
            self.factor = 2

        def call(self, y_true, y_pred):
            return ops.square(y_true - y_pred)

    with pytest.raises(RuntimeError, match=r"Forgetful: Loss.__init__ was not run\. Call super\(\).__init__\(\)"):
        Forgetful()([1.0], [2.0])


def test_default_name_is_the_class_name_in_snake_case():
    class MyFancyLoss(keras.losses.Loss):
        def call(self, y_true, y_pred):
            return ops.abs(y_true - y_pred)

    assert MyFancyLoss().name == "my_fancy_loss"
    assert keras.losses.SparseCategoricalCrossentropy().name == "sparse_categorical_crossentropy"
    assert keras.losses.Huber().name == "huber_loss"


# ************************************************************ weights, reductions
VALUES = np.array([1.0, 2.0, 3.0, 4.0], dtype="float32")


@pytest.mark.parametrize("weights", [
    np.array([1.0, 0.0, 2.0, 0.5]), np.array([[1.0], [0.0], [2.0], [0.5]]), [1.0, 0.0, 2.0, 0.5],
])
def test_per_sample_weights_of_shape_n_or_n_1(weights):
    w = np.array([1.0, 0.0, 2.0, 0.5])
    got = reduce_weighted_values(tinyfit.Tensor(VALUES), weights)
    assert float(got) == pytest.approx((VALUES * w).sum() / 4)  # divided by the count, not by sum(w)
    none = reduce_weighted_values(tinyfit.Tensor(VALUES), weights, reduction=None)
    np.testing.assert_allclose(np.asarray(none).reshape(-1), VALUES * w)


@pytest.mark.parametrize("reduction, expected", [
    ("sum_over_batch_size", (VALUES * [1, 0, 2, 0.5]).sum() / 4),
    ("mean", (VALUES * [1, 0, 2, 0.5]).sum() / 4),
    ("sum", (VALUES * [1, 0, 2, 0.5]).sum()),
    ("mean_with_sample_weight", (VALUES * [1, 0, 2, 0.5]).sum() / 3.5),
])
def test_reductions(reduction, expected):
    got = reduce_weighted_values(tinyfit.Tensor(VALUES), [1, 0, 2, 0.5], reduction=reduction)
    assert got.shape == () and float(got) == pytest.approx(expected)


@pytest.mark.parametrize("reduction", [None, "none"])
def test_no_reduction_keeps_one_loss_per_sample(reduction):
    y_true, y_pred = np.zeros((3, 2)), np.array([[1.0, 1.0], [2.0, 0.0], [0.0, 0.0]])
    out = keras.losses.MeanSquaredError(reduction=reduction)(y_true, y_pred)
    np.testing.assert_allclose(out.numpy(), [1.0, 2.0, 0.0])


def test_a_scalar_weight_scales_the_loss():
    y_true, y_pred = np.zeros((3, 2)), np.ones((3, 2))
    assert float(keras.losses.MeanSquaredError()(y_true, y_pred, sample_weight=2.5)) == pytest.approx(2.5)


def test_lower_rank_weights_weigh_whole_samples_of_per_timestep_losses():
    values = tinyfit.Tensor(np.ones((2, 3)))
    got = reduce_weighted_values(values, [1.0, 3.0])
    assert float(got) == pytest.approx((1 * 3 + 3 * 3) / 6)


def test_zero_weights_and_empty_batches_give_zero_not_nan():
    assert float(reduce_weighted_values(tinyfit.Tensor(VALUES), [0, 0, 0, 0],
                                        reduction="mean_with_sample_weight")) == 0.0
    assert float(reduce_weighted_values(tinyfit.Tensor(np.zeros((0,), "float32")))) == 0.0


def test_weights_that_do_not_fit_name_both_shapes():
    with pytest.raises(ValueError) as err:
        keras.losses.MeanSquaredError()(np.zeros((4, 2)), np.ones((4, 2)), sample_weight=[1.0, 2.0, 3.0])
    message = str(err.value)
    for fact in ("mean_squared_error", "sample_weight has shape (3,)", "per-sample values of shape (4,)",
                 "(4,) or (4, 1)"):
        assert fact in message


def test_unknown_reduction_lists_the_choices():
    with pytest.raises(ValueError) as err:
        keras.losses.MeanSquaredError(reduction="average")
    assert "Unknown reduction 'average'" in str(err.value)
    assert "'sum_over_batch_size'" in str(err.value) and "'none'" in str(err.value)


def test_weighted_loss_backpropagates_the_weights():
    x = tinyfit.Tensor(np.array([[1.0], [2.0]]), requires_grad=True)
    keras.losses.MeanSquaredError()(np.zeros((2, 1)), x, sample_weight=[1.0, 3.0]).backward()
    np.testing.assert_allclose(x.grad, [[2 * 1.0 * 1 / 2], [2 * 2.0 * 3 / 2]])


@few
@given(n=st.integers(1, 8), seed=st.integers(0, 2**16), as_column=st.booleans())
def test_weighted_mean_matches_numpy(n, seed, as_column):
    r = np.random.default_rng(seed)
    t, p, w = r.normal(size=(n, 3)), r.normal(size=(n, 3)), r.uniform(0, 2, n)
    got = keras.losses.MeanSquaredError()(t, p, sample_weight=w.reshape(-1, 1) if as_column else w)
    assert float(got) == pytest.approx((((t - p) ** 2).mean(-1) * w).sum() / n, rel=1e-4, abs=1e-6)


# ****************************************************************** rank matching
def test_squeeze_or_expand_to_same_rank():
    a, b = tinyfit.Tensor(np.zeros(4)), tinyfit.Tensor(np.zeros((4, 1)))
    x, y = squeeze_or_expand_to_same_rank(a, b)
    assert x.shape == (4, 1) and y.shape == (4, 1)
    x, y = squeeze_or_expand_to_same_rank(b, a)
    assert x.shape == (4, 1) and y.shape == (4, 1)
    x, y = squeeze_or_expand_to_same_rank(tinyfit.Tensor(np.zeros((4, 3, 1))), tinyfit.Tensor(np.zeros((4, 3))))
    assert x.shape == (4, 3) and y.shape == (4, 3)
    x, y = squeeze_or_expand_to_same_rank(tinyfit.Tensor(np.zeros((4, 3))), tinyfit.Tensor(np.zeros(4)))
    assert x.shape == (4, 3) and y.shape == (4,)  # nothing to line up: left alone


# *********************************************************************** config
def test_get_config_and_from_config():
    loss = keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.2, reduction="sum", name="cce")
    config = loss.get_config()
    assert config == {"name": "cce", "reduction": "sum", "dtype": None, "from_logits": True,
                      "label_smoothing": 0.2, "axis": -1}
    again = keras.losses.CategoricalCrossentropy.from_config(config)
    assert again.get_config() == config
    assert keras.losses.Loss(name="x", reduction="none").get_config() == {"name": "x", "reduction": None,
                                                                          "dtype": None}


def test_dtype_argument_computes_in_that_dtype():
    loss = keras.losses.MeanSquaredError(dtype="float64")
    assert loss(np.zeros((2, 2)), np.ones((2, 2), dtype="float32")).dtype == np.float64
    with pytest.raises(TypeError, match="unknown dtype 'float8'"):
        keras.losses.MeanSquaredError(dtype="float8")
