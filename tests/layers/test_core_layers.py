"""Dense, Activation, Identity, Lambda, Dropout, Flatten, Reshape, ActivityRegularization:
values checked against NumPy, seeding, regularization losses, and their errors."""

import numpy as np
import pytest

import tinyfit
from tinyfit import activations, initializers, layers, ops, regularizers
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.utils import set_random_seed


def _np_relu(x):
    return np.maximum(x, 0)


# ---------------------------------------------------------------------- Dense
@pytest.mark.parametrize("activation, reference", [
    (None, lambda z: z),
    ("linear", lambda z: z),
    ("relu", _np_relu),
    ("tanh", np.tanh),
    (activations.sigmoid, lambda z: 1 / (1 + np.exp(-z))),
    (lambda t: t * 3.0, lambda z: z * 3.0),
])
def test_dense_computes_activation_of_x_at_kernel_plus_bias(activation, reference):
    dense = layers.Dense(4, activation=activation, dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 3))
    out = dense(x)
    w, b = dense.get_weights()
    np.testing.assert_allclose(out.numpy(), reference(x @ w + b), rtol=1e-12)
    assert out.shape == (5, 4) and out.dtype == np.float64


def test_dense_softmax_output_rows_sum_to_one_and_keep_their_logits():
    dense = layers.Dense(3, activation="softmax")
    out = dense(np.random.default_rng(1).normal(size=(4, 2)))
    np.testing.assert_allclose(out.numpy().sum(axis=-1), np.ones(4), rtol=1e-6)
    assert hasattr(out, "_softmax_logits")  # lets the cross-entropy work from the logits


def test_dense_contracts_the_last_axis_of_higher_rank_inputs():
    dense = layers.Dense(2, dtype="float64")
    x = np.arange(24.0).reshape(2, 3, 4) / 10
    out = dense(x)
    w, b = dense.get_weights()
    np.testing.assert_allclose(out.numpy(), x @ w + b)
    assert dense.compute_output_shape((None, 3, 4)) == (None, 3, 2)


def test_dense_without_bias_has_only_a_kernel():
    dense = layers.Dense(3, use_bias=False)
    dense(np.ones((1, 2)))
    assert [w.name for w in dense.weights] == ["kernel"] and dense.count_params() == 6


def test_dense_default_initializers_glorot_uniform_kernel_and_zero_bias():
    dense = layers.Dense(300)
    dense(np.ones((1, 200)))
    limit = np.sqrt(6 / (200 + 300))
    kernel, bias = dense.get_weights()
    assert np.abs(kernel).max() <= limit and np.abs(kernel).max() > 0.9 * limit
    assert np.all(bias == 0)


def test_dense_weights_are_reproducible_with_set_random_seed():
    def weights():
        dense = layers.Dense(3)
        dense(np.ones((1, 4)))
        return dense.get_weights()[0]

    set_random_seed(7)
    first = weights()
    set_random_seed(7)
    np.testing.assert_array_equal(weights(), first)
    set_random_seed(8)
    assert not np.array_equal(weights(), first)


def test_dense_with_seeded_initializer_ignores_the_global_stream():
    a = layers.Dense(3, kernel_initializer=initializers.GlorotNormal(seed=3))
    b = layers.Dense(3, kernel_initializer=initializers.GlorotNormal(seed=3))
    a(np.ones((1, 2)))
    set_random_seed(99)
    b(np.ones((1, 2)))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])


def test_dense_initializers_and_activations_by_name_and_object():
    dense = layers.Dense(2, activation="relu", kernel_initializer="ones", bias_initializer=initializers.Constant(0.5))
    out = dense(np.array([[1.0, -3.0]]))
    np.testing.assert_allclose(out.numpy(), [[0.0, 0.0]])
    out = dense(np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(out.numpy(), [[3.5, 3.5]])


def test_dense_kernel_and_bias_regularizers_add_their_penalties():
    dense = layers.Dense(2, kernel_initializer="ones", bias_initializer="ones",
                         kernel_regularizer=regularizers.L2(0.1), bias_regularizer="l1")
    dense(np.ones((1, 3)))
    penalties = [loss.item() for loss in dense.losses]
    assert penalties == pytest.approx([0.1 * 6, 0.01 * 2])


def test_dense_regularization_penalty_has_a_gradient_on_the_kernel():
    dense = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=regularizers.L2(0.5))
    dense(np.ones((1, 3)))
    dense.losses[0].backward()
    np.testing.assert_allclose(dense.kernel.grad, np.ones((3, 2)))  # d(0.5 w^2)/dw = w


