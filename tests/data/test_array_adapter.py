"""In-memory arrays into batches: standardizing, counting samples, batching, shuffling,
class weights, the validation split, and the helpers for nested data."""

import numpy as np
import pytest

from tinyfit import ops
from tinyfit.data import ArrayDataAdapter, get_data_adapter, split_validation
from tinyfit.data import IterableAdapter, unpack_x_y_sample_weight
from tinyfit.data.array_adapter import check_lengths, standardize
from tinyfit.data.structure import batch_size_of
from tinyfit.utils import set_random_seed


def column(n, start=0):
    return np.arange(start, start + n, dtype="float32").reshape(n, 1)


# ***************************************************************** structure
@pytest.mark.parametrize("batch, expected", [
    ("x", ("x", None, None)),
    (("x",), ("x", None, None)),
    (("x", "y"), ("x", "y", None)),
    (("x", "y", "w"), ("x", "y", "w")),
])
def test_unpack_x_y_sample_weight(batch, expected):
    assert unpack_x_y_sample_weight(batch) == expected


def test_unpack_rejects_longer_tuples():
    with pytest.raises(ValueError, match=r"a tuple of 4 items"):
        unpack_x_y_sample_weight((1, 2, 3, 4))


def test_batch_size_of_counts_the_rows_of_the_first_array():
    x = {"image": np.zeros((5, 3)), "meta": np.zeros((5, 2))}
    assert batch_size_of(x) == 5
    assert batch_size_of([None, ops.ones((7, 2))]) == 7  # an absent part is skipped; Tensors count
    assert batch_size_of(np.float32(0.25)) == 1  # one number (a batch's loss) is one value
    assert batch_size_of(None) == 1 and batch_size_of({}) == 1


# ************************************************************** standardize
def test_standardize_makes_numpy_leaves_and_keeps_lists_of_arrays():
    tensor = ops.convert_to_tensor(np.ones((3, 2), "float32"))
    assert isinstance(standardize(tensor), np.ndarray)
    as_list = standardize([np.zeros((3, 1)), tensor])
    assert isinstance(as_list, list) and all(isinstance(a, np.ndarray) for a in as_list)
    assert standardize([[1.0, 2.0], [3.0, 4.0]]).shape == (2, 2)  # a nested list of numbers is one array
    assert set(standardize({"a": [0, 1], "b": tensor})) == {"a", "b"}
    assert standardize(None) is None


def test_check_lengths_counts_and_names_both_counts():
    assert check_lengths(column(5), column(5), np.ones(5)) == 5
    with pytest.raises(ValueError, match=r"predict: x and y hold different numbers of samples: x has 5, y has 4"):
        check_lengths(column(5), column(4), None, caller="predict")
    with pytest.raises(ValueError, match=r"all arrays in x must hold the same number of samples; got lengths \[3, 5\]"):
        check_lengths([column(5), column(3)], None, None)
    with pytest.raises(ValueError, match=r"x is a single number; it needs a first \(sample\) axis"):
        check_lengths(np.float32(3.0), None, None)
    with pytest.raises(ValueError, match=r"x holds no samples"):
        check_lengths(np.zeros((0, 3)), None, None)


