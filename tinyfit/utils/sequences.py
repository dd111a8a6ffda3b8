"""pad_sequences: lists of different lengths made into one rectangular array, as Keras does."""

from __future__ import annotations

from typing import Any, Sequence

import numpy

_SIDES = ("pre", "post")


def pad_sequences(sequences: Sequence[Any], maxlen: int | None = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> numpy.ndarray:
    """Pads (and cuts) sequences to one length, giving an array (num_sequences, maxlen, ...).

    Args:
        sequences: a list of sequences (lists or arrays of numbers, or of equally
            shaped arrays: each sequence's items share one shape).
        maxlen: the length of every row; defaults to the longest sequence.
        dtype: the array's dtype. Defaults to "int32" (token ids); use object
            for strings of any length.
        padding: "pre" (the default) or "post": which end the padding goes on.
        truncating: "pre" (the default) or "post": which end of a longer sequence is cut off.
        value: the padding value. Defaults to 0.

    Returns:
        A NumPy array of shape (len(sequences), maxlen) + the items' shape.

    >>> pad_sequences([[1], [2, 3], [4, 5, 6]])
    array([[0, 0, 1],
           [0, 2, 3],
           [4, 5, 6]], dtype=int32)
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError(f"pad_sequences: sequences must be a list of sequences, got a {type(sequences).__name__}.")
    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"pad_sequences: {name} must be 'pre' or 'post', got {side!r}.")
    lengths, item_shape = [], ()
    for i, sequence in enumerate(sequences):
        if not hasattr(sequence, "__len__"):
            raise ValueError(f"pad_sequences: sequence {i} is a {type(sequence).__name__}, not a sequence; "
                             "pass a list of lists (one list of values per sample).")
        lengths.append(len(sequence))
    first = next((s for s in sequences if len(s)), None)
    if first is not None:
        item_shape = numpy.asarray(first).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    is_text = numpy.issubdtype(numpy.dtype(dtype), numpy.str_)
    if isinstance(value, str) and numpy.dtype(dtype) != object and not is_text:
        raise ValueError(f"pad_sequences: dtype {dtype!r} cannot hold the padding value {value!r}; set "
                         "dtype=object for strings of any length.")
    out = numpy.full((len(sequences), maxlen) + item_shape, value, dtype=dtype)
    for i, sequence in enumerate(sequences):
        if not len(sequence) or not maxlen:
            continue
        kept = sequence[-maxlen:] if truncating == "pre" else sequence[:maxlen]
        kept = numpy.asarray(kept, dtype=dtype)
        if kept.shape[1:] != item_shape:
            raise ValueError(f"pad_sequences: the items of sequence {i} have shape {kept.shape[1:]}, those of "
                             f"the first non-empty sequence {item_shape}; every item must have one shape.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, -len(kept):] = kept
    return out
