"""SeedGenerator and the three kinds of seed, as keras.random documents them."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.utils import set_random_seed
from tinyfit.utils.random import get_random_states, set_random_states


def test_an_int_seed_gives_the_same_values_on_every_call():
    a = keras.random.normal((3, 4), seed=7).numpy()
    b = keras.random.normal((3, 4), seed=7).numpy()
    c = keras.random.normal((3, 4), seed=8).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_a_seed_generator_gives_new_values_on_every_call_and_repeats_from_the_same_seed():
    gen = keras.random.SeedGenerator(1337)
    first = keras.random.uniform((5,), seed=gen).numpy()
    second = keras.random.uniform((5,), seed=gen).numpy()
    assert not np.array_equal(first, second)
    again = keras.random.SeedGenerator(1337)
    np.testing.assert_array_equal(keras.random.uniform((5,), seed=again).numpy(), first)
    np.testing.assert_array_equal(keras.random.uniform((5,), seed=again).numpy(), second)


def test_an_int_seed_draws_what_the_first_draw_of_its_seed_generator_draws():
    np.testing.assert_array_equal(keras.random.normal((4,), seed=3).numpy(),
                                  keras.random.normal((4,), seed=keras.random.SeedGenerator(3)).numpy())


def test_the_state_is_seed_and_counter_and_counts_the_draws():
    gen = keras.random.SeedGenerator(42)
    np.testing.assert_array_equal(gen.state.numpy(), [42, 0])
    assert gen.state.dtype == np.uint32 and not gen.state.trainable
    keras.random.normal((2,), seed=gen)
    keras.random.uniform((2,), seed=gen)
    np.testing.assert_array_equal(gen.state.numpy(), [42, 2])


def test_a_saved_state_assigned_back_continues_the_same_sequence():
    gen = keras.random.SeedGenerator(5)
    keras.random.normal((3,), seed=gen)
    saved = gen.state.numpy().copy()  # numpy() shares the memory of a CPU tensor
    expected = keras.random.normal((3,), seed=gen).numpy()
    keras.random.normal((3,), seed=gen)
    gen.state.assign(saved)
    np.testing.assert_array_equal(keras.random.normal((3,), seed=gen).numpy(), expected)


def test_get_and_set_random_states_rewind_live_seed_generators():
    gen = keras.random.SeedGenerator(9)
    keras.random.normal((2,), seed=gen)
    states = get_random_states()
    expected = keras.random.normal((2,), seed=gen).numpy()
    set_random_states(states)
    np.testing.assert_array_equal(keras.random.normal((2,), seed=gen).numpy(), expected)


def test_set_random_states_accepts_states_saved_before_any_generator_existed():
    states = get_random_states()
    del states["seed_generators"]  # as a backup written by an older tinyfit holds them
    set_random_states(states)


def test_set_random_seed_makes_none_seeded_draws_reproducible():
    set_random_seed(123)
    a = keras.random.normal((4,)).numpy()
    b = keras.random.normal((4,)).numpy()
    set_random_seed(123)
    np.testing.assert_array_equal(keras.random.normal((4,)).numpy(), a)
    np.testing.assert_array_equal(keras.random.normal((4,)).numpy(), b)
    assert not np.array_equal(a, b)


def test_a_generator_without_seed_is_seeded_from_the_global_generator():
    set_random_seed(11)
    a = keras.random.uniform((3,), seed=keras.random.SeedGenerator()).numpy()
    set_random_seed(11)
    np.testing.assert_array_equal(keras.random.uniform((3,), seed=keras.random.SeedGenerator()).numpy(), a)


def test_config_round_trip_keeps_the_seed_and_the_name():
    gen = keras.random.SeedGenerator(21, name="noise_seed")
    assert gen.get_config() == {"seed": 21, "name": "noise_seed"}
    clone = keras.random.SeedGenerator.from_config(gen.get_config())
    np.testing.assert_array_equal(keras.random.normal((3,), seed=clone).numpy(),
                                  keras.random.normal((3,), seed=gen).numpy())


def test_next_returns_the_pair_and_moves_on():
    gen = keras.random.SeedGenerator(4)
    np.testing.assert_array_equal(gen.next().numpy(), [4, 0])
    np.testing.assert_array_equal(gen.next().numpy(), [4, 1])


@pytest.mark.parametrize("seed", [1.5, "42", np.array([1, 2]), True, [1]])
def test_a_bad_seed_type_names_the_accepted_ones(seed):
    with pytest.raises(TypeError, match=r"normal: seed must be an int, a keras\.random\.SeedGenerator or None"):
        keras.random.normal((2,), seed=seed)


def test_a_seed_generator_refuses_a_seed_that_is_not_an_int():
    with pytest.raises(TypeError, match=r"SeedGenerator: seed must be an int or None, got 0\.5"):
        keras.random.SeedGenerator(0.5)


def test_the_namespace_shows_the_api_and_no_module():
    import types

    assert dir(keras.random) == sorted(keras.random.__all__)
    assert sorted(keras.random.__all__) == sorted([
        "SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "gamma", "binomial", "beta",
        "dropout", "shuffle", "categorical"])
    public = {name: value for name, value in vars(keras.random).items() if not name.startswith("_")}
    assert not [name for name, value in public.items() if isinstance(value, types.ModuleType)]
