"""Mean, Sum and MeanMetricWrapper: running totals, sample weights, reset."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
from tinyfit import metrics, ops

few = settings(max_examples=20, deadline=None)


def test_keras_docstring_examples():
    m = metrics.Mean()
    m.update_state([1, 3, 5, 7])
    assert float(m.result()) == 4.0
    m.reset_state()
    m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    assert float(m.result()) == 2.0
    s = metrics.Sum()
    s.update_state([1, 3, 5, 7])
    assert float(s.result()) == 16.0


def test_mean_accumulates_over_batches_and_resets():
    m = metrics.Mean()
    m.update_state([1.0, 2.0])
    m.update_state([6.0])
    assert float(m.result()) == pytest.approx(3.0)
    assert float(m.count) == 3.0
    m.reset_state()
    assert float(m.result()) == 0.0  # nothing seen: 0, not nan
    m.update_state(5.0)  # a single number counts as one sample
    assert float(m.result()) == 5.0


def test_a_single_weight_weighs_the_batch_mean_for_one_value_and_for_many():
    # As Keras: one weight for the whole batch weighs the batch's mean as that many samples
    # (the loss of a step, weighted by the batch size).
    m = metrics.Mean()
    m.update_state(ops.convert_to_tensor(np.float32(2.0)), sample_weight=3)
    m.update_state(np.array([1.0, 3.0, 8.0], "float32"), sample_weight=1)
    assert float(m.result()) == pytest.approx((2.0 * 3 + 4.0 * 1) / 4)


def test_sum_result_is_a_snapshot():
    s = metrics.Sum()
    s.update_state([2.0])
    first = s.result()
    s.update_state([3.0])
    assert float(first) == 2.0 and float(s.result()) == 5.0


def test_rows_count_as_samples_and_weights_weigh_rows():
    m = metrics.Mean()
    values = np.array([[1.0, 3.0], [5.0, 7.0], [0.0, 10.0]])
    m.update_state(values, sample_weight=[1.0, 0.0, 2.0])
    assert float(m.result()) == pytest.approx((2 * 1 + 5 * 2) / 3)
    m.reset_state()
    m.update_state(values)
    assert float(m.result()) == pytest.approx(values.mean()) and float(m.count) == 3.0


@pytest.mark.parametrize("weights", [[1.0, 0.0, 2.0], [[1.0], [0.0], [2.0]]])
def test_weights_n_or_n_1(weights):
    m = metrics.Mean()
    m.update_state([1.0, 4.0, 7.0], sample_weight=weights)
    assert float(m.result()) == pytest.approx((1 + 14) / 3)


def test_sum_with_weights():
    s = metrics.Sum()
    s.update_state([[1.0, 2.0], [3.0, 4.0]], sample_weight=[2.0, 0.5])
    assert float(s.result()) == pytest.approx(2 * 3 + 0.5 * 7)


def test_weights_that_do_not_fit_name_both_shapes():
    with pytest.raises(ValueError) as err:
        metrics.Mean(name="avg").update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 2.0])
    message = str(err.value)
    assert "avg" in message and "sample_weight has shape (2,)" in message and "values of shape (3,)" in message


def test_wrapper_applies_the_function_with_its_arguments():
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba", threshold=0.9)
    m.update_state([[1.0], [1.0]], [[0.95], [0.8]])
    assert float(m.result()) == 0.5
    assert m.get_config() == {"name": "ba", "dtype": "float32",
                              "fn": {"module": "builtins", "class_name": "function", "config": "binary_accuracy",
                                     "registered_name": "function"}, "threshold": 0.9}


def test_wrapper_of_the_guides_custom_function():
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)

    m = metrics.MeanMetricWrapper(custom_mean_squared_error)
    m.update_state(np.zeros((2, 2)), tinyfit.Tensor(np.array([[1.0, 1.0], [2.0, 0.0]]), requires_grad=True))
    assert float(m.result()) == pytest.approx(1.5) and m.name == "custom_mean_squared_error"


@few
@given(sizes=st.lists(st.integers(1, 5), min_size=1, max_size=4), seed=st.integers(0, 2**16),
       weighted=st.booleans())
def test_mean_over_batches_equals_numpy_average_of_everything(sizes, seed, weighted):
    r = np.random.default_rng(seed)
    m = metrics.Mean()
    all_values, all_weights = [], []
    for n in sizes:
        values, weights = r.normal(size=n), r.uniform(0.1, 2.0, n)
        m.update_state(values, sample_weight=weights if weighted else None)
        all_values.append(values)
        all_weights.append(weights if weighted else np.ones(n))
    expected = np.average(np.concatenate(all_values), weights=np.concatenate(all_weights))
    assert float(m.result()) == pytest.approx(expected, rel=1e-4, abs=1e-5)
