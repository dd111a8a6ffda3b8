"""Lesson 09's exercise checks: they wait for an answer, reject typical wrong answers,
and accept the folded reference solutions.

The lesson's code cells run in one namespace (conftest.py), the way a student runs them
top to bottom, leaving out the folded reference solutions.
"""

from pathlib import Path

import numpy as np
import pytest

import tinyfit as keras

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "09_data_pipelines.ipynb"


@pytest.mark.parametrize("check", ["check_shuffled_batches", "check_buffer_shuffle", "check_digits_pydataset"])
def test_a_check_without_an_answer_waits(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("defines", ["def shuffled_batches(", "def buffer_shuffle(", "class DigitsPyDataset("])
def test_the_reference_solutions_pass(run_solution, defines, capsys):
    run_solution(defines)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1
def _no_shuffle(x, y, batch_size, rng, drop_remainder=False):
    stop = len(x) - len(x) % batch_size if drop_remainder else len(x)
    for start in range(0, stop, batch_size):
        yield x[start:start + batch_size], y[start:start + batch_size]


def _off_by_one_drop(x, y, batch_size, rng, drop_remainder=False):
    order = rng.permutation(len(x))
    stop = len(x) - batch_size if drop_remainder else len(x)  # loses a full batch when none is partial
    for start in range(0, stop, batch_size):
        yield x[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _ignores_drop(x, y, batch_size, rng, drop_remainder=False):
    order = rng.permutation(len(x))
    for start in range(0, len(x), batch_size):
        yield x[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _separate_shuffles(x, y, batch_size, rng, drop_remainder=False):
    x_order, y_order = rng.permutation(len(x)), rng.permutation(len(x))
    stop = len(x) - len(x) % batch_size if drop_remainder else len(x)
    for start in range(0, stop, batch_size):
        yield x[x_order[start:start + batch_size]], y[y_order[start:start + batch_size]]


def _same_order_every_epoch(x, y, batch_size, rng, drop_remainder=False):
    order = np.random.default_rng(0).permutation(len(x))  # a fresh generator: the same "shuffle" each time
    stop = len(x) - len(x) % batch_size if drop_remainder else len(x)
    for start in range(0, stop, batch_size):
        yield x[order[start:start + batch_size]], y[order[start:start + batch_size]]


@pytest.mark.parametrize("wrong", [_no_shuffle, _off_by_one_drop, _ignores_drop, _separate_shuffles,
                                   _same_order_every_epoch])
def test_shuffled_batches_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_shuffled_batches"](wrong)


# ---------------------------------------------------------------- exercise 2
def _no_buffer(stream, buffer_size, rng):
    yield from stream


def _full_shuffle(stream, buffer_size, rng):
    items = list(stream)
    yield from (items[i] for i in rng.permutation(len(items)))


def _forgets_the_rest(stream, buffer_size, rng):
    buffer = []
    for element in stream:
        if len(buffer) < buffer_size:
            buffer.append(element)
            continue
        i = rng.integers(buffer_size)
        yield buffer[i]
        buffer[i] = element


def _needs_a_length(stream, buffer_size, rng):
    n = len(stream)
    yield from (stream[i] for i in range(n))


def _half_the_buffer(stream, buffer_size, rng):
    size = max(1, buffer_size // 2)
    buffer = []
    for element in stream:
        if len(buffer) < size:
            buffer.append(element)
            continue
        i = rng.integers(size)
        yield buffer[i]
        buffer[i] = element
    rng.shuffle(buffer)
    yield from buffer


@pytest.mark.parametrize("wrong", [_no_buffer, _full_shuffle, _forgets_the_rest, _needs_a_length,
                                   _half_the_buffer])
def test_buffer_shuffle_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_buffer_shuffle"](wrong)


# ---------------------------------------------------------------- exercise 3
class _Base(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels, self.batch_size = images, labels, batch_size

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, idx):
        pick = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.images[pick].reshape(-1, 784).astype("float32") / 255, self.labels[pick].astype("float32")


class _FloorLength(_Base):
    def __len__(self):
        return len(self.images) // self.batch_size  # drops the last, partial batch


class _OneTooMany(_Base):
    def __len__(self):
        return len(self.images) // self.batch_size + 1  # an empty batch when the size divides


class _NotScaled(_Base):
    def __getitem__(self, idx):
        pick = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.images[pick].reshape(-1, 784).astype("float32"), self.labels[pick].astype("float32")


class _KwargsDropped(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(images, labels, batch_size)


class _NotAPyDataset:
    def __init__(self, images, labels, batch_size, **kwargs):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.workers = kwargs.get("workers", 1)

    def __len__(self):
        return -(-len(self.images) // self.batch_size)

    def __getitem__(self, idx):
        pick = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.images[pick].reshape(-1, 784).astype("float32") / 255, self.labels[pick].astype("float32")


@pytest.mark.parametrize("wrong", [_FloorLength, _OneTooMany, _NotScaled, _KwargsDropped, _NotAPyDataset])
def test_digits_pydataset_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_digits_pydataset"](wrong)


def test_digits_pydataset_check_accepts_a_correct_subclass(ns, capsys):
    ns["check_digits_pydataset"](_Base)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- the lesson's own claims
def test_a_small_buffer_keeps_sorted_data_sorted(ns):
    labels_64, accuracy_64 = ns["results"][64]
    labels_full, accuracy_full = ns["results"][2000]
    assert labels_64 < 4 < 9 < labels_full
    assert accuracy_full > accuracy_64 + 0.2


def test_the_hand_shuffle_buffer_moves_no_element_past_its_buffer(ns):
    out = list(ns["shuffle_buffer"](iter(range(500)), 20, np.random.default_rng(5)))
    assert sorted(out) == list(range(500))
    position = np.empty(500, dtype=int)
    position[np.array(out)] = np.arange(500)
    assert (np.arange(500) - position).max() < 20
