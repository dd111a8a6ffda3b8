"""normalize: scaling vectors to unit length, as keras.utils.normalize does."""

from __future__ import annotations

from typing import Any

import numpy

from .. import ops


def normalize(x: Any, axis: int = -1, order: int = 2) -> Any:
    """Scales each slice of `x` along `axis` to norm 1 (an L`order` norm).

    A NumPy array gives a NumPy array (an all-zero slice stays zero); anything
    else (a Tensor, a list) goes through `ops.normalize` and gives a Tensor.

    Args:
        x: the array to normalize.
        axis: the axis the vectors lie along. Defaults to -1.
        order: the norm's order: 2 (the default) for the Euclidean length, 1 for the sum of |x|.

    >>> normalize(numpy.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    """
    if not isinstance(x, numpy.ndarray):
        return ops.normalize(x, axis=axis, order=order)
    norm = numpy.atleast_1d(numpy.linalg.norm(x, order, axis))
    norm[norm == 0] = 1
    return x / numpy.expand_dims(norm, axis)