def test_dense_activity_regularizer_penalizes_outputs():
    dense = layers.Dense(2, kernel_initializer="ones", activity_regularizer=regularizers.L1(0.1))
    dense(np.ones((2, 3)))
    assert [loss.item() for loss in dense.losses] == pytest.approx([0.1 * 12])


def test_dense_input_width_mismatch_names_both_sizes():
    dense = layers.Dense(4, name="hidden")
    dense(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"Dense 'hidden' expects inputs whose last axis has size 3.*\(2, 5\)"):
        dense(np.ones((2, 5)))


@pytest.mark.parametrize("units", [0, -1, 2.5, True, None])
def test_dense_units_must_be_a_positive_whole_number(units):
    with pytest.raises(ValueError, match=f"units must be a whole number >= 1, got {units!r}"):
        layers.Dense(units)


def test_unknown_activation_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown activation 'rel'\. Did you mean 'relu'\?.*Known activation names:"
                                         r" .*softmax"):
        layers.Dense(2, activation="rel")


def test_unknown_initializer_name_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"Unknown initializer 'glorot'.*glorot_uniform"):
        layers.Dense(2, kernel_initializer="glorot")


def test_dense_gradients_match_finite_differences():
    dense = layers.Dense(3, activation="tanh", dtype="float64")
    dense(np.ones((1, 2)))
    kernel, bias = dense.get_weights()

    def f(x, w, b):
        return ops.tanh(ops.matmul(x, w) + b)

    x = np.random.default_rng(2).normal(size=(4, 2))
    gradcheck(f, [x, kernel, bias])
    as64 = [tinyfit.Tensor(a, dtype="float64") for a in (x, kernel, bias)]
    np.testing.assert_allclose(dense(as64[0]).numpy(), f(*as64).numpy())


# ---------------------------------------------- Activation, Identity, Lambda
def test_activation_layer_by_name_and_function():
    x = np.array([[-1.0, 2.0]])
    np.testing.assert_allclose(layers.Activation("relu")(x).numpy(), [[0.0, 2.0]])
    np.testing.assert_allclose(layers.Activation(ops.exp)(x).numpy(), np.exp(x), rtol=1e-6)
    assert layers.Activation("relu").get_config()["activation"] == "relu"


def test_identity_and_lambda():
    x = tinyfit.Tensor([[1.0, 2.0]])
    assert layers.Identity()(x) is x
    np.testing.assert_allclose(layers.Lambda(lambda t: t * 2)(x).numpy(), [[2.0, 4.0]])
    with pytest.raises(TypeError, match="Lambda: function must be callable, got 3"):
        layers.Lambda(3)
    with pytest.raises(NotImplementedError, match="saving stores no code"):
        layers.Lambda(abs).get_config()


# -------------------------------------------------------------------- Dropout
def test_dropout_is_the_identity_unless_training():
    x = tinyfit.Tensor(np.ones((10, 10), dtype="float32"))
    dropout = layers.Dropout(0.5)
    assert dropout(x) is x
    assert dropout(x, training=False) is x


def test_dropout_in_training_drops_the_rate_and_rescales_the_rest():
    set_random_seed(0)
    x = np.ones((200, 500), dtype="float32")
    out = layers.Dropout(0.3)(x, training=True).numpy()
    dropped = np.mean(out == 0)
    assert abs(dropped - 0.3) < 0.01  # 100,000 draws: the standard error is 0.0015
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.7], rtol=1e-6)
    assert abs(out.mean() - 1.0) < 0.02  # the expected value is kept


def test_dropout_gradient_flows_through_kept_units_only():
    x = tinyfit.Tensor(np.ones((4, 6), dtype="float32"), requires_grad=True)
    out = layers.Dropout(0.5, seed=1)(x, training=True)
    ops.sum(out).backward()
    np.testing.assert_allclose(x.grad, out.numpy())  # 2 where kept, 0 where dropped


