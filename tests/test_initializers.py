"""Initializers: shapes and dtypes, the distributions' spreads, seeding, lookup and errors."""


import numpy as np
import pytest

import tinyfit
from tinyfit import initializers
from tinyfit.utils import set_random_seed


def test_initializers_all_is_pinned():
    assert initializers.__all__ == [
        "Initializer", "Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
        "VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
        "LecunNormal", "Orthogonal", "Identity", "compute_fans", "get", "serialize", "deserialize",
        "constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "identity", "lecun_normal",
        "lecun_uniform", "ones", "orthogonal", "random_normal", "random_uniform", "truncated_normal",
        "variance_scaling", "zeros",
    ]


def test_lower_case_names_are_the_classes_as_in_keras_3():
    assert initializers.he_normal is initializers.HeNormal and initializers.zeros is initializers.Zeros
    kernel = initializers.glorot_uniform(seed=3)((4, 5))
    np.testing.assert_array_equal(kernel.numpy(), initializers.GlorotUniform(seed=3)((4, 5)).numpy())
    assert initializers.serialize(initializers.he_normal(seed=1))["class_name"] == "HeNormal"
    layer = tinyfit.layers.Dense(2, kernel_initializer=initializers.orthogonal(seed=0))
    layer.build((None, 2))
    np.testing.assert_allclose(layer.kernel.numpy().T @ layer.kernel.numpy(), np.eye(2), atol=1e-6)


def test_lower_case_names_match_keras_3s_own(keras3):
    ours = [n for n in initializers.__all__ if n[0].islower() and n not in ("compute_fans", "get", "serialize",
                                                                              "deserialize")]
    theirs = [n for n in dir(keras3.initializers) if n[0].islower() and n not in ("get", "serialize", "deserialize",
                                                                                  "stft")]
    assert sorted(ours) == sorted(theirs)
    for name in ours:  # the same class under both names in both libraries
        assert getattr(keras3.initializers, name).__name__ == getattr(initializers, name).__name__


def test_identity_is_the_scaled_identity_matrix_and_2d_only():
    np.testing.assert_array_equal(initializers.Identity(2.0)((2, 3)).numpy(), [[2, 0, 0], [0, 2, 0]])
    np.testing.assert_array_equal(initializers.get("identity")((3, 3)).numpy(), np.eye(3))
    assert initializers.deserialize(initializers.serialize(initializers.Identity(0.5))).gain == 0.5
    with pytest.raises(ValueError, match=r"2D matrices only; the weight has shape \(2, 2, 2\) \(rank 3\)"):
        initializers.identity()((2, 2, 2))


def test_constant_initializers_give_tensors_of_the_shape_and_dtype():
    zeros = initializers.Zeros()((2, 3))
    assert isinstance(zeros, tinyfit.Tensor) and zeros.shape == (2, 3) and zeros.dtype == np.float32
    np.testing.assert_array_equal(initializers.Ones()((4,), dtype="float64").numpy(), np.ones(4))
    np.testing.assert_array_equal(initializers.Constant(2.5)((2,)).numpy(), [2.5, 2.5])
    np.testing.assert_array_equal(initializers.Constant([1.0, 2.0])((2,)).numpy(), [1.0, 2.0])
    with pytest.raises(ValueError, match=r"Constant: the value has shape \(2,\) but the weight has shape \(3,\)"):
        initializers.Constant([1.0, 2.0])((3,))


def test_compute_fans():
    assert initializers.compute_fans(()) == (1, 1)
    assert initializers.compute_fans((5,)) == (5, 5)
    assert initializers.compute_fans((784, 64)) == (784, 64)
    assert initializers.compute_fans((3, 3, 16, 32)) == (9 * 16, 9 * 32)


@pytest.mark.parametrize("init, limit", [
    (initializers.GlorotUniform(), np.sqrt(6 / (400 + 300))),
    (initializers.HeUniform(), np.sqrt(6 / 400)),
    (initializers.LecunUniform(), np.sqrt(3 / 400)),
    (initializers.RandomUniform(-0.2, 0.3), None),
])
def test_uniform_initializers_stay_within_their_limits(init, limit):
    values = init((400, 300)).numpy()
    low, high = (-limit, limit) if limit is not None else (-0.2, 0.3)
    assert values.min() >= low and values.max() <= high
    assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (high - low)


