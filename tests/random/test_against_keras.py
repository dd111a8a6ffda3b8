"""The same seed gives the same numbers as real Keras 3 on its NumPy backend.

Both draw with NumPy's default_rng from the seed pair [seed, counter], so the
values agree exactly (dropout up to the rounding of x / keep versus x * (1 / keep)).
shuffle is left out on purpose: Keras's NumPy backend shuffles each slice on its
own, while its documentation, and its other backends, keep the slices whole.
"""

import numpy as np
import pytest

import tinyfit


CASES = [
    ("normal", lambda r, seed: r.normal((3, 4), mean=1.0, stddev=2.0, seed=seed)),
    ("uniform", lambda r, seed: r.uniform((5,), minval=-1.0, maxval=3.0, seed=seed)),
    ("truncated_normal", lambda r, seed: r.truncated_normal((50,), stddev=0.5, seed=seed)),
    ("randint", lambda r, seed: r.randint((6,), 0, 100, seed=seed)),
    ("gamma", lambda r, seed: r.gamma((4,), alpha=2.0, seed=seed)),
    ("beta", lambda r, seed: r.beta((4,), alpha=2.0, beta=3.0, seed=seed)),
    ("binomial", lambda r, seed: r.binomial((4,), counts=10, probabilities=0.4, seed=seed)),
    ("categorical", lambda r, seed: r.categorical(np.array([[0.0, 1.0, 2.0], [1.0, 1.0, -1.0]], "float32"), 8,
                                                  seed=seed)),
    ("dropout", lambda r, seed: r.dropout(np.linspace(1, 2, 30, dtype="float32").reshape(5, 6), 0.4, seed=seed)),
]


@pytest.mark.parametrize("name, draw", CASES, ids=[name for name, _ in CASES])
def test_an_int_seed_draws_what_keras_draws(keras3, name, draw):
    ours = draw(tinyfit.random, 42).numpy()
    theirs = keras3.ops.convert_to_numpy(draw(keras3.random, 42))
    assert ours.dtype == theirs.dtype and ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("name, draw", CASES[:3], ids=[name for name, _ in CASES[:3]])
def test_a_seed_generator_draws_keras_s_sequence(keras3, name, draw):
    ours, theirs = tinyfit.random.SeedGenerator(7), keras3.random.SeedGenerator(7)
    for _ in range(3):
        np.testing.assert_allclose(draw(tinyfit.random, ours).numpy(),
                                   keras3.ops.convert_to_numpy(draw(keras3.random, theirs)), rtol=1e-6)
    np.testing.assert_array_equal(ours.state.numpy(), keras3.ops.convert_to_numpy(theirs.state.value))
