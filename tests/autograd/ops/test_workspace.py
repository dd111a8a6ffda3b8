"""The workspace hands an array out again only once nothing refers to it any more."""

import threading
import types

import numpy as np
import pytest

from tinyfit.autograd.ops import workspace

BIG = (64, 1024)  # 256 KiB of float32: above MIN_BYTES, so kept


@pytest.fixture(autouse=True)
def empty_workspace():
    workspace.clear()
    yield
    workspace.clear()


def test_an_array_comes_back_once_released_and_never_while_held():
    a = workspace.take(np, BIG, "float32")
    b = workspace.take(np, BIG, "float32")
    assert not np.shares_memory(a, b)
    address = a.__array_interface__["data"][0]
    del a
    c = workspace.take(np, BIG, "float32")
    assert c.__array_interface__["data"][0] == address
    assert not np.shares_memory(b, c)


@pytest.mark.parametrize("hold", [
    lambda a: a.reshape(-1),
    lambda a: a[1:, ::2],
    lambda a: a.T,
    lambda a: np.lib.stride_tricks.as_strided(a, (4, 4), a.strides),
    lambda a: memoryview(a),
    lambda a: [a],
])
def test_a_view_or_container_keeps_its_memory_out_of_the_workspace(hold):
    a = workspace.take(np, BIG, "float32")
    a.fill(7)
    held = hold(a)
    del a
    for _ in range(3):
        workspace.take(np, BIG, "float32").fill(-1)
    assert (np.asarray(held[0] if isinstance(held, list) else held) == 7).all()


def test_another_dtype_or_shape_of_the_same_size_reuses_the_memory():
    a = workspace.take(np, BIG, "float32")
    address = a.__array_interface__["data"][0]
    del a
    b = workspace.take(np, (BIG[0] * BIG[1] * 4,), bool)
    assert b.dtype == np.bool_ and b.shape == (BIG[0] * BIG[1] * 4,)
    assert b.__array_interface__["data"][0] == address
    assert b.flags.c_contiguous and b.flags.writeable


def test_zeros_are_zero_even_in_reused_memory():
    workspace.take(np, BIG, "float64").fill(3)
    assert (workspace.zeros(np, BIG, "float64") == 0).all()


def test_small_arrays_are_not_kept():
    small = workspace.take(np, (4, 4), "float32")
    assert small.shape == (4, 4) and workspace.kept_bytes() == 0


def test_at_most_limit_arrays_are_tracked_and_held_ones_stay_intact(monkeypatch):
    monkeypatch.setattr(workspace, "LIMIT", 3)
    held = [workspace.take(np, BIG, "float32") for _ in range(5)]
    for i, array in enumerate(held):
        array.fill(i)
    assert workspace.kept_bytes() == 3 * held[0].nbytes
    for i, array in enumerate(held):
        assert (array == i).all()
    # Once released, the tracked ones are handed out again; nothing new is made.
    del held, array
    again = [workspace.take(np, BIG, "float32") for _ in range(3)]
    assert workspace.kept_bytes() == 3 * again[0].nbytes


@pytest.mark.parametrize("hold_first", [False, True])
def test_a_free_buffer_not_taken_for_age_takes_is_let_go_a_held_one_is_not(monkeypatch, hold_first):
    monkeypatch.setattr(workspace, "AGE", 3)
    first = workspace.take(np, (1024, 1024), "float32")
    if not hold_first:
        del first
    for _ in range(4):  # a much smaller shape, taken and released again and again: one buffer
        workspace.take(np, BIG, "float32")
    workspace.take(np, (2048, 1024), "float32")  # a new, larger buffer: the old free one goes
    sizes = sorted(entry[0].nbytes for entry in workspace._store().kept)
    expected = [BIG[0] * BIG[1] * 4, 2048 * 1024 * 4]
    assert sizes == sorted(expected + ([1024 * 1024 * 4] if hold_first else []))


def test_a_free_buffer_up_to_twice_the_size_serves_a_smaller_array():
    a = workspace.take(np, (100, 1024), "float32")
    address = a.__array_interface__["data"][0]
    del a
    smaller = workspace.take(np, (60, 1024), "float32")  # a last, smaller batch
    assert smaller.__array_interface__["data"][0] == address and smaller.shape == (60, 1024)
    much_smaller = workspace.take(np, (40, 1024), "float32")  # the buffer is in use: a new one
    assert not np.shares_memory(smaller, much_smaller)
    del smaller, much_smaller
    tiny = workspace.take(np, (19, 1024), "float32")  # less than half of either: a new one
    assert all(tiny.__array_interface__["data"][0] != entry[0].__array_interface__["data"][0]
               for entry in workspace._store().kept[:2])
    assert len(workspace._store().kept) == 3


def test_the_smallest_free_buffer_that_fits_is_taken():
    big, middle = workspace.take(np, (190, 1024), "float32"), workspace.take(np, (110, 1024), "float32")
    address = middle.__array_interface__["data"][0]
    del big, middle
    assert workspace.take(np, (100, 1024), "float32").__array_interface__["data"][0] == address


def test_each_thread_has_its_own_store():
    a = workspace.take(np, BIG, "float32")
    address = a.__array_interface__["data"][0]
    del a
    seen = []
    thread = threading.Thread(target=lambda: seen.append(workspace.take(np, BIG, "float32")))
    thread.start()
    thread.join()
    assert seen[0].__array_interface__["data"][0] != address
    assert workspace.take(np, BIG, "float32").__array_interface__["data"][0] == address


def test_another_array_module_makes_its_arrays_itself():
    # CuPy keeps its own memory pool: the workspace keeps nothing for it.
    made = []
    gpu_like = types.SimpleNamespace(__name__="cupy", dtype=np.dtype,
                                     empty=lambda shape, dtype: made.append(shape) or np.empty(shape, dtype))
    array = workspace.take(gpu_like, BIG, "float32")
    assert array.shape == BIG and made == [BIG] and workspace.kept_bytes() == 0


def test_clear_lets_go_but_held_arrays_keep_their_values():
    a = workspace.take(np, BIG, "float32")
    a.fill(5)
    workspace.clear()
    assert workspace.kept_bytes() == 0 and (a == 5).all()
