"""tinyfit.data.Dataset: the tf.data subset, element by element."""

import gc
import threading
import time

import numpy as np
import pytest

import tinyfit as keras
from tinyfit.data import AUTOTUNE, INFINITE, UNKNOWN, Dataset


def rows(ds):
    return [np.asarray(e).tolist() for e in ds]


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "tinyfit-prefetch"]


# ************************************************************ from_tensor_slices
def test_from_tensor_slices_takes_arrays_tuples_dicts_and_nesting():
    x = np.arange(12).reshape(6, 2)
    assert rows(Dataset.from_tensor_slices(x)) == x.tolist()
    assert rows(Dataset.from_tensor_slices([1, 2, 3])) == [1, 2, 3]  # a list is one array, as in tf.data
    first = next(iter(Dataset.from_tensor_slices((x, np.arange(6)))))
    assert isinstance(first, tuple) and first[0].tolist() == [0, 1] and first[1] == 0
    nested = Dataset.from_tensor_slices(({"a": x, "b": np.arange(6.0)}, np.arange(6) * 10))
    element = list(nested)[2]
    assert element[0]["a"].tolist() == [4, 5] and element[0]["b"] == 2.0 and element[1] == 20
    assert len(nested) == 6 and nested.cardinality() == 6
    assert list(Dataset.from_tensor_slices(keras.Tensor(np.ones((3, 2)))).as_numpy_iterator())[0].tolist() == [1, 1]


def test_from_tensor_slices_errors_name_the_facts():
    with pytest.raises(ValueError, match=r"same number of rows.*tensors\[0\]: 5, tensors\[1\]\['y'\]: 4"):
        Dataset.from_tensor_slices((np.zeros(5), {"y": np.zeros(4)}))
    with pytest.raises(ValueError, match=r"tensors is a single number"):
        Dataset.from_tensor_slices(np.float32(3.0))
    with pytest.raises(TypeError, match=r"expects arrays .* got str 'abc'"):
        Dataset.from_tensor_slices("abc")
    with pytest.raises(ValueError, match=r"empty dict"):
        Dataset.from_tensor_slices({})
    with pytest.raises(ValueError, match=r"a list is read as one array, but its 2 items \(ndarray of shape \(5, 3\), "
                                         r"ndarray of shape \(5,\)\) do not stack into one.*from_tensor_slices\(\(x, y\)\)"):
        Dataset.from_tensor_slices([np.zeros((5, 3)), np.zeros(5)])
    assert len(Dataset.from_tensor_slices([[1, 2], [3, 4], [5, 6]])) == 3  # a list of equal rows is one array


# ******************************************************************* batching
def test_batch_stacks_structures_and_counts_batches():
    ds = Dataset.from_tensor_slices(({"a": np.arange(10)}, np.arange(10) * 2)).batch(4)
    batches = list(ds)
    assert len(ds) == 3 and len(batches) == 3
    assert batches[0][0]["a"].tolist() == [0, 1, 2, 3] and batches[2][1].tolist() == [16, 18]
    dropped = Dataset.from_tensor_slices(np.arange(10)).batch(4, drop_remainder=True)
    assert len(dropped) == 2 and rows(dropped) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(ValueError, match=r"batch_size must be a whole number >= 1, got 0"):
        Dataset.from_tensor_slices(np.arange(3)).batch(0)


def test_batch_of_elements_of_different_shapes_says_so():
    ds = Dataset.from_tensor_slices(np.arange(4)).map(lambda v: np.zeros(int(v) + 1)).batch(2)
    with pytest.raises(ValueError, match=r"different shapes \[\(1,\), \(2,\)\]"):
        list(ds)


# ****************************************************************** shuffling
def test_shuffle_with_a_full_buffer_is_a_permutation_that_changes_each_pass():
    ds = Dataset.from_tensor_slices(np.arange(50)).shuffle(50)
    first, second = rows(ds), rows(ds)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != list(range(50)) and first != second


def test_a_small_buffer_only_mixes_locally():
    out = rows(Dataset.from_tensor_slices(np.arange(200)).shuffle(4, seed=1))
    assert sorted(out) == list(range(200))
    assert out[0] < 4  # the first element out is one of the first buffer_size
    assert all(out[i] < i + 4 for i in range(200))  # nothing jumps more than the buffer ahead


def test_shuffle_seeds_come_from_tinyfit_so_set_random_seed_repeats_runs():
    def two_passes(seed):
        keras.utils.set_random_seed(seed)
        ds = Dataset.from_tensor_slices(np.arange(30)).shuffle(10)
        return rows(ds), rows(ds)

    assert two_passes(5) == two_passes(5)
    assert two_passes(5) != two_passes(6)
    fixed = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=3, reshuffle_each_iteration=False)
    assert rows(fixed) == rows(fixed)
    seeded = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=3)
    again = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=3)
    assert rows(seeded) == rows(again) and rows(seeded) == rows(again)  # per-pass orders repeat too