# ***************************************************************** batching
def test_batches_cover_every_sample_once_with_a_short_last_batch():
    adapter = ArrayDataAdapter(column(10), column(10, start=100), np.ones(10), batch_size=4)
    assert adapter.num_samples == 10 and adapter.num_batches == 3
    batches = list(adapter.batches())
    assert [b[0][:, 0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert [b[1][:, 0].tolist() for b in batches] == [[100, 101, 102, 103], [104, 105, 106, 107], [108, 109]]
    assert all(b[2].shape == (len(b[0]),) for b in batches)
    x, y, w = adapter.whole()
    assert x.shape == (10, 1) and y.shape == (10, 1) and w.shape == (10,)


def test_lists_and_dicts_are_sliced_together():
    x = {"a": column(6), "b": column(6, start=10)}
    y = [column(6, start=20), column(6, start=30)]
    (bx, by, bw), *_ = ArrayDataAdapter(x, y, batch_size=2, shuffle=True).batches()
    assert bw is None
    rows = bx["a"][:, 0]
    np.testing.assert_array_equal(bx["b"][:, 0], rows + 10)
    np.testing.assert_array_equal(by[0][:, 0], rows + 20)
    np.testing.assert_array_equal(by[1][:, 0], rows + 30)


def test_shuffle_is_a_new_permutation_each_epoch_and_follows_the_seed():
    def two_epochs(seed):
        set_random_seed(seed)
        adapter = ArrayDataAdapter(column(20), batch_size=6, shuffle=True)
        return [np.concatenate([b[0][:, 0] for b in adapter.batches()]).tolist() for _ in range(2)]

    first, second = two_epochs(1)
    assert sorted(first) == sorted(second) == list(range(20))
    assert first != second and first != list(range(20))
    assert two_epochs(1) == [first, second]
    assert two_epochs(2) != [first, second]


def test_get_data_adapter_checks_batch_size_and_picks_an_adapter_per_kind():
    adapter = get_data_adapter(column(70), caller="evaluate")
    assert adapter.batch_size == 32 and adapter.num_batches == 3  # Keras's default batch size
    assert get_data_adapter(column(7), batch_size=np.int64(2)).num_batches == 4
    for bad in (0, -1, 1.5, True, "8"):
        with pytest.raises(ValueError, match=rf"evaluate: batch_size must be a whole number >= 1, got {bad!r}"):
            get_data_adapter(column(5), batch_size=bad, caller="evaluate")
    with pytest.raises(ValueError, match=r"fit: no input data"):
        get_data_adapter(None)
    assert isinstance(get_data_adapter(b for b in [column(2)]), IterableAdapter)
    with pytest.raises(ValueError, match=r"fit: x is a generator, which yields whole batches, so y cannot be passed"):
        get_data_adapter((b for b in [column(2)]), column(2))


# ************************************************************** class weights
def test_class_weight_becomes_each_samples_weight():
    labels = np.array([0, 1, 2, 1], dtype="float32")
    adapter = ArrayDataAdapter(column(4), labels, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    np.testing.assert_array_equal(adapter.sample_weight, [1.0, 2.0, 0.5, 2.0])
    # (N, 1) labels and one-hot labels say the same classes.
    np.testing.assert_array_equal(
        ArrayDataAdapter(column(4), labels[:, None], class_weight={0: 1, 1: 2, 2: 3}).sample_weight, [1, 2, 3, 2])
    one_hot = np.eye(3, dtype="float32")[labels.astype(int)]
    np.testing.assert_array_equal(
        ArrayDataAdapter(column(4), one_hot, class_weight={0: 1, 1: 2, 2: 3}).sample_weight, [1, 2, 3, 2])
    # Multiplied into given sample weights.
    np.testing.assert_array_equal(
        ArrayDataAdapter(column(4), labels, np.array([1, 1, 2, 0]), class_weight={0: 1, 1: 2, 2: 3}).sample_weight,
        [1, 2, 6, 0])


def test_class_weight_errors():
    labels = np.array([0, 1, 2], dtype="float32")
    with pytest.warns(UserWarning, match=r"class_weight has no entry for class\(es\) \[2\] .* covers classes \[0, 1\]"):
        adapter = ArrayDataAdapter(column(3), labels, class_weight={0: 3.0, 1: 2.0})
    np.testing.assert_array_equal(adapter.sample_weight, [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match=r"class_weight needs a single y array"):
        ArrayDataAdapter(column(3), [labels, labels], class_weight={0: 1.0, 1: 1.0, 2: 1.0})
    with pytest.raises(TypeError, match=r"class_weight must be a dict"):
        ArrayDataAdapter(column(3), labels, class_weight=[1.0, 1.0, 1.0])


# ********************************************************** validation split
def test_split_validation_keeps_the_last_fraction_before_shuffling():
    x = {"a": column(10)}
    (tx, ty, tw), (vx, vy, vw) = split_validation(x, column(10, start=100), np.arange(10.0), 0.2)
    assert tx["a"][:, 0].tolist() == list(range(8)) and vx["a"][:, 0].tolist() == [8, 9]
    assert ty[:, 0].tolist() == list(range(100, 108)) and vy[:, 0].tolist() == [108, 109]
    assert tw.tolist() == list(range(8)) and vw.tolist() == [8, 9]
    (tx, ty, tw), (vx, vy, vw) = split_validation(column(5), None, None, 0.5)
    assert len(tx) == 2 and len(vx) == 3 and ty is None and vw is None  # floor(5 * 0.5) samples train


@pytest.mark.parametrize("fraction", [0, 0.0, 1, 1.0, -0.5, 2, True, "0.2"])
def test_split_validation_must_be_a_fraction_between_0_and_1(fraction):
    with pytest.raises(ValueError, match=rf"fit: validation_split must be a fraction between 0 and 1 \(exclusive\), "
                                         rf"got {fraction!r}"):
        split_validation(column(10), None, None, fraction)


def test_split_validation_that_leaves_no_training_samples():
    with pytest.raises(ValueError, match=r"validation_split=0\.9 of 2 samples leaves no training samples"):
        split_validation(column(2), None, None, 0.9)
    with pytest.raises(ValueError, match=r"x and y hold different numbers of samples: x has 4, y has 3"):
        split_validation(column(4), column(3), None, 0.5)
