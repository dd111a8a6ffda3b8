"""Synthetic sequence tasks, made on the spot and seeded: addition, copying and sorting.

Each returns NumPy int64 arrays of token ids ready for an `Embedding`; id 0 is
padding everywhere, so `Embedding(..., mask_zero=True)` masks it.

>>> from tinyfit.datasets import sequence_tasks
>>> x, y, vocabulary = sequence_tasks.addition(2, digits=2, seed=1)
>>> sequence_tasks.decode(x, vocabulary), sequence_tasks.decode(y, vocabulary)
(['5+90', '8+23'], ['95', '31'])
"""

from __future__ import annotations

import numpy

# " " first: it pads questions and answers, and takes id 0.
ADDITION_VOCABULARY = (" ", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "+")


def addition(num_samples: int = 10000, digits: int = 3, reverse: bool = False,
             seed: int | None = 0) -> tuple[numpy.ndarray, numpy.ndarray, list[str]]:
    """Questions "a+b" and answers "a+b's sum" as characters, as in Keras's addition example.

    Each number has 1 to `digits` digits (its length drawn first, then its digits, so
    short numbers are as common as long ones); no question is asked twice, a+b and
    b+a counting as the same. Questions are padded with spaces on the right to
    2 * digits + 1 characters, answers to digits + 1.

    Args:
        num_samples: how many questions.
        digits: the most digits a number has.
        reverse: reverse each question's characters (padding included), the
            example's trick that puts the low digits, which the sum starts from, last.
        seed: seeds the draws (None: different each call).

    Returns:
        `(x, y, vocabulary)`: x int64 of shape (num_samples, 2 * digits + 1), y int64
        of shape (num_samples, digits + 1), and the vocabulary, the characters in id
        order: `vocabulary[0]` is the padding " ", then "0" to "9", then "+".
    """
    _check_positive(num_samples=num_samples, digits=digits)
    pairs_possible = (10 ** digits) * (10 ** digits + 1) // 2
    if num_samples > pairs_possible:
        raise ValueError(f"addition: there are only {pairs_possible} different questions with digits={digits}, "
                         f"fewer than num_samples={num_samples}; ask for fewer or raise digits.")
    rng = numpy.random.default_rng(seed)
    seen: set[tuple[int, int]] = set()
    questions, answers = [], []
    while len(questions) < num_samples:
        a, b = _number(rng, digits), _number(rng, digits)
        if (min(a, b), max(a, b)) in seen:
            continue
        seen.add((min(a, b), max(a, b)))
        question = f"{a}+{b}".ljust(2 * digits + 1)
        questions.append(question[::-1] if reverse else question)
        answers.append(str(a + b).ljust(digits + 1))
    vocabulary = list(ADDITION_VOCABULARY)
    return encode(questions, vocabulary), encode(answers, vocabulary), vocabulary


def copying(num_samples: int = 10000, length: int = 10, vocabulary_size: int = 10,
            seed: int | None = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Random sequences whose target is themselves: a model must carry every token through.

    Returns:
        `(x, y)`: int64 arrays of shape (num_samples, length), equal, with tokens
        drawn uniformly from 1 to vocabulary_size - 1 (0 is left for padding).
    """
    x = _tokens(num_samples, length, vocabulary_size, seed)
    return x, x.copy()


def sorting(num_samples: int = 10000, length: int = 10, vocabulary_size: int = 10,
            seed: int | None = 0) -> tuple[numpy.ndarray, numpy.ndarray]:
    """Random sequences whose target is the same tokens in ascending order.

    Returns:
        `(x, y)`: int64 arrays of shape (num_samples, length), tokens drawn uniformly
        from 1 to vocabulary_size - 1 (0 is left for padding); each row of y is the
        sorted row of x.
    """
    x = _tokens(num_samples, length, vocabulary_size, seed)
    return x, numpy.sort(x, axis=1)


def encode(strings: list[str], vocabulary: list[str]) -> numpy.ndarray:
    """Character ids of equally long strings, as an int64 array of shape (len(strings), length)."""
    index = {c: i for i, c in enumerate(vocabulary)}
    try:
        return numpy.array([[index[c] for c in s] for s in strings], dtype=numpy.int64)
    except KeyError as exc:
        raise ValueError(f"encode: the character {exc.args[0]!r} is not in the vocabulary {vocabulary}.") from None


def decode(ids: numpy.ndarray, vocabulary: list[str]) -> list[str]:
    """The strings that rows of character ids spell, padding (id 0) dropped."""
    rows = numpy.asarray(ids)
    return ["".join(vocabulary[i] for i in row if i != 0) for row in rows.reshape(-1, rows.shape[-1])]


def _number(rng: numpy.random.Generator, digits: int) -> int:
    length = int(rng.integers(1, digits + 1))
    return int("".join(str(d) for d in rng.integers(0, 10, size=length)))


def _tokens(num_samples: int, length: int, vocabulary_size: int, seed: int | None) -> numpy.ndarray:
    _check_positive(num_samples=num_samples, length=length)
    if isinstance(vocabulary_size, bool) or not isinstance(vocabulary_size, int) or vocabulary_size < 2:
        raise ValueError(f"vocabulary_size must be an integer of at least 2 (id 0 is padding), got {vocabulary_size!r}.")
    rng = numpy.random.default_rng(seed)
    return rng.integers(1, vocabulary_size, size=(num_samples, length)).astype(numpy.int64)


def _check_positive(**values: int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