class OrderSeen(keras.Sequential):
    """Notes the rows of every batch that reaches a training step: the order fit() fed."""

    def train_step(self, data):
        self.seen.append(np.asarray(data[0].numpy()).ravel().astype(int).tolist())
        return super().train_step(data)


def epoch_orders(ds, epochs):
    model = OrderSeen([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.seen = []
    model.compile(optimizer="sgd", loss="mse")
    model.fit(ds, epochs=epochs, verbose=0)
    return model.seen


@pytest.mark.parametrize("buffer_size", [40, 8])
def test_a_seeded_shuffle_gives_each_epoch_of_fit_a_new_order_and_a_fresh_run_the_same_ones(buffer_size):
    # reshuffle_each_iteration=True is the default, as in tf.data: the seed fixes the sequence
    # of orders, not one order for every epoch.
    x = np.arange(40, dtype="float32").reshape(-1, 1)

    def pipeline():
        return Dataset.from_tensor_slices((x, x)).shuffle(buffer_size, seed=7).batch(40)  # one batch: one epoch

    first, second = epoch_orders(pipeline(), epochs=2)
    assert sorted(first) == list(range(40)) and sorted(second) == list(range(40))
    assert first != list(range(40)) and first != second
    assert epoch_orders(pipeline(), epochs=2) == [first, second]


def test_two_iterations_of_a_seeded_shuffle_differ_and_repeat_in_a_new_dataset():
    def two_passes():
        ds = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=11)
        return rows(ds), rows(ds)

    first, second = two_passes()
    assert sorted(first) == sorted(second) == list(range(30))
    assert first != second
    assert two_passes() == (first, second)
    assert two_passes() != (second, first)  # the passes are counted: the first pass is always the first order
    other = Dataset.from_tensor_slices(np.arange(30)).shuffle(30, seed=12)
    assert rows(other) != first  # another seed, another order


def test_shuffle_argument_errors():
    with pytest.raises(ValueError, match=r"buffer_size must be a whole number >= 1, got 0"):
        Dataset.from_tensor_slices(np.arange(3)).shuffle(0)
    with pytest.raises(TypeError, match=r"seed must be an int or None, got 1.5"):
        Dataset.from_tensor_slices(np.arange(3)).shuffle(3, seed=1.5)


# ********************************************************** other transformations
def test_map_unpacks_tuples_like_tf_data():
    ds = Dataset.from_tensor_slices((np.arange(4.0), np.arange(4))).map(lambda x, y: (x * 2, y + 1))
    assert [(float(a), int(b)) for a, b in ds] == [(0, 1), (2, 2), (4, 3), (6, 4)]
    single = Dataset.from_tensor_slices(np.arange(3)).map(lambda v: v * 10, num_parallel_calls=AUTOTUNE)
    assert rows(single) == [0, 10, 20] and len(single) == 3
    with pytest.raises(TypeError, match=r"map_func must be callable, got int 3"):
        single.map(3)


def test_map_with_the_wrong_number_of_parameters_says_how_elements_are_passed():
    pairs = Dataset.from_tensor_slices((np.zeros((4, 3)), np.arange(4)))
    with pytest.raises(TypeError, match=r"Dataset\.map: the function <lambda>\(x\) cannot take the elements: each is "
                                        r"tuple of 2 items \(ndarray of shape \(3,\), int64 of shape \(\)\), its 2 "
                                        r"items are passed as 2 separate arguments.*lambda x, y: \.\.\."):
        list(pairs.map(lambda x: x))
    with pytest.raises(TypeError, match=r"<lambda>\(x, y\) cannot take the elements: each is ndarray of shape "
                                        r"\(3,\), not a tuple, so it is passed as one argument"):
        list(Dataset.from_tensor_slices(np.zeros((4, 3))).map(lambda x, y: x))

    def broken(x, y):
        return len(5)  # a TypeError raised inside the function is its own, untouched

    with pytest.raises(TypeError, match=r"object of type 'int' has no len"):
        list(pairs.map(broken))
    assert [int(v) for v in pairs.map(lambda *parts: parts[1])] == [0, 1, 2, 3]


def test_take_skip_repeat_and_their_lengths():
    ds = Dataset.from_tensor_slices(np.arange(5))
    assert rows(ds.take(2)) == [0, 1] and len(ds.take(2)) == 2 and len(ds.take(-1)) == 5
    assert rows(ds.skip(3)) == [3, 4] and len(ds.skip(3)) == 2 and len(ds.skip(9)) == 0
    assert rows(ds.repeat(2)) == [0, 1, 2, 3, 4] * 2 and len(ds.repeat(2)) == 10
    forever = ds.repeat()
    assert forever.cardinality() == INFINITE
    assert rows(forever.take(12)) == [0, 1, 2, 3, 4] * 2 + [0, 1] and len(forever.take(12)) == 12
    with pytest.raises(TypeError, match=r"infinite"):
        len(forever)
    with pytest.raises(ValueError, match=r"Dataset.take: count must be a whole number >= -1, got -2"):
        ds.take(-2)


def test_len_is_unknown_when_the_pipeline_decides_it():
    ds = Dataset.zip((Dataset.from_tensor_slices(np.arange(3)).repeat(), Dataset.from_tensor_slices(np.arange(2))))
    assert len(ds) == 2 and rows(ds) == [[0, 0], [1, 1]]
    unknown = Dataset(lambda: iter([1, 2]), UNKNOWN)
    with pytest.raises(TypeError, match=r"length is unknown"):
        len(unknown)
    assert unknown.take(5).cardinality() == UNKNOWN


@pytest.mark.parametrize("lengths", [(3, 7), (7, 3), (5, 2, 9)])
def test_zip_has_the_length_of_its_shortest_member_and_stops_there(lengths):
    members = [Dataset.from_tensor_slices(np.arange(n) * 10 ** k) for k, n in enumerate(lengths)]
    zipped = Dataset.zip(tuple(members))
    shortest = min(lengths)
    assert len(zipped) == shortest and zipped.cardinality() == shortest
    out = [tuple(int(v) for v in element) for element in zipped]
    assert out == [tuple(i * 10 ** k for k in range(len(lengths))) for i in range(shortest)]
    assert len(zipped.batch(2)) == -(-shortest // 2)
    as_dict = Dataset.zip({f"m{k}": m for k, m in enumerate(members)})
    assert len(as_dict) == shortest and len(list(as_dict)) == shortest


def test_fit_on_a_zip_runs_and_announces_the_shortest_members_steps(capsys):
    x = Dataset.from_tensor_slices(np.arange(12, dtype="float32").reshape(-1, 1)).batch(2)  # 6 batches
    y = Dataset.from_tensor_slices(np.arange(20, dtype="float32").reshape(-1, 1)).batch(2)  # 10 batches
    assert [len(b) for b in epoch_orders(Dataset.zip((x, y)), epochs=2)] == [2] * 12
    model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    capsys.readouterr()
    model.fit(Dataset.zip((x, y)), epochs=1, verbose=2)
    shown = capsys.readouterr().out
    assert "6/6" in shown and "/10" not in shown


def test_zip_of_a_dict_and_bad_arguments():
    zipped = Dataset.zip({"x": Dataset.from_tensor_slices(np.arange(3)),
                          "y": Dataset.from_tensor_slices(-np.arange(3))})
    assert [(int(e["x"]), int(e["y"])) for e in zipped] == [(0, 0), (1, -1), (2, -2)]
    with pytest.raises(TypeError, match=r"expects Datasets .* got \['ndarray'\]"):
        Dataset.zip(np.arange(3))


def test_cache_replays_the_first_complete_pass():
    calls = []

    def record(v):
        calls.append(int(v))
        return v

    ds = Dataset.from_tensor_slices(np.arange(4)).map(record).cache()
    assert rows(ds.take(2)) == [0, 1]  # an unfinished pass is not kept
    assert rows(ds) == [0, 1, 2, 3] and rows(ds) == [0, 1, 2, 3]
    assert calls == [0, 1, 0, 1, 2, 3]


# ****************************************************************** prefetch
def test_prefetch_reads_ahead_on_a_thread_and_keeps_the_order():
    seen = []

    def slow(v):
        seen.append((int(v), threading.current_thread().name))
        return v

    ds = Dataset.from_tensor_slices(np.arange(20)).map(slow).prefetch(3)
    assert rows(ds) == list(range(20)) and len(ds) == 20
    assert {name for _, name in seen} == {"tinyfit-prefetch"}
    assert not prefetch_threads()


def test_prefetch_thread_stops_when_the_iterator_is_closed_or_dropped():
    ds = Dataset.from_tensor_slices(np.arange(1000)).prefetch(2)
    it = iter(ds)
    next(it)
    assert prefetch_threads()
    it.close()
    assert not prefetch_threads()
    it = iter(ds)
    next(it)
    del it
    gc.collect()
    deadline = time.monotonic() + 5
    while prefetch_threads() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not prefetch_threads()


def test_an_error_in_the_producer_reaches_the_consumer():
    def fail_at_three(v):
        if v == 3:
            raise ArithmeticError("element 3 is bad")
        return v

    it = iter(Dataset.from_tensor_slices(np.arange(10)).map(fail_at_three).prefetch(AUTOTUNE))
    assert [int(next(it)) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(ArithmeticError, match="element 3 is bad"):
        next(it)
    assert not prefetch_threads()


def test_repr_describes_the_pipeline():
    ds = Dataset.from_tensor_slices(np.arange(100)).shuffle(10).batch(32)
    assert repr(ds) == "<TensorSliceDataset.shuffle(buffer_size=10).batch(32): 4 elements>"
