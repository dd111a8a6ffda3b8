"""The synthetic sequence tasks: shapes, contents checked by decoding, seeds, bad arguments."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit.datasets import sequence_tasks


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200), st.integers(1, 4), st.booleans(), st.integers(0, 2**31))
def test_addition_questions_add_up(n, digits, reverse, seed):
    n = min(n, 10 ** digits)
    x, y, vocabulary = sequence_tasks.addition(n, digits=digits, reverse=reverse, seed=seed)
    assert x.shape == (n, 2 * digits + 1) and y.shape == (n, digits + 1)
    assert x.dtype == y.dtype == np.int64
    assert vocabulary[0] == " " and len(vocabulary) == 12
    questions = sequence_tasks.decode(x[:, ::-1] if reverse else x, vocabulary)
    pairs = set()
    for question, answer in zip(questions, sequence_tasks.decode(y, vocabulary)):
        a, b = question.split("+")
        assert 1 <= len(a) <= digits and 1 <= len(b) <= digits
        assert int(answer) == int(a) + int(b)
        pairs.add((min(int(a), int(b)), max(int(a), int(b))))
    assert len(pairs) == n  # no question twice, a+b and b+a being one


def test_addition_pads_with_spaces_on_the_right():
    x, y, vocabulary = sequence_tasks.addition(50, digits=3, seed=3)
    text = ["".join(vocabulary[i] for i in row) for row in x]
    assert all(t == t.rstrip().ljust(7) and not t.startswith(" ") for t in text)
    answers = ["".join(vocabulary[i] for i in row) for row in y]
    assert all(a == a.rstrip().ljust(4) for a in answers)


def test_addition_reverse_reverses_the_whole_padded_question():
    x, _, _ = sequence_tasks.addition(20, seed=5)
    flipped, _, _ = sequence_tasks.addition(20, seed=5, reverse=True)
    np.testing.assert_array_equal(flipped, x[:, ::-1])


def test_seeds_repeat_and_differ():
    a, b = sequence_tasks.addition(30, seed=1), sequence_tasks.addition(30, seed=1)
    np.testing.assert_array_equal(a[0], b[0])
    assert not np.array_equal(a[0], sequence_tasks.addition(30, seed=2)[0])
    np.testing.assert_array_equal(sequence_tasks.sorting(5, seed=4)[0], sequence_tasks.copying(5, seed=4)[0])


@pytest.mark.parametrize("task", [sequence_tasks.copying, sequence_tasks.sorting])
def test_copying_and_sorting(task):
    x, y = task(300, length=7, vocabulary_size=5, seed=0)
    assert x.shape == y.shape == (300, 7) and x.dtype == y.dtype == np.int64
    assert x.min() == 1 and x.max() == 4  # 0 stays free for padding
    expected = x if task is sequence_tasks.copying else np.sort(x, axis=1)
    np.testing.assert_array_equal(y, expected)
    assert (np.diff(y, axis=1) >= 0).all() or task is sequence_tasks.copying


def test_encode_and_decode():
    vocabulary = list(sequence_tasks.ADDITION_VOCABULARY)
    ids = sequence_tasks.encode(["1+2 ", "10+9"], vocabulary)
    assert ids.tolist() == [[2, 11, 3, 0], [2, 1, 11, 10]]
    assert sequence_tasks.decode(ids, vocabulary) == ["1+2", "10+9"]
    with pytest.raises(ValueError, match="'x' is not in the vocabulary"):
        sequence_tasks.encode(["1x"], vocabulary)


@pytest.mark.parametrize("call, match", [
    (lambda: sequence_tasks.addition(0), "num_samples must be a positive integer"),
    (lambda: sequence_tasks.addition(10, digits=0), "digits must be a positive integer"),
    (lambda: sequence_tasks.addition(56, digits=1), "only 55 different questions"),
    (lambda: sequence_tasks.copying(3, length=0), "length must be a positive integer"),
    (lambda: sequence_tasks.sorting(3, vocabulary_size=1), "vocabulary_size must be an integer of at least 2"),
])
def test_bad_arguments(call, match):
    with pytest.raises(ValueError, match=match):
        call()
