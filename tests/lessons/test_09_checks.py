"""Lesson 09's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
answers stubbed; each check is then called with answers a student might write.
"""

import random
from pathlib import Path

import numpy as np
import pytest

import tinyfit as keras

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "09_data_pipelines.ipynb"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


class _StubDataset(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size, **kwargs):
        raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_shuffled_batches", "check_buffer_shuffle", "check_digits_pydataset"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    stub = _StubDataset if check == "check_digits_pydataset" else _stub
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](stub)


@pytest.mark.parametrize("defines", ["def shuffled_batches(", "def buffer_shuffle(", "class DigitsPyDataset("])
def test_the_reference_solutions_pass(run_solution, defines, capsys):
    run_solution(defines)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 1
def _cut(x, y, order, batch_size, drop_remainder):
    stop = len(order) - len(order) % batch_size if drop_remainder else len(order)
    for start in range(0, stop, batch_size):
        yield x[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _no_shuffle(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, np.arange(len(x)), batch_size, drop_remainder)


def _off_by_one_drop(x, y, batch_size, rng, drop_remainder=False):
    order = rng.permutation(len(x))
    stop = len(x) - batch_size if drop_remainder else len(x)  # loses a full batch
    for start in range(0, stop, batch_size):
        yield x[order[start:start + batch_size]], y[order[start:start + batch_size]]


def _ignores_drop(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, rng.permutation(len(x)), batch_size, False)


def _separate_shuffles(x, y, batch_size, rng, drop_remainder=False):
    x_order, y_order = rng.permutation(len(x)), rng.permutation(len(x))
    stop = len(x) - len(x) % batch_size if drop_remainder else len(x)
    for start in range(0, stop, batch_size):
        yield x[x_order[start:start + batch_size]], y[y_order[start:start + batch_size]]


def _own_seed(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, np.random.default_rng(0).permutation(len(x)), batch_size, drop_remainder)


def _global_rng(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, np.random.permutation(len(x)), batch_size, drop_remainder)


def _python_random(x, y, batch_size, rng, drop_remainder=False):
    order = list(range(len(x)))
    random.shuffle(order)
    yield from _cut(x, y, np.array(order), batch_size, drop_remainder)


def _unseeded_generator(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, np.random.default_rng().permutation(len(x)), batch_size, drop_remainder)


def _drops_the_same_samples(x, y, batch_size, rng, drop_remainder=False):
    n = len(x) - len(x) % batch_size if drop_remainder else len(x)  # cut first, shuffle the rest
    yield from _cut(x, y, rng.permutation(n), batch_size, False)


def _batch_order_only(x, y, batch_size, rng, drop_remainder=False):
    full = len(x) // batch_size  # the full batches in a random order, then the short one
    starts = list(rng.permutation(full) * batch_size) + ([] if drop_remainder or full * batch_size == len(x)
                                                          else [full * batch_size])
    for start in starts:
        yield x[start:start + batch_size], y[start:start + batch_size]


def _inside_each_batch_only(x, y, batch_size, rng, drop_remainder=False):
    for pick_x, pick_y in _cut(x, y, np.arange(len(x)), batch_size, drop_remainder):
        order = rng.permutation(len(pick_x))
        yield pick_x[order], pick_y[order]


def _rotated(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x, y, np.roll(np.arange(len(x)), rng.integers(1, len(x))), batch_size, drop_remainder)


def _shuffles_in_place(x, y, batch_size, rng, drop_remainder=False):
    order = rng.permutation(len(x))
    x[:], y[:] = x[order], y[order]  # the caller's arrays, shuffled
    yield from _cut(x, y, np.arange(len(x)), batch_size, drop_remainder)


def _float64(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(np.asarray(x, dtype="float64"), y, rng.permutation(len(x)), batch_size, drop_remainder)


def _flattened(x, y, batch_size, rng, drop_remainder=False):
    yield from _cut(x.reshape(len(x), -1), y, rng.permutation(len(x)), batch_size, drop_remainder)


def _a_batch_too_many(x, y, batch_size, rng, drop_remainder=False):
    batches = list(_cut(x, y, rng.permutation(len(x)), batch_size, drop_remainder))
    yield from batches
    if len(x) % batch_size == 0:
        yield x[:0], y[:0]  # an empty batch when batch_size divides the data


def _library_dataset(x, y, batch_size, rng, drop_remainder=False):
    order = rng.permutation(len(x))
    dataset = keras.data.Dataset.from_tensor_slices((x[order], y[order])).batch(batch_size,
                                                                                  drop_remainder=drop_remainder)
    yield from dataset


WRONG_BATCHES = [_no_shuffle, _off_by_one_drop, _ignores_drop, _separate_shuffles, _own_seed, _global_rng,
                 _python_random, _unseeded_generator, _drops_the_same_samples, _batch_order_only,
                 _inside_each_batch_only, _rotated, _shuffles_in_place, _float64, _flattened, _a_batch_too_many,
                 _library_dataset]


@pytest.mark.parametrize("wrong", WRONG_BATCHES, ids=[f.__name__ for f in WRONG_BATCHES])
def test_shuffled_batches_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_shuffled_batches"](wrong)


@pytest.mark.parametrize("wrong, message", [
    (_global_rng, "global generator"), (_own_seed, "came in the same order"),
    (_drops_the_same_samples, "same .* samples were left out"), (_batch_order_only, "in blocks"), (_inside_each_batch_only, "block of consecutive rows"),
    (_shuffles_in_place, "changed the arrays"), (_separate_shuffles, "separated"), (_library_dataset, "called tinyfit"),
])
def test_shuffled_batches_check_says_what_is_wrong(ns, wrong, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_shuffled_batches"](wrong)


def _shuffle_an_index_array(x, y, batch_size, rng, drop_remainder=False):
    order = np.arange(len(x))
    rng.shuffle(order)
    full = len(x) // batch_size
    count = full + (0 if drop_remainder or len(x) % batch_size == 0 else 1)
    return [(x[order[i * batch_size:(i + 1) * batch_size]], y[order[i * batch_size:(i + 1) * batch_size]])
            for i in range(count)]  # a list of batches, not a generator


def _choice_without_replacement(x, y, batch_size, rng, drop_remainder=False):
    order = rng.choice(len(x), size=len(x), replace=False)
    batches = [order[s:s + batch_size] for s in range(0, len(x), batch_size)]
    if drop_remainder and len(batches[-1]) < batch_size:
        batches.pop()
    for pick in batches:
        yield np.take(x, pick, axis=0), np.take(y, pick, axis=0)


@pytest.mark.parametrize("right", [_shuffle_an_index_array, _choice_without_replacement])
def test_shuffled_batches_check_accepts_other_correct_forms(ns, right, capsys):
    ns["check_shuffled_batches"](right)
    assert "Well done!" in capsys.readouterr().out


# ---------------------------------------------------------------- exercise 2
def _buffer(buffer_size, pick, rest=None, extra=0):
    """A buffer-shuffle family: `pick(rng, buffer)` chooses the index handed out, `rest(rng, buffer)` the end."""
    def shuffle(stream, size, rng):
        buffer = []
        for element in stream:
            if len(buffer) < buffer_size(size) + extra:
                buffer.append(element)
                continue
            if extra:
                buffer.append(element)
            i = pick(rng, buffer)
            yield buffer[i]
            if extra:
                buffer.pop(i)
            else:
                buffer[i] = element
        yield from (rest or (lambda rng, buffer: (rng.shuffle(buffer), buffer)[1]))(rng, buffer)
    return shuffle


_FAIR = lambda rng, buffer: rng.integers(len(buffer))  # noqa: E731
_SAME = lambda size: size  # noqa: E731


def _no_buffer(stream, buffer_size, rng):
    yield from stream


def _full_shuffle(stream, buffer_size, rng):
    items = list(stream)
    yield from (items[i] for i in rng.permutation(len(items)))


def _forgets_the_rest(stream, buffer_size, rng):
    yield from _buffer(_SAME, _FAIR, rest=lambda rng, buffer: [])(stream, buffer_size, rng)


def _needs_a_length(stream, buffer_size, rng):
    n = len(stream)
    yield from (stream[i] for i in range(n))


def _half_the_buffer(stream, buffer_size, rng):
    yield from _buffer(lambda size: max(1, size // 2), _FAIR)(stream, buffer_size, rng)


def _one_too_few(stream, buffer_size, rng):
    yield from _buffer(lambda size: max(1, size - 1), _FAIR)(stream, buffer_size, rng)


def _one_too_many(stream, buffer_size, rng):  # puts the new element in, then picks among buffer_size + 1
    yield from _buffer(_SAME, _FAIR, extra=1)(stream, buffer_size, rng)


def _delayed_identity(stream, buffer_size, rng):  # a queue: the oldest element out
    yield from _buffer(_SAME, lambda rng, buffer: 0, rest=lambda rng, buffer: buffer)(stream, buffer_size, rng)


def _oldest_half(stream, buffer_size, rng):
    yield from _buffer(_SAME, lambda rng, buffer: rng.integers(max(1, len(buffer) // 2)))(stream, buffer_size, rng)


def _block_shuffle(stream, buffer_size, rng):
    block = []
    for element in stream:
        block.append(element)
        if len(block) == buffer_size:
            rng.shuffle(block)
            yield from block
            block = []
    rng.shuffle(block)
    yield from block


def _rest_in_buffer_order(stream, buffer_size, rng):
    yield from _buffer(_SAME, _FAIR, rest=lambda rng, buffer: buffer)(stream, buffer_size, rng)


def _rest_reversed(stream, buffer_size, rng):
    yield from _buffer(_SAME, _FAIR, rest=lambda rng, buffer: buffer[::-1])(stream, buffer_size, rng)


def _rest_shuffled_but_one(stream, buffer_size, rng):
    def rest(rng, buffer):
        head = buffer[:-1]
        rng.shuffle(head)
        return head + buffer[-1:]
    yield from _buffer(_SAME, _FAIR, rest=rest)(stream, buffer_size, rng)


def _global_rng_buffer(stream, buffer_size, rng):
    yield from _buffer(_SAME, lambda _, buffer: np.random.randint(len(buffer)))(stream, buffer_size, rng)


def _global_rng_at_the_end(stream, buffer_size, rng):
    yield from _buffer(_SAME, _FAIR, rest=lambda _, buffer: (np.random.shuffle(buffer), buffer)[1])(
        stream, buffer_size, rng)


def _own_seed_buffer(stream, buffer_size, rng):
    yield from _buffer(_SAME, _FAIR)(stream, buffer_size, np.random.default_rng(0))


def _own_seed_at_the_end(stream, buffer_size, rng):
    own = np.random.default_rng(0)
    yield from _buffer(_SAME, _FAIR, rest=lambda _, buffer: (own.shuffle(buffer), buffer)[1])(
        stream, buffer_size, rng)


def _python_random_buffer(stream, buffer_size, rng):
    yield from _buffer(_SAME, lambda _, buffer: random.randrange(len(buffer)))(stream, buffer_size, rng)


def _fails_on_a_short_stream(stream, buffer_size, rng):
    stream = iter(stream)
    buffer = [next(stream) for _ in range(buffer_size)]  # StopIteration when the stream is shorter
    for element in stream:
        i = rng.integers(buffer_size)
        yield buffer[i]
        buffer[i] = element
    rng.shuffle(buffer)
    yield from buffer


def _nothing_for_a_short_stream(stream, buffer_size, rng):
    buffer, full = [], False
    for element in stream:
        if len(buffer) < buffer_size:
            buffer.append(element)
            continue
        full = True
        i = rng.integers(buffer_size)
        yield buffer[i]
        buffer[i] = element
    if full:
        rng.shuffle(buffer)
        yield from buffer


def _library_shuffle(stream, buffer_size, rng):
    items = list(stream)
    yield from (items[i] for i in keras.data.Dataset.from_tensor_slices(np.arange(len(items))).shuffle(
        buffer_size, seed=int(rng.integers(2**31))))


def _favours_the_first_place(stream, buffer_size, rng):
    # (i + 1) % size: the first place of the list is picked twice as often. Elements move around the list as
    # they are replaced, so the oldest, the newest and the ones between still come out about equally often.
    yield from _buffer(_SAME, lambda rng, buffer: rng.integers(len(buffer) + 1) % len(buffer))(stream, buffer_size, rng)


def _rounded_index(stream, buffer_size, rng):  # round(random * (size - 1)): both ends half as likely
    yield from _buffer(_SAME, lambda rng, buffer: int(round(rng.random() * (len(buffer) - 1))))(stream, buffer_size, rng)


WRONG_BUFFERS = [_favours_the_first_place, _rounded_index, _no_buffer, _full_shuffle, _forgets_the_rest, _needs_a_length, _half_the_buffer, _one_too_few,
                 _one_too_many, _delayed_identity, _oldest_half, _block_shuffle, _rest_in_buffer_order,
                 _rest_reversed, _rest_shuffled_but_one, _global_rng_buffer, _global_rng_at_the_end,
                 _own_seed_buffer, _own_seed_at_the_end, _python_random_buffer, _fails_on_a_short_stream,
                 _nothing_for_a_short_stream, _library_shuffle]


@pytest.mark.parametrize("wrong", WRONG_BUFFERS, ids=[f.__name__ for f in WRONG_BUFFERS])
def test_buffer_shuffle_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_buffer_shuffle"](wrong)


@pytest.mark.parametrize("wrong, message", [
    (_favours_the_first_place, "not all equally likely"), (_block_shuffle, "same chance"), (_delayed_identity, "same chance"), (_one_too_many, "read .* elements"),
    (_full_shuffle, "read .* elements"), (_forgets_the_rest, "exactly once"), (_rest_in_buffer_order, "random order"),
    (_global_rng_buffer, "global generator"), (_own_seed_at_the_end, "random order"),
    (_needs_a_length, "no len"), (_fails_on_a_short_stream, "failed on a generator stream"),
])
def test_buffer_shuffle_check_says_what_is_wrong(ns, wrong, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_buffer_shuffle"](wrong)


def _pop_and_append(stream, buffer_size, rng):
    buffer = []
    for element in stream:
        buffer.append(element)
        if len(buffer) > buffer_size:
            yield buffer.pop(int(rng.integers(buffer_size)))  # one of the full buffer, before the newcomer
    while buffer:
        yield buffer.pop(int(rng.choice(len(buffer))))  # the rest, one random element at a time (as tf.data)


def _hand_out_before_refilling(stream, buffer_size, rng):
    stream = iter(stream)
    buffer = []
    for element in stream:
        buffer.append(element)
        if len(buffer) == buffer_size:
            break
    while True:
        if len(buffer) < buffer_size:
            break
        i = int(rng.random() * len(buffer))
        out = buffer[i]
        buffer[i] = buffer[-1]
        buffer.pop()  # swap with the last, drop the last
        yield out
        try:
            buffer.append(next(stream))
        except StopIteration:
            break
    for i in rng.permutation(len(buffer)):
        yield buffer[i]


@pytest.mark.parametrize("right", [_pop_and_append, _hand_out_before_refilling])
def test_buffer_shuffle_check_accepts_other_correct_forms(ns, right, capsys):
    ns["check_buffer_shuffle"](right)
    assert "Well done!" in capsys.readouterr().out


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
        x, y = super().__getitem__(idx)
        return x * 255, y


class _KwargsDropped(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(images, labels, batch_size)


class _OnlyWorkersPassed(_Base):
    def __init__(self, images, labels, batch_size, workers=1, **kwargs):
        super().__init__(images, labels, batch_size, workers=workers)


class _NotAPyDataset:
    def __init__(self, images, labels, batch_size, **kwargs):
        self.images, self.labels, self.batch_size = images, labels, batch_size
        self.workers = kwargs.get("workers", 1)
        self.max_queue_size = kwargs.get("max_queue_size", 10)

    __len__, __getitem__ = _Base.__len__, _Base.__getitem__


class _NextBatchWhateverAsked(_Base):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.served = 0

    def __getitem__(self, idx):  # hands out batches in order, whatever index is asked for
        batch = super().__getitem__(self.served % len(self))
        self.served += 1
        return batch


class _ConvertsUpFront(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(images.reshape(-1, 784).astype("float32") / 255, labels, batch_size, **kwargs)

    def __getitem__(self, idx):
        pick = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.images[pick], self.labels[pick].astype("float32")


class _LabelsAsGiven(_Base):
    def __getitem__(self, idx):
        x, _ = super().__getitem__(idx)
        return x, self.labels[idx * self.batch_size:(idx + 1) * self.batch_size]


class _Float64Images(_Base):
    def __getitem__(self, idx):
        pick = slice(idx * self.batch_size, (idx + 1) * self.batch_size)
        return self.images[pick].reshape(-1, 784) / 255.0, self.labels[pick].astype("float32")


class _NotFlattened(_Base):
    def __getitem__(self, idx):
        x, y = super().__getitem__(idx)
        return x.reshape(-1, 28, 28), y


class _BatchesOf32(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(images, labels, 32, **kwargs)


class _SharedByTheClass(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        keras.utils.PyDataset.__init__(self, **kwargs)
        type(self).images, type(self).labels, type(self).batch_size = images, labels, batch_size


class _ReshapesTheCallersImages(_Base):
    def __init__(self, images, labels, batch_size, **kwargs):
        images.shape = (len(images), 784)  # reshapes the caller's array itself
        super().__init__(images, labels, batch_size, **kwargs)


class _LabelsShifted(_Base):
    def __getitem__(self, idx):
        x, _ = super().__getitem__(idx)
        return x, self.labels[idx * self.batch_size + 1:(idx + 1) * self.batch_size + 1].astype("float32")


WRONG_DATASETS = [_FloorLength, _OneTooMany, _NotScaled, _KwargsDropped, _OnlyWorkersPassed, _NotAPyDataset,
                  _NextBatchWhateverAsked, _ConvertsUpFront, _LabelsAsGiven, _Float64Images, _NotFlattened,
                  _BatchesOf32, _SharedByTheClass, _ReshapesTheCallersImages, _LabelsShifted]


@pytest.mark.parametrize("wrong", WRONG_DATASETS, ids=[c.__name__ for c in WRONG_DATASETS])
def test_digits_pydataset_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_digits_pydataset"](wrong)


class _ViewsAndReciprocal(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.rows = images.reshape(len(images), -1)  # a view, still uint8
        self.labels, self.size = labels, batch_size

    def __len__(self):
        return (len(self.rows) + self.size - 1) // self.size

    def __getitem__(self, idx):
        start = idx * self.size
        x = self.rows[start:start + self.size].astype(np.float32) * np.float32(1 / 255)
        return [x, np.float32(self.labels[start:start + self.size])]


@pytest.mark.parametrize("right", [_Base, _ViewsAndReciprocal])
def test_digits_pydataset_check_accepts_correct_subclasses(ns, right, capsys):
    ns["check_digits_pydataset"](right)
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
