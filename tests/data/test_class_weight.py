"""ClassWeighter: class_weight read from integer labels or exact one-hot targets."""

import numpy as np
import pytest

from tinyfit.data import ClassWeighter

WEIGHTS = {0: 1.0, 1: 2.0, 2: 0.5}


def test_integer_labels_in_every_layout():
    w = ClassWeighter(WEIGHTS)
    np.testing.assert_array_equal(w(np.array([2, 0, 1, 1])), [0.5, 1.0, 2.0, 2.0])
    np.testing.assert_array_equal(w(np.array([[2], [0]])), [0.5, 1.0])  # (N, 1) labels are labels, not one-hot
    np.testing.assert_array_equal(w(np.array([2.0, 1.0], dtype="float32")), [0.5, 2.0])  # the guide's float labels
    assert w(np.array([1, 0])).dtype == np.float32


def test_one_hot_targets_including_two_classes():
    w = ClassWeighter({0: 3.0, 1: 5.0})
    two_class = np.array([[0, 1], [1, 0], [0, 1]], dtype="float32")  # one-hot, not two labels per row
    np.testing.assert_array_equal(w(two_class), [5.0, 3.0, 5.0])
    np.testing.assert_array_equal(ClassWeighter(WEIGHTS)(np.eye(3)[[2, 2, 0]]), [0.5, 0.5, 1.0])


def test_soft_labels_are_an_error_showing_the_row():
    with pytest.raises(ValueError, match=r"targets of shape \(2, 3\) reads them as one-hot rows, but row 1 is "
                                         r"\[0\.2 +0\.8 +0\. *\], not exactly one 1.*soft labels"):
        ClassWeighter(WEIGHTS)(np.array([[0, 1, 0], [0.2, 0.8, 0.0]]))
    with pytest.raises(ValueError, match=r"row 0 is \[1\. 1\. 0\.\]"):
        ClassWeighter(WEIGHTS)(np.array([[1.0, 1.0, 0.0]]))


def test_labels_missing_from_the_dict_weigh_one_and_warn_once():
    w = ClassWeighter({0: 2.0})
    with pytest.warns(UserWarning, match=r"fit: class_weight has no entry for class\(es\) \[1, 3\] found in y; "
                                         r"those samples get weight 1\.0\. The dict covers classes \[0\]") as said:
        np.testing.assert_array_equal(w(np.array([0, 1, 3, 1])), [2.0, 1.0, 1.0, 1.0])
        w(np.array([1, 3]))  # the same classes again: no second warning
    assert len(said) == 1


def test_multiplies_into_sample_weights():
    np.testing.assert_array_equal(ClassWeighter(WEIGHTS)(np.array([1, 2]), np.array([3.0, 4.0])), [6.0, 2.0])
    with pytest.raises(ValueError, match=r"sample_weight holds 3 values for 2 samples"):
        ClassWeighter(WEIGHTS)(np.array([1, 2]), np.ones(3))


def test_several_outputs_point_to_per_output_sample_weight():
    with pytest.raises(ValueError, match=r"y holds \['score', 'priority'\]\. For several outputs pass sample_weight "
                                         r"instead: a dict keyed by output name"):
        ClassWeighter(WEIGHTS)({"score": np.zeros(2), "priority": np.zeros(2)})
    with pytest.raises(ValueError, match=r"y holds 2 outputs"):
        ClassWeighter(WEIGHTS)([np.zeros(2), np.zeros(2)])
    np.testing.assert_array_equal(ClassWeighter(WEIGHTS)({"only": np.array([1])}), [2.0])  # one output in a dict


def test_bad_dicts_and_targets_are_named():
    with pytest.raises(TypeError, match=r"class_weight must be a dict \{class index: weight\}, got list"):
        ClassWeighter([1.0, 2.0])
    with pytest.raises(ValueError, match=r"class_weight keys must be class indices .* got 'cat'; the dict has keys "
                                         r"\['cat'\]"):
        ClassWeighter({"cat": 1.0})
    with pytest.raises(ValueError, match=r"class_weight\[1\] must be a number, got 'heavy'"):
        ClassWeighter({1: "heavy"})
    with pytest.raises(ValueError, match=r"whole-number class labels >= 0 in y, found \[0\.5\]"):
        ClassWeighter(WEIGHTS)(np.array([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"targets of shape \(2, 3, 4\)"):
        ClassWeighter(WEIGHTS)(np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r"class_weight needs targets y"):
        ClassWeighter(WEIGHTS)(None)
