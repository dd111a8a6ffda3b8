"""TextVectorization: Keras 3's documented behaviour, hand-worked examples, and properties.

Keras 3's own TextVectorization needs TensorFlow, which is not installed here, so
the references are its docstring's examples and cases worked out by hand from its
rules (IndexLookup: most frequent first, ties in reverse token order).
"""

import collections
import os
import string

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
from tinyfit import layers
from tinyfit.layers import TextVectorization


def ids(layer, data):
    out = layer(data)
    assert isinstance(out, tinyfit.Tensor)
    return out.numpy()


# ------------------------------------------------------------------ Keras's docstring
def test_keras_docstring_adapt_example():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4)
    layer.adapt(["foo bar", "bar baz", "baz bada boom"])
    out = ids(layer, [["foo qux bar"], ["qux baz"]])
    np.testing.assert_array_equal(out, [[4, 1, 3, 0], [1, 2, 0, 0]])
    assert out.dtype == np.int64
    assert layer.get_vocabulary() == ["", "[UNK]", "baz", "bar", "foo", "boom", "bada"]


def test_keras_docstring_vocabulary_example():
    layer = TextVectorization(max_tokens=5000, output_mode="int", output_sequence_length=4,
                              vocabulary=["earth", "wind", "and", "fire"])
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "and", "fire"]
    np.testing.assert_array_equal(ids(layer, [["earth wind and fire"], ["fire and earth michigan"]]),
                                  [[2, 3, 4, 5], [5, 4, 2, 1]])


# ------------------------------------------------------------------ standardize and split
def test_default_lowercases_strips_punctuation_and_splits_on_runs_of_whitespace():
    layer = TextVectorization(vocabulary=["hello", "world", "its", "me"])
    np.testing.assert_array_equal(ids(layer, ["  Hello,\tWORLD!!  ", "It's me."]), [[2, 3], [4, 5]])


@pytest.mark.parametrize("standardize, expected", [
    ("lower", ["a.b", "c"]), ("strip_punctuation", ["Ab", "C"]), (None, ["A.b", "C"]),
    ("lower_and_strip_punctuation", ["ab", "c"]),
])
def test_each_standardize_choice(standardize, expected):
    layer = TextVectorization(standardize=standardize, split=None)
    layer.adapt(["A.b", "C"])
    assert set(layer.get_vocabulary(include_special_tokens=False)) == set(expected)


def test_every_ascii_punctuation_character_is_stripped_and_nothing_else():
    layer = TextVectorization(split=None)
    layer.adapt([string.punctuation + "x_y é\u00a0"])
    assert layer.get_vocabulary(include_special_tokens=False) == ["xy é\u00a0"]


def test_character_split_keeps_spaces_as_tokens():
    layer = TextVectorization(split="character", standardize=None)
    layer.adapt(["12+345"])
    assert layer.get_vocabulary() == ["", "[UNK]", "5", "4", "3", "2", "1", "+"]
    np.testing.assert_array_equal(ids(layer, ["1 2", "53"]), [[6, 1, 5], [2, 4, 0]])


