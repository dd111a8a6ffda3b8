"""keras.utils's data helpers: pad_sequences and normalize against real Keras 3, timeseries windows and
split_dataset from Keras's documented examples, packing batches, is_keras_tensor, clear_session.

Keras 3 (numpy backend) runs once, in a subprocess; skipped, saying why, where it cannot be imported.
"""

import textwrap

import numpy as np
import pytest

import tinyfit
from tinyfit import utils

SEQUENCES = [[1], [2, 3], [4, 5, 6], [], [7, 8, 9, 10, 11]]
PAD_CASES = {
    "defaults": {},
    "post": {"padding": "post"},
    "maxlen 3 pre": {"maxlen": 3},
    "maxlen 3 truncating post": {"maxlen": 3, "truncating": "post"},
    "maxlen 4 post post": {"maxlen": 4, "padding": "post", "truncating": "post"},
    "value -1": {"value": -1, "maxlen": 6},
    "float": {"dtype": "float32", "value": 0.5},
}
# (Keras 3.15 turns axis=0 into -1 before dividing, and fails; axis=0 is checked against NumPy below.)
NORMALIZE_CASES = {"l2 last": (-1, 2), "l1 last": (-1, 1), "l2 middle": (1, 2), "l3": (-1, 3)}


def normalize_input():
    x = np.random.default_rng(0).normal(size=(3, 4, 2))
    x[0, 1] = 0.0  # a zero vector stays zero
    return x


