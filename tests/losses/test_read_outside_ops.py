"""Loss.read_outside_ops: a loss says what it reads back as a Python number while it reduces,
and jit_compile="auto" leaves a step through such a loss eager, naming that value."""

import numpy as np

import tinyfit as keras
from tinyfit import layers, ops


def test_only_the_weights_sum_divisor_is_read_outside_the_ops():
    for reduction in ("sum_over_batch_size", "sum", None):
        assert keras.losses.MeanSquaredError(reduction=reduction).read_outside_ops is None
    read = keras.losses.MeanSquaredError(reduction="mean_with_sample_weight").read_outside_ops
    assert "sum of the sample weights" in read


class ReadsItsScale(keras.losses.Loss):
    """Divides by the batch's largest error, read back as a Python float."""
    supports_jit = True
    read_outside_ops = "the batch's largest error"

    def call(self, y_true, y_pred):
        errors = ops.square(y_true - y_pred)
        return errors / float(ops.convert_to_numpy(ops.max(errors)) or 1.0)


def test_auto_keeps_a_step_eager_where_the_loss_says_it_reads_a_value_back():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 3)).astype("float32"), rng.normal(size=(32, 1)).astype("float32")
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss=ReadsItsScale(), jit_compile="auto")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    assert "reads the batch's largest error back outside the ops" in model._compiled_step.describe()["model"]
