"""Regularizers: penalty values and gradients, lookup by string, serialization, errors."""

import numpy as np
import pytest

import tinyfit
from tinyfit import regularizers
from tinyfit.autograd.gradcheck import gradcheck

W = np.array([[1.0, -2.0], [0.5, 0.0]])


def test_regularizers_all_is_pinned():
    assert regularizers.__all__ == ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2", "get", "serialize",
                                    "deserialize"]


def test_lower_case_names_make_the_classes_as_in_keras():
    assert isinstance(regularizers.l1(0.2), regularizers.L1) and regularizers.l1(0.2).l1 == pytest.approx(0.2)
    assert isinstance(regularizers.l2(1e-4), regularizers.L2) and regularizers.l2(1e-4).l2 == pytest.approx(1e-4)
    both = regularizers.l1_l2(l1=0.1, l2=0.3)
    assert (both.l1, both.l2) == (pytest.approx(0.1), pytest.approx(0.3))


def test_penalty_values():
    w = tinyfit.Tensor(W)
    assert regularizers.L1(0.1)(w).item() == pytest.approx(0.1 * 3.5)
    assert regularizers.L2(0.1)(w).item() == pytest.approx(0.1 * 5.25)
    assert regularizers.L1L2(l1=0.1, l2=0.01)(w).item() == pytest.approx(0.35 + 0.0525)
    assert regularizers.L1L2()(w).item() == 0.0
    penalty = regularizers.L2()(w)
    assert penalty.shape == () and penalty.dtype == np.float32


def test_strings_give_keras_default_factors():
    assert regularizers.get("l1").l1 == 0.01
    assert regularizers.get("l2").l2 == 0.01
    both = regularizers.get("l1_l2")
    assert (both.l1, both.l2) == (0.01, 0.01)
    assert isinstance(regularizers.get("L2"), regularizers.L2)
    assert regularizers.l1_l2(l1=0.2).l1 == 0.2


@pytest.mark.parametrize("reg", [regularizers.L1(0.3), regularizers.L2(0.3), regularizers.L1L2(0.2, 0.4)])
def test_gradients_match_finite_differences(reg):
    gradcheck(reg, [np.array([[0.7, -1.2], [0.4, 2.0]])])


def test_get_passes_objects_and_functions_through():
    reg = regularizers.L2(1e-4)
    assert regularizers.get(reg) is reg
    assert regularizers.get(None) is None

    def mine(x):
        return tinyfit.ops.sum(x)

    assert regularizers.get(mine) is mine


def test_unknown_name_and_bad_values_are_named():
    with pytest.raises(ValueError, match=r"Unknown regularizer 'l3'.*Known regularizer names: L1, L1L2, L2, l1,"
                                         r" l1_l2, l2"):
        regularizers.get("l3")
    with pytest.raises(TypeError, match="Could not interpret regularizer identifier 0.5"):
        regularizers.get(0.5)
    with pytest.raises(ValueError, match="L2: l2 must be a number >= 0, got -1.0"):
        regularizers.L2(-1)
    with pytest.raises(ValueError, match="L1: l1 must be a number, got 'big'"):
        regularizers.L1("big")


def test_serialize_round_trip():
    for reg in (regularizers.L1(0.5), regularizers.L2(0.25), regularizers.L1L2(0.1, 0.2)):
        config = regularizers.serialize(reg)
        again = regularizers.get(config)
        assert type(again) is type(reg) and again.get_config() == reg.get_config()
    assert repr(regularizers.L1L2(0.1, 0.2)) == "L1L2(l1=0.1, l2=0.2)"