def test_functions_for_standardize_and_split():
    layer = TextVectorization(standardize=lambda s: np.char.upper(s.astype(str)),
                              split=lambda s: [t.split("-") for t in s])
    layer.adapt(["a-b-b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "B", "A"]
    np.testing.assert_array_equal(ids(layer, ["b-a-c"]), [[2, 3, 1]])


def test_split_none_keeps_the_input_shape():
    layer = TextVectorization(split=None, vocabulary=["x", "y"])
    np.testing.assert_array_equal(ids(layer, np.array([["x", "q"], ["y", "x"]])), [[2, 1], [3, 2]])


def test_inputs_of_shape_batch_by_one_and_single_strings_and_bytes():
    layer = TextVectorization(vocabulary=["a", "b"])
    np.testing.assert_array_equal(ids(layer, np.array([["a b"], ["b"]])), [[2, 3], [3, 0]])
    np.testing.assert_array_equal(ids(layer, "b a"), [3, 2])
    np.testing.assert_array_equal(ids(layer, np.array([b"a", "b a".encode()], dtype=object)), [[2, 0], [3, 2]])


def test_output_sequence_length_pads_with_zero_and_truncates():
    layer = TextVectorization(vocabulary=list("abcde"), output_sequence_length=3)
    np.testing.assert_array_equal(ids(layer, ["a b c d e", "e", ""]), [[2, 3, 4], [6, 0, 0], [0, 0, 0]])


def test_without_a_sequence_length_the_batch_pads_to_its_longest():
    layer = TextVectorization(vocabulary=list("ab"))
    assert ids(layer, ["a", "a b a b"]).shape == (2, 4)


# ------------------------------------------------------------------ vocabulary
def test_adapt_orders_by_count_then_reverse_token_order():
    layer = TextVectorization()
    layer.adapt(["b a c", "a c", "c d e"])  # c: 3, a: 2, then b, d, e once each
    assert layer.get_vocabulary() == ["", "[UNK]", "c", "a", "e", "d", "b"]


def test_max_tokens_counts_the_special_tokens():
    layer = TextVectorization(max_tokens=4)
    layer.adapt(["a a a b b c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    assert layer.vocabulary_size() == 4
    counting = TextVectorization(max_tokens=3, output_mode="count")
    counting.adapt(["a a a b b c"])
    assert counting.get_vocabulary() == ["[UNK]", "a", "b"]


def test_special_tokens_in_the_data_are_not_counted():
    layer = TextVectorization(standardize=None, split=lambda s: [t.split("|") for t in s])
    layer.adapt(["[UNK]|[UNK]|x||"])
    assert layer.get_vocabulary() == ["", "[UNK]", "x"]


def test_adapt_on_batches_equals_adapt_on_all_at_once():
    texts = ["the cat sat", "a dog ran", "the dog sat", "a cat ran", "the end"]
    whole, batched = TextVectorization(), TextVectorization()
    whole.adapt(np.array(texts))
    batched.adapt(tinyfit.data.Dataset.from_tensor_slices((np.array(texts), np.arange(5))).batch(2))
    assert whole.get_vocabulary() == batched.get_vocabulary()
    listed = TextVectorization()
    listed.adapt([texts[:2], texts[2:]])
    assert listed.get_vocabulary() == whole.get_vocabulary()


def test_adapt_again_starts_afresh():
    layer = TextVectorization()
    layer.adapt(["a a b"])
    layer.adapt(["c"])
    assert layer.get_vocabulary() == ["", "[UNK]", "c"]


def test_an_unadapted_layer_maps_everything_to_unknown():
    layer = TextVectorization()
    assert layer.vocabulary_size() == 2
    np.testing.assert_array_equal(ids(layer, ["x y"]), [[1, 1]])


def test_vocabulary_from_a_file(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("earth\nwind\né\n", encoding="utf-8")
    layer = TextVectorization(vocabulary=str(path))
    assert layer.get_vocabulary() == ["", "[UNK]", "earth", "wind", "é"]
    with pytest.raises(ValueError, match="does not exist"):
        TextVectorization(vocabulary=str(tmp_path / "missing.txt"))


def test_set_vocabulary_accepts_leading_special_tokens_only():
    layer = TextVectorization()
    layer.set_vocabulary(["", "[UNK]", "a", "b"])
    assert layer.get_vocabulary() == ["", "[UNK]", "a", "b"]
    assert layer.get_vocabulary(include_special_tokens=False) == ["a", "b"]
    with pytest.raises(ValueError, match="special token '\\[UNK\\]' at index 1"):
        layer.set_vocabulary(["a", "[UNK]"])
    with pytest.raises(ValueError, match="repeats \\['a'\\]"):
        layer.set_vocabulary(["a", "b", "a"])
    with pytest.raises(ValueError, match="larger than max_tokens=3"):
        TextVectorization(max_tokens=3, vocabulary=["a", "b"])


def test_adapt_after_a_given_vocabulary_is_refused():
    layer = TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match="was given its vocabulary"):
        layer.adapt(["b"])


# ------------------------------------------------------------------ other output modes
def test_multi_hot_and_count():
    counting = TextVectorization(output_mode="count", vocabulary=["a", "b"])
    assert counting.get_vocabulary() == ["[UNK]", "a", "b"]
    np.testing.assert_array_equal(ids(counting, ["a b b z z z", "b"]), [[3, 1, 2], [0, 0, 1]])
    hot = TextVectorization(output_mode="multi_hot", vocabulary=["a", "b"], max_tokens=5, pad_to_max_tokens=True)
    out = ids(hot, ["a b b z z z", "b"])
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[1, 1, 1, 0, 0], [0, 0, 1, 0, 0]])


# ------------------------------------------------------------------ bad arguments
@pytest.mark.parametrize("kwargs, match", [
    ({"ngrams": 2}, "ngrams=2"), ({"output_mode": "tf_idf"}, "output_mode='tf_idf'"),
    ({"ragged": True}, "ragged=True"), ({"sparse": True}, "sparse=True"),
])
def test_unsupported_arguments_name_the_choices(kwargs, match):
    with pytest.raises(NotImplementedError, match=match) as info:
        TextVectorization(**kwargs)
    assert "'int', 'multi_hot', 'count'" in str(info.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"standardize": "upper"}, "standardize must be one of 'lower_and_strip_punctuation'"),
    ({"split": "comma"}, "split must be one of 'whitespace', 'character'"),
    ({"output_mode": "ints"}, "output_mode must be one of"),
    ({"max_tokens": 1}, "max_tokens must be an integer greater than 1"),
    ({"output_sequence_length": 0}, "output_sequence_length must be a positive integer"),
    ({"output_mode": "count", "output_sequence_length": 3}, "applies to output_mode='int' only"),
    ({"pad_to_max_tokens": True}, "pad_to_max_tokens=True needs"),
])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TextVectorization(**kwargs)