KERAS_SCRIPT = textwrap.dedent("""
    import json, sys, warnings
    warnings.simplefilter("ignore")
    sys.path.insert(0, sys.argv[1])
    import keras
    print("keras imported", flush=True)
    import numpy as np
    from test_keras_utils import NORMALIZE_CASES, PAD_CASES, SEQUENCES, normalize_input
    out = {"pad": {}, "normalize": {}}
    for name, kwargs in PAD_CASES.items():
        array = keras.utils.pad_sequences(SEQUENCES, **kwargs)
        out["pad"][name] = [array.tolist(), str(array.dtype)]
    vectors = [[[1, 2], [3, 4]], [[5, 6]]]
    array = keras.utils.pad_sequences(vectors, maxlen=3, padding="post")
    out["pad"]["vectors"] = [array.tolist(), str(array.dtype)]
    for name, (axis, order) in NORMALIZE_CASES.items():
        out["normalize"][name] = keras.utils.normalize(normalize_input(), axis=axis, order=order).tolist()
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def keras_values(keras_in_subprocess):
    return keras_in_subprocess(KERAS_SCRIPT, __file__)


# ****************************************************************** pad_sequences
@pytest.mark.parametrize("name", sorted(PAD_CASES))
def test_pad_sequences_matches_keras(keras_values, name):
    array = utils.pad_sequences(SEQUENCES, **PAD_CASES[name])
    expected, dtype = keras_values["pad"][name]
    assert str(array.dtype) == dtype
    np.testing.assert_array_equal(array, expected)


def test_pad_sequences_of_vectors_matches_keras(keras_values):
    array = utils.pad_sequences([[[1, 2], [3, 4]], [[5, 6]]], maxlen=3, padding="post")
    expected, dtype = keras_values["pad"]["vectors"]
    assert array.shape == (2, 3, 2) and str(array.dtype) == dtype
    np.testing.assert_array_equal(array, expected)


def test_pad_sequences_keras_s_documented_example_and_strings():
    np.testing.assert_array_equal(utils.pad_sequences([[1], [2, 3], [4, 5, 6]]), [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(utils.pad_sequences([[1], [2, 3], [4, 5, 6]], value=-1),
                                  [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    words = utils.pad_sequences([["a", "bb"], ["ccc"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "bb"], ["<pad>", "ccc"]]


def test_pad_sequences_bad_input_names_the_fix():
    with pytest.raises(ValueError, match="padding must be 'pre' or 'post', got 'left'"):
        utils.pad_sequences([[1]], padding="left")
    with pytest.raises(ValueError, match="truncating must be 'pre' or 'post'"):
        utils.pad_sequences([[1]], truncating="middle")
    with pytest.raises(ValueError, match="set dtype=object"):
        utils.pad_sequences([["a"]], value="<pad>")
    with pytest.raises(ValueError, match="sequence 1 is a int, not a sequence"):
        utils.pad_sequences([[1], 2])
    with pytest.raises(ValueError, match=r"items of sequence 1 have shape \(3,\)"):
        utils.pad_sequences([[[1, 2]], [[1, 2, 3]]])


# ****************************************************************** normalize
@pytest.mark.parametrize("name", sorted(NORMALIZE_CASES))
def test_normalize_matches_keras(keras_values, name):
    axis, order = NORMALIZE_CASES[name]
    result = utils.normalize(normalize_input(), axis=axis, order=order)
    assert isinstance(result, np.ndarray)
    np.testing.assert_allclose(result, keras_values["normalize"][name], rtol=1e-12)


def test_normalize_along_the_first_axis():
    x = normalize_input()
    norm = np.abs(x).sum(axis=0, keepdims=True)
    np.testing.assert_allclose(utils.normalize(x, axis=0, order=1), x / norm, rtol=1e-12)


def test_normalize_of_a_tensor_gives_a_tensor_with_gradients():
    x = tinyfit.Variable(np.array([[3.0, 4.0]], dtype="float32"))
    y = utils.normalize(x)
    assert isinstance(y, tinyfit.Tensor)
    np.testing.assert_allclose(y.numpy(), [[0.6, 0.8]], rtol=1e-6)


# ****************************************************************** timeseries
def windows_of(dataset):
    return [np.asarray(batch) for batch in dataset]


def test_timeseries_keras_example_sampling_rate():
    # Keras's docstring: data 0..99, sequence_length=10, sampling_rate=2.
    data = np.arange(100)
    batches = windows_of(utils.timeseries_dataset_from_array(data, None, sequence_length=10, sampling_rate=2))
    first = batches[0]
    np.testing.assert_array_equal(first[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(first[1], np.arange(1, 21, 2))
    assert sum(len(b) for b in batches) == 100 - 9 * 2 and len(first) == 82


def test_timeseries_keras_example_targets_ten_steps_ahead():
    # Keras's docstring: windows of 10 steps, each targeting the step after it.
    data = np.arange(100)
    dataset = utils.timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(dataset))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    assert isinstance(dataset, tinyfit.data.Dataset) and len(dataset) == 1


def test_timeseries_stride_batches_and_indices():
    data = np.arange(50).reshape(25, 2).astype("float32")
    targets = np.arange(25) * 10
    dataset = utils.timeseries_dataset_from_array(data, targets, sequence_length=3, sequence_stride=4,
                                                  sampling_rate=2, batch_size=2, start_index=2, end_index=20)
    batches = list(dataset)
    starts = [s for x, _ in batches for s in x[:, 0, 0] / 2]
    assert starts == [2, 6, 10, 14]  # windows of steps 2+p, 4+p, 6+p for p = 0, 4, 8, 12 (6+12 < 20)
    x, y = batches[0]
    assert x.shape == (2, 3, 2) and y.tolist() == [20, 60]
    np.testing.assert_array_equal(x[1, :, 0], [12, 16, 20])
    assert len(dataset) == len(batches) == 2


def test_timeseries_unbatched_and_shuffled_reproducibly():
    data = np.arange(30)
    single = list(utils.timeseries_dataset_from_array(data, None, sequence_length=4, batch_size=None))
    assert len(single) == 27 and single[3].tolist() == [3, 4, 5, 6]
    a = [b.tolist() for b in utils.timeseries_dataset_from_array(data, None, 4, batch_size=5, shuffle=True, seed=1)]
    b = [b.tolist() for b in utils.timeseries_dataset_from_array(data, None, 4, batch_size=5, shuffle=True, seed=1)]
    assert a == b and a != [w.tolist() for w in utils.timeseries_dataset_from_array(data, None, 4, batch_size=5)]
    assert sorted(w[0] for batch in a for w in batch) == list(range(27))


def test_timeseries_fits_a_model():
    data = np.sin(np.arange(200) / 5).astype("float32")[:, None]
    dataset = utils.timeseries_dataset_from_array(data[:-5], data[5:], sequence_length=5, batch_size=32)
    model = tinyfit.Sequential([tinyfit.Input((5, 1)), tinyfit.layers.Flatten(), tinyfit.layers.Dense(1)])
    model.compile(optimizer="adam", loss="mse")
    model.fit(dataset, epochs=1, verbose=0)


def test_timeseries_bad_arguments_name_them():
    with pytest.raises(ValueError, match="sampling_rate must be an int > 0, got sampling_rate=0"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, sampling_rate=0)
    with pytest.raises(ValueError, match="start_index must be in \\[0, 10\\)"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, start_index=10)
    with pytest.raises(ValueError, match="end_index must be above start_index"):
        utils.timeseries_dataset_from_array(np.arange(10), None, 3, start_index=5, end_index=4)


# ****************************************************************** split_dataset
def test_split_dataset_keras_example():
    data = np.random.default_rng(0).random((1000, 4))
    left, right = utils.split_dataset(data, left_size=0.8)
    assert len(left) == 800 and len(right) == 200
    np.testing.assert_array_equal(np.stack(list(right)), data[800:])


def test_split_dataset_tuples_counts_shuffle_and_datasets():
    x, y = np.arange(10), np.arange(10) * 2
    left, right = utils.split_dataset((x, y), right_size=3, shuffle=True, seed=0)
    rows = list(left) + list(right)
    assert len(list(left)) == 7 and sorted(int(a) for a, _ in rows) == list(range(10))
    assert all(b == 2 * a for a, b in rows)
    again, _ = utils.split_dataset((x, y), right_size=3, shuffle=True, seed=0)
    assert [int(a) for a, _ in again] == [int(a) for a, _ in left]
    first, second = utils.split_dataset(tinyfit.data.Dataset.from_tensor_slices(x), left_size=4, right_size=2)
    assert [int(v) for v in first] == [0, 1, 2, 3] and [int(v) for v in second] == [4, 5]


def test_split_dataset_bad_sizes_say_what_fits():
    with pytest.raises(ValueError, match="give left_size or right_size"):
        utils.split_dataset(np.arange(10))
    with pytest.raises(ValueError, match="left_size=1.5 must be a fraction between 0 and 1"):
        utils.split_dataset(np.arange(10), left_size=1.5)
    with pytest.raises(ValueError, match="ask for 6 \\+ 6 elements; the dataset has 10"):
        utils.split_dataset(np.arange(10), left_size=6, right_size=6)


# ****************************************************************** batches, symbolic tensors, session
def test_pack_and_unpack_are_inverses_as_in_keras():
    x, y, w = np.ones((2, 3)), np.zeros(2), np.ones(2)
    assert utils.pack_x_y_sample_weight(x) is x
    assert utils.pack_x_y_sample_weight([x, x]) == ([x, x],)  # a list of inputs is not read as (x, y)
    assert utils.pack_x_y_sample_weight(x, y) == (x, y)
    assert utils.pack_x_y_sample_weight(x, y, w) == (x, y, w)
    for packed in (utils.pack_x_y_sample_weight(x, y, w), utils.pack_x_y_sample_weight(x, y)):
        unpacked = utils.unpack_x_y_sample_weight(packed)
        assert unpacked[0] is x and unpacked[1] is y
    assert utils.unpack_x_y_sample_weight(utils.pack_x_y_sample_weight([x, x]))[0] == [x, x]


def test_is_keras_tensor():
    inputs = tinyfit.Input((3,))
    assert utils.is_keras_tensor(inputs)
    assert utils.is_keras_tensor(tinyfit.layers.Dense(2)(inputs))
    assert not utils.is_keras_tensor(tinyfit.ops.ones((2, 3)))
    assert not utils.is_keras_tensor(np.ones(3))


def test_clear_session_starts_the_layer_names_again():
    utils.clear_session()
    first = [tinyfit.layers.Dense(1).name, tinyfit.layers.Dense(1).name]
    utils.clear_session()
    assert [tinyfit.layers.Dense(1).name, tinyfit.layers.Dense(1).name] == first == ["dense", "dense_1"]
    utils.clear_session(free_memory=False)
    assert tinyfit.layers.Dense(1).name == "dense"
