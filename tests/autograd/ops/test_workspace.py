"""The workspace lends its buffers to a step, and takes them back when the step ends;
outside a step, and for what a step gives away, arrays are never handed out again."""

import threading
import types

import numpy as np
import pytest

from tinyfit.autograd.ops import workspace

BIG = (64, 1024)  # 256 KiB of float32: above MIN_BYTES, so pooled


@pytest.fixture(autouse=True)
def empty_workspace():
    workspace.clear()
    yield
    workspace.clear()


def address(array):
    return array.__array_interface__["data"][0]


def take_in_a_step(shape=BIG, dtype="float32"):
    """One step that takes one array; returns the array's address."""
    with workspace.step():
        return address(workspace.take(np, shape, dtype))


def test_a_buffer_comes_back_after_its_step_and_never_within_it():
    with workspace.step():
        a = workspace.take(np, BIG, "float32")
        b = workspace.take(np, BIG, "float32")
        assert not np.shares_memory(a, b)
        del a  # dropped: still lent to the step until it ends
        c = workspace.take(np, BIG, "float32")
        assert not np.shares_memory(b, c)
    with workspace.step():
        again = [address(workspace.take(np, BIG, "float32")) for _ in range(3)]
    assert address(b) in again and address(c) in again
    assert workspace._store().made == 3  # the second step made none


def test_outside_a_step_arrays_are_fresh_and_never_handed_out_again():
    held = workspace.take(np, BIG, "float32")
    held.fill(7)
    assert workspace.kept_bytes() == 0
    for _ in range(3):
        with workspace.step():
            workspace.take(np, BIG, "float32").fill(-1)
    assert (held == 7).all()


@pytest.mark.parametrize("give_away", [
    lambda a: a,
    lambda a: a.reshape(-1),
    lambda a: a[1:, ::2],
    lambda a: a.T[::2],
    lambda a: np.lib.stride_tricks.as_strided(a, (4, 4), a.strides),
])
def test_a_kept_array_or_view_is_never_lent_again(give_away):
    with workspace.step() as scope:
        a = workspace.take(np, BIG, "float32")
        a.fill(7)
        kept = scope.keep(give_away(a))
    del a
    for _ in range(3):
        with workspace.step():
            workspace.take(np, BIG, "float32").fill(-1)
    assert (kept == 7).all()
    assert workspace._store().made == 2  # the kept buffer left the pool; one new one serves the rest


def test_a_kept_array_is_overwritten_when_keep_does_nothing(monkeypatch):
    # The check above can fail: without keep(), the next step is lent the same memory.
    monkeypatch.setattr(workspace.StepScope, "keep", lambda self, array: array)
    with workspace.step() as scope:
        kept = scope.keep(workspace.take(np, BIG, "float32"))
        kept.fill(7)
    with workspace.step():
        workspace.take(np, BIG, "float32").fill(-1)
    assert (kept == -1).all()


def test_keeping_an_array_that_is_not_the_workspaces_changes_nothing():
    with workspace.step() as scope:
        lent = workspace.take(np, BIG, "float32")
        own = np.ones(BIG, "float32")
        assert scope.keep(own) is own
    assert take_in_a_step() == address(lent)


def test_an_inner_step_joins_the_outer_one():
    with workspace.step():
        with workspace.step():
            inner = workspace.take(np, BIG, "float32")
            inner.fill(3)
        assert workspace.in_step()
        # The outer step may still use what the inner one made: not lent again before it ends.
        workspace.take(np, BIG, "float32").fill(-1)
        assert (inner == 3).all()
    assert not workspace.in_step()
    assert take_in_a_step() in {address(inner), take_in_a_step()}
    assert workspace._store().made == 2


def test_an_exception_still_ends_the_step():
    with pytest.raises(ZeroDivisionError):
        with workspace.step():
            first = address(workspace.take(np, BIG, "float32"))
            1 / 0
    assert not workspace.in_step()
    assert take_in_a_step() == first


def test_another_dtype_or_shape_of_the_same_size_reuses_the_memory():
    first = take_in_a_step()
    with workspace.step():
        b = workspace.take(np, (BIG[0] * BIG[1] * 4,), bool)
        assert b.dtype == np.bool_ and b.shape == (BIG[0] * BIG[1] * 4,)
        assert address(b) == first
        assert b.flags.c_contiguous and b.flags.writeable


