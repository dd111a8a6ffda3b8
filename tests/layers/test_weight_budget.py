"""weight_budget: layers built inside it may create only so many weight numbers (a loader's guard)."""

import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.layers.weight_budget import weight_budget


def _refuse(cause):
    return ValueError(f"Refusing to load 'f.tinyfit': {cause}")


def test_weights_within_the_budget_are_created_as_usual():
    with weight_budget(4 * 3 + 3, _refuse):
        model = keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    assert [tuple(w.shape) for w in model.weights] == [(4, 3), (3,)]


def test_a_weight_past_the_budget_is_refused_before_it_is_allocated():
    with weight_budget(4 * 3 + 2, _refuse):
        with pytest.raises(ValueError, match=r"Refusing to load 'f\.tinyfit': layer 'dense_big' would create weight "
                                             r"'bias' of shape \(3,\) \(3 numbers\).*room for 2 more"):
            keras.Sequential([keras.Input((4,)), layers.Dense(3, name="dense_big")])
    with weight_budget(100, _refuse):
        with pytest.raises(ValueError, match=r"shape \(4, 1000000000000\)"):
            keras.Sequential([keras.Input((4,)), layers.Dense(10**12)])  # would be 16 TB


def test_outside_a_budget_nothing_is_counted_and_an_inner_budget_ends_with_its_block():
    with weight_budget(10, _refuse):
        with weight_budget(10**6, _refuse):
            keras.Sequential([keras.Input((40,)), layers.Dense(30)])
        with pytest.raises(ValueError, match="room for 10 more"):
            keras.Sequential([keras.Input((4,)), layers.Dense(3)])
    keras.Sequential([keras.Input((40,)), layers.Dense(30)])


def test_inside_a_budget_a_layer_is_not_built_on_made_up_inputs_over_the_sample_cap():
    from tinyfit.layers.weight_budget import MAX_SAMPLE_NUMBERS
    # Weight-free layers make the next layer's made-up input as large as they like: it is refused first.
    with weight_budget(10**6, _refuse):
        with pytest.raises(ValueError, match=rf"layer 'after' would be built on inputs of shape \(None, "
                                             rf"{MAX_SAMPLE_NUMBERS + 1}, 1\) \({MAX_SAMPLE_NUMBERS + 1} numbers "
                                             rf"per sample, over the {MAX_SAMPLE_NUMBERS}"):
            keras.Sequential([keras.Input((1,)), layers.RepeatVector(MAX_SAMPLE_NUMBERS + 1),
                              layers.Dense(2, name="after")])
        model = keras.Sequential([keras.Input((1,)), layers.RepeatVector(MAX_SAMPLE_NUMBERS // 2 ** 12),
                                  layers.Flatten()])  # at the cap's scale but under it: built
        assert tuple(model.outputs[0].shape) == (None, MAX_SAMPLE_NUMBERS // 2 ** 12)
    # Outside a budget the user's own model is never capped.
    model = keras.Sequential([keras.Input((2 ** 12,)), layers.RepeatVector(2 ** 12 + 1), layers.Flatten()])
    assert tuple(model.outputs[0].shape) == (None, 2 ** 24 + 2 ** 12)