@pytest.mark.parametrize("init, std", [
    (initializers.GlorotNormal(), np.sqrt(2 / (400 + 300))),
    (initializers.HeNormal(), np.sqrt(2 / 400)),
    (initializers.LecunNormal(), np.sqrt(1 / 400)),
    (initializers.RandomNormal(stddev=0.1), 0.1),
])
def test_normal_initializers_have_their_standard_deviation(init, std):
    values = init((400, 300)).numpy()
    assert abs(values.std() / std - 1) < 0.02  # 120,000 draws


def test_truncated_normal_redraws_beyond_two_standard_deviations():
    values = initializers.TruncatedNormal(mean=1.0, stddev=0.5)((200, 200)).numpy()
    assert values.min() >= 0.0 and values.max() <= 2.0
    assert abs(values.mean() - 1.0) < 0.01


def test_orthogonal_gives_orthonormal_columns_or_rows():
    tall = initializers.Orthogonal()((6, 3)).numpy().astype("float64")
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-5)
    wide = initializers.Orthogonal(gain=2.0)((3, 6)).numpy().astype("float64")
    np.testing.assert_allclose(wide @ wide.T, 4 * np.eye(3), atol=1e-4)
    with pytest.raises(ValueError, match=r"at least 2 axes, got shape \(4,\)"):
        initializers.Orthogonal()((4,))


def test_random_initializers_follow_set_random_seed():
    set_random_seed(11)
    first = initializers.GlorotUniform()((3, 4)).numpy()
    second = initializers.GlorotUniform()((3, 4)).numpy()
    set_random_seed(11)
    np.testing.assert_array_equal(initializers.GlorotUniform()((3, 4)).numpy(), first)
    assert not np.array_equal(first, second)  # one stream: the next draw differs


def test_a_seeded_initializer_repeats_itself():
    init = initializers.HeNormal(seed=5)
    np.testing.assert_array_equal(init((3, 3)).numpy(), init((3, 3)).numpy())
    np.testing.assert_array_equal(init((3, 3)).numpy(), initializers.HeNormal(seed=5)((3, 3)).numpy())


def test_get_by_snake_case_name_class_name_dict_class_and_function():
    assert isinstance(initializers.get("glorot_uniform"), initializers.GlorotUniform)
    assert isinstance(initializers.get("HeNormal"), initializers.HeNormal)
    assert isinstance(initializers.get(initializers.Zeros), initializers.Zeros)
    init = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 2.0, "seed": 1}})
    assert init.stddev == 2.0 and init.seed == 1
    assert initializers.get(None) is None

    def mine(shape, dtype=None):
        return np.ones(shape)

    assert initializers.get(mine) is mine


def test_unknown_initializer_is_named_with_the_choices():
    with pytest.raises(ValueError, match=r"Unknown initializer 'he_unifrom'\. Did you mean"
                                         r" 'he_uniform'\?.*glorot_normal"):
        initializers.get("he_unifrom")
    with pytest.raises(TypeError, match="Could not interpret initializer identifier 5"):
        initializers.get(5)


def test_serialize_round_trip():
    for init in (initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=3), initializers.Constant(0.5),
                 initializers.GlorotUniform(seed=1), initializers.Orthogonal(gain=0.5)):
        again = initializers.get(initializers.serialize(init))
        assert type(again) is type(init) and again.get_config() == init.get_config()
    assert repr(initializers.GlorotUniform(seed=1)) == "GlorotUniform(seed=1)"


def test_variance_scaling_rejects_bad_settings_by_name():
    with pytest.raises(ValueError, match=r"unknown mode 'fan_all'; choose one of \('fan_in', 'fan_out', 'fan_avg'\)"):
        initializers.VarianceScaling(mode="fan_all")
    with pytest.raises(ValueError, match="unknown distribution 'gaussian'"):
        initializers.VarianceScaling(distribution="gaussian")
    with pytest.raises(ValueError, match="scale must be positive, got 0"):
        initializers.VarianceScaling(scale=0)


def test_shapes_must_be_known_whole_numbers():
    with pytest.raises(ValueError, match=r"shape must be whole numbers >= 0, got \(None, 3\)"):
        initializers.Zeros()((None, 3))