def test_zeros_are_zero_even_in_reused_memory():
    with workspace.step():
        workspace.take(np, BIG, "float64").fill(3)
    with workspace.step():
        assert (workspace.zeros(np, BIG, "float64") == 0).all()


def test_small_arrays_are_not_pooled():
    with workspace.step():
        small = workspace.take(np, (4, 4), "float32")
    assert small.shape == (4, 4) and workspace.kept_bytes() == 0


def test_at_most_limit_free_buffers_are_kept_and_lent_ones_stay_intact(monkeypatch):
    monkeypatch.setattr(workspace, "LIMIT", 3)
    with workspace.step():
        held = [workspace.take(np, BIG, "float32") for _ in range(5)]
        for i, array in enumerate(held):
            array.fill(i)
        assert workspace.kept_bytes() == 5 * held[0].nbytes  # all lent: none is handed out twice
        for i, array in enumerate(held):
            assert (array == i).all()
    assert workspace.kept_bytes() == 3 * held[0].nbytes  # back in the pool: the longest unused let go
    with workspace.step():
        [workspace.take(np, BIG, "float32") for _ in range(3)]
    assert workspace._store().made == 5


def test_a_free_buffer_not_taken_for_age_takes_is_let_go(monkeypatch):
    monkeypatch.setattr(workspace, "AGE", 3)
    take_in_a_step((1024, 1024))
    for _ in range(4):  # a much smaller shape, again and again: one buffer
        take_in_a_step()
    take_in_a_step((2048, 1024))  # a new, larger buffer: the old free one goes
    sizes = sorted(entry[0].nbytes for entry in workspace._store().free)
    assert sizes == sorted([BIG[0] * BIG[1] * 4, 2048 * 1024 * 4])


def test_a_free_buffer_up_to_twice_the_size_serves_a_smaller_array():
    first = take_in_a_step((100, 1024))
    with workspace.step():
        smaller = workspace.take(np, (60, 1024), "float32")  # a last, smaller batch
        assert address(smaller) == first and smaller.shape == (60, 1024)
        much_smaller = workspace.take(np, (40, 1024), "float32")  # the buffer is lent: a new one
        assert not np.shares_memory(smaller, much_smaller)
    with workspace.step():
        tiny = workspace.take(np, (19, 1024), "float32")  # less than half of either: a new one
        assert address(tiny) not in {first, address(much_smaller)}
    assert workspace._store().made == 3


def test_the_smallest_free_buffer_that_fits_is_taken():
    with workspace.step():
        workspace.take(np, (190, 1024), "float32")
        middle = address(workspace.take(np, (110, 1024), "float32"))
    assert take_in_a_step((100, 1024)) == middle


def test_each_thread_has_its_own_store_and_steps():
    first = take_in_a_step()
    seen = []

    def other_thread():
        seen.append(workspace.in_step())
        seen.append(take_in_a_step())

    with workspace.step():  # open here: the other thread is outside any step of its own
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert seen[0] is False and seen[1] != first
    assert take_in_a_step() == first


def test_threads_stepping_at_once_never_share_memory():
    results = {}

    def worker(name):
        for i in range(20):
            with workspace.step():
                a = workspace.take(np, BIG, "float32")
                a.fill(name)
                b = workspace.take(np, BIG, "float32")
                b.fill(-name)
                if not ((a == name).all() and (b == -name).all()):
                    results[name] = False
                    return
        results[name] = True

    threads = [threading.Thread(target=worker, args=(n,)) for n in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {1: True, 2: True, 3: True}


def test_another_array_module_makes_its_arrays_itself():
    # CuPy keeps its own memory pool: the workspace keeps nothing for it.
    made = []
    gpu_like = types.SimpleNamespace(__name__="cupy", dtype=np.dtype,
                                     empty=lambda shape, dtype: made.append(shape) or np.empty(shape, dtype))
    with workspace.step():
        array = workspace.take(gpu_like, BIG, "float32")
    assert array.shape == BIG and made == [BIG] and workspace.kept_bytes() == 0


def test_clear_lets_go_but_held_arrays_keep_their_values():
    with workspace.step():
        a = workspace.take(np, BIG, "float32")
        a.fill(5)
        workspace.clear()
    assert workspace.kept_bytes() == 0 and (a == 5).all()
    take_in_a_step()
    assert (a == 5).all()


def test_no_reference_count_is_read():
    import inspect
    assert "getrefcount" not in inspect.getsource(workspace)