def test_bad_inputs():
    layer = TextVectorization()
    with pytest.raises(ValueError, match="last axis of size 1; got shape \\(2, 2\\)"):
        layer(np.array([["a", "b"], ["c", "d"]]))
    with pytest.raises(TypeError, match="expected strings, got an array of dtype float64"):
        layer(np.zeros(3))
    with pytest.raises(TypeError, match="expected strings, got int 3"):
        layer(["a", 3])


# ------------------------------------------------------------------ pipelines, config, saving
def test_dataset_map_gives_int64_batches():
    layer = TextVectorization(output_sequence_length=3)
    texts = np.array(["the cat sat", "a dog ran", "the dog"])
    layer.adapt(texts)
    batches = list(tinyfit.data.Dataset.from_tensor_slices(texts).batch(2).map(layer))
    assert [b.shape for b in batches] == [(2, 3), (1, 3)]
    pairs = tinyfit.data.Dataset.from_tensor_slices((texts, np.arange(3))).batch(3).map(lambda x, y: (layer(x), y))
    (x, y), = list(pairs)
    np.testing.assert_array_equal(np.asarray(x), ids(layer, texts))


def test_vectorized_text_trains_an_embedding_model():
    texts = np.array(["good fine great", "bad awful", "great good", "awful bad bad"] * 4)
    labels = np.array([1, 0, 1, 0] * 4)
    layer = TextVectorization(output_sequence_length=4)
    layer.adapt(texts)
    model = tinyfit.Sequential([tinyfit.Input((4,), dtype="int64"), layers.Embedding(layer.vocabulary_size(), 8),
                                layers.GlobalAveragePooling1D(), layers.Dense(2)])
    model.compile(optimizer=tinyfit.optimizers.Adam(0.05),
                  loss=tinyfit.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(layer(texts), labels, epochs=30, verbose=0)
    assert model.evaluate(layer(texts), labels, verbose=0, return_dict=True)["accuracy"] == 1.0


def test_config_round_trip_keeps_the_vocabulary():
    layer = TextVectorization(max_tokens=10, output_sequence_length=5, split="character")
    layer.adapt(["hello there"])
    config = layer.get_config()
    assert config["vocabulary"] == layer.get_vocabulary(include_special_tokens=False)
    assert config["vocabulary_size"] == layer.vocabulary_size()
    again = layers.deserialize(layers.serialize(layer))
    assert again.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(ids(again, ["other"]), ids(layer, ["other"]))


def test_a_function_cannot_be_saved():
    layer = TextVectorization(split=lambda s: [t.split() for t in s])
    with pytest.raises(ValueError, match="a split function cannot be saved"):
        layer.get_config()


def test_model_save_and_load_keep_the_vocabulary(tmp_path):
    layer = TextVectorization(output_sequence_length=4, output_mode="int")
    layer.adapt(["earth wind and fire", "wind and fire", "fire"])
    model = tinyfit.Sequential([layer])
    path = os.path.join(tmp_path, "text.keras")
    model.save(path)
    loaded = tinyfit.models.load_model(path).layers[0]
    assert isinstance(loaded, TextVectorization)
    assert loaded.get_vocabulary() == layer.get_vocabulary()
    np.testing.assert_array_equal(ids(loaded, ["fire and ice"]), ids(layer, ["fire and ice"]))


def test_symbolic_output_shape():
    layer = TextVectorization(output_sequence_length=7)
    assert layer.compute_output_shape((None, 1)) == (None, 7)
    assert TextVectorization(output_mode="count", vocabulary=["a"]).compute_output_shape((None,)) == (None, 2)


# ------------------------------------------------------------------ properties
words = st.text(alphabet="abcxyz", min_size=1, max_size=3)
sentences = st.lists(st.lists(words, max_size=6).map(" ".join), min_size=1, max_size=8)


@settings(max_examples=60, deadline=None)
@given(sentences)
def test_adapt_gives_counts_in_keras_order_and_ids_invert(texts):
    layer = TextVectorization()
    layer.adapt(texts)
    counts = collections.Counter(t for s in texts for t in s.split())
    vocab = layer.get_vocabulary(include_special_tokens=False)
    assert sorted(vocab) == sorted(counts)
    keys = [(counts[t], t) for t in vocab]
    assert keys == sorted(keys, reverse=True)
    out = ids(layer, texts)
    full = layer.get_vocabulary()
    for row, text in zip(out, texts):
        tokens = text.split()
        assert [full[i] for i in row[:len(tokens)]] == tokens
        assert not row[len(tokens):].any()


@settings(max_examples=60, deadline=None)
@given(sentences, st.integers(2, 6), st.integers(1, 5))
def test_max_tokens_and_length_bound_every_output(texts, max_tokens, length):
    layer = TextVectorization(max_tokens=max_tokens, output_sequence_length=length)
    layer.adapt(texts)
    assert layer.vocabulary_size() <= max_tokens
    out = ids(layer, texts + ["unseen words here"])
    assert out.shape == (len(texts) + 1, length)
    assert out.min() >= 0 and out.max() < layer.vocabulary_size()


@settings(max_examples=60, deadline=None)
@given(sentences)
def test_count_rows_sum_to_the_number_of_tokens(texts):
    layer = TextVectorization(output_mode="count", max_tokens=4)
    layer.adapt(texts)
    out = ids(layer, texts)
    np.testing.assert_array_equal(out.sum(axis=1), [len(s.split()) for s in texts])
    hot = TextVectorization(output_mode="multi_hot", vocabulary=layer.get_vocabulary())
    np.testing.assert_array_equal(ids(hot, texts), np.minimum(out, 1))
