"""The workspace hands kept arrays back out by shape and dtype, and keeps only a few."""

import threading

import numpy as np

from tinyfit.autograd.ops import workspace


def test_a_given_array_is_taken_again_for_the_same_shape_and_dtype_only():
    a = workspace.take(np, (3, 4), "float32")
    workspace.give(np, a)
    assert workspace.take(np, (3, 5), "float32") is not a
    assert workspace.take(np, (3, 4), "float64") is not a
    assert workspace.take(np, (3, 4), np.float32) is a
    assert workspace.take(np, (3, 4), "float32") is not a  # taken: it is no longer kept


def test_only_the_newest_few_are_kept():
    arrays = [np.empty((i + 1,)) for i in range(20)]
    for array in arrays:
        workspace.give(np, array)
    assert workspace.take(np, (20,), "float64") is arrays[-1]
    assert workspace.take(np, (1,), "float64") is not arrays[0]


def test_each_thread_has_its_own_store():
    a = np.empty((7, 7))
    workspace.give(np, a)
    seen = []
    thread = threading.Thread(target=lambda: seen.append(workspace.take(np, (7, 7), "float64")))
    thread.start()
    thread.join()
    assert seen[0] is not a and workspace.take(np, (7, 7), "float64") is a