def test_dropout_seed_repeats_masks_and_noise_shape_broadcasts():
    x = np.ones((3, 4, 5), dtype="float32")
    a = layers.Dropout(0.5, seed=4)(x, training=True).numpy()
    b = layers.Dropout(0.5, seed=4)(x, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    shared = layers.Dropout(0.5, noise_shape=(None, 1, 5), seed=2)(x, training=True).numpy()
    assert np.all(shared == shared[:, :1, :])  # same mask at every step of the middle axis


def test_dropout_masks_follow_the_global_seed():
    x = np.ones((4, 8), dtype="float32")
    set_random_seed(3)
    first = layers.Dropout(0.5)(x, training=True).numpy()
    set_random_seed(3)
    np.testing.assert_array_equal(layers.Dropout(0.5)(x, training=True).numpy(), first)


@pytest.mark.parametrize("rate", [-0.1, 1.0, 1.5, "half"])
def test_dropout_rate_must_be_in_zero_one(rate):
    with pytest.raises(ValueError, match=rf"rate must be a number in \[0, 1\), got {rate!r}"):
        layers.Dropout(rate)


def test_dropout_noise_shape_with_wrong_rank_names_both_shapes():
    with pytest.raises(ValueError, match=r"noise_shape \(None, 1\) has 2 axes but the inputs have shape \(2, 3, 4\)"):
        layers.Dropout(0.5, noise_shape=(None, 1))(np.ones((2, 3, 4)), training=True)


# ------------------------------------------------------------ Flatten, Reshape
def test_flatten_keeps_the_batch_axis():
    x = np.arange(24.0).reshape(2, 3, 4)
    out = layers.Flatten()(x)
    np.testing.assert_array_equal(out.numpy(), x.reshape(2, 12))
    assert layers.Flatten()(layers.Input(shape=(28, 28))).shape == (None, 784)
    assert layers.Flatten().compute_output_shape((None, None, 3)) == (None, None)


def test_reshape_with_and_without_minus_one():
    x = np.arange(24.0).reshape(2, 12)
    np.testing.assert_array_equal(layers.Reshape((3, 4))(x).numpy(), x.reshape(2, 3, 4))
    np.testing.assert_array_equal(layers.Reshape((-1, 2))(x).numpy(), x.reshape(2, 6, 2))
    assert layers.Reshape((4, -1))(layers.Input(shape=(12,))).shape == (None, 4, 3)
    assert layers.Reshape((4, 3)).compute_output_shape((None, 12)) == (None, 4, 3)


def test_reshape_size_mismatch_names_the_sizes():
    with pytest.raises(ValueError, match=r"cannot reshape samples of shape \(12,\) \(12 values\) to target_shape \(5,"
                                         r" 2\) \(10 values\)"):
        layers.Reshape((5, 2))(np.ones((2, 12)))
    with pytest.raises(ValueError, match=r"at most one -1, got \(-1, -1\)"):
        layers.Reshape((-1, -1))


# ------------------------------------------------------- ActivityRegularization
def test_activity_regularization_passes_through_and_adds_l1_l2():
    x = np.array([[1.0, -2.0], [3.0, 0.0]], dtype="float32")
    layer = layers.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (penalty,) = layer.losses
    assert penalty.item() == pytest.approx(0.1 * 6 + 0.01 * 14)
    assert layer.get_config()["l1"] == 0.1 and "activity_regularizer" not in layer.get_config()


# ------------------------------------------- symbolic shapes agree with real ones
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_LAYER_MAKERS = {
    "dense": lambda: layers.Dense(3),
    "flatten": layers.Flatten,
    "reshape": lambda: layers.Reshape((-1,)),
    "activation": lambda: layers.Activation("softmax"),
    "dropout": lambda: layers.Dropout(0.3),
    "identity": layers.Identity,
}


@settings(max_examples=30, deadline=None)
@given(sample_shape=st.lists(st.integers(1, 4), min_size=1, max_size=3), batch=st.integers(1, 5),
       kind=st.sampled_from(sorted(_LAYER_MAKERS)))
def test_symbolic_output_shape_matches_the_real_output(sample_shape, batch, kind):
    make = _LAYER_MAKERS[kind]
    symbolic = make()(layers.Input(shape=tuple(sample_shape)))
    real = make()(np.ones((batch, *sample_shape), dtype="float32"))
    assert symbolic.shape[0] is None
    assert symbolic.shape[1:] == real.shape[1:]
    assert symbolic.dtype == real.dtype
