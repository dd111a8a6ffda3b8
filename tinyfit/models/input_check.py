"""Matching data to a model's inputs, with errors that say what was expected.

A model with inputs named "img_input" and "ts_input" accepts its data as a list
in that order, or as a dict keyed by those names. Before anything is computed,
each array's shape is compared with its input's: the batch axis may have any
size, every other axis must match. A student who passes images of shape
(64, 28, 28) to a model expecting (None, 784), or one sample of shape (784,)
without its batch axis, learns so here, in terms of the model, instead of from
a matmul deep inside.

`check_input_data(model, x)` is what fit/evaluate/predict call on a batch.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

import numpy


def check_input_data(model: Any, x: Any, caller: str | None = None) -> None:
    """Raises a ValueError when `x` does not fit the inputs of `model`.

    Checks the number of inputs, dict keys against input names, each array's
    shape against its input's (any batch size), and that all inputs have the
    same batch size. Models whose inputs are not known yet (subclassed models,
    Sequential models without an input shape) accept anything.

    Args:
        model: a tinyfit Model.
        x: what would be passed as `model(x)`: an array, a list/tuple of arrays,
            or a dict of arrays keyed by input name (NumPy, CuPy or Tensors).
        caller: prefixes the message ("fit", "predict", ...).
    """
    graph = getattr(model, "_graph", None)
    if graph is not None:
        match_inputs(model.name, graph.input_names, graph.input_shapes, x, caller)


def match_inputs(model_name: str, names: Sequence[str], shapes: Sequence[tuple], data: Any,
                 caller: str | None = None) -> list[Any]:
    """The values of `data` in the order of the inputs, each checked against its shape.

    Args:
        model_name: for the messages.
        names: the inputs' names, in order.
        shapes: the inputs' shapes, None for any size (the batch axis always).
        data: an array, a list/tuple (by position) or a dict (by name).
    """
    if len(names) == 1 and hasattr(data, "shape") and _fits(tuple(shapes[0]), tuple(data.shape)):
        return [data]  # the usual call: one input, of a fitting shape (nothing to report)
    where = f"{caller}: " if caller else ""
    where += f"Model {model_name!r}"
    values = _by_input(where, list(names), data)
    for name, shape, value in zip(names, shapes, values):
        _check_shape(where, name, tuple(shape), _shape_of(value))
    _check_batch_sizes(where, names, values)
    return values


def _by_input(where: str, names: list[str], data: Any) -> list[Any]:
    n = len(names)
    if isinstance(data, dict):
        missing = [name for name in names if name not in data]
        if missing:
            raise ValueError(
                f"{where}: the data dict has keys {list(data)}, but the model's inputs are named {names}; "
                f"no data for {missing}. Key the dict by input name."
            )
        return [data[name] for name in names]
    if isinstance(data, (list, tuple)) and (n > 1 or _is_list_of_arrays(data)):
        if len(data) != n:
            raise ValueError(
                f"{where}: got a list of {len(data)} arrays for a model with {n} input(s) {names}. "
                "Pass one array per input, in this order, or a dict keyed by input name."
            )
        return list(data)
    if n != 1:
        raise ValueError(
            f"{where}: the model has {n} inputs {names} but got a single array. Pass a list of {n} "
            "arrays in this order, or a dict keyed by input name."
        )
    return [data]


def _is_list_of_arrays(data: Sequence[Any]) -> bool:
    return len(data) > 0 and all(hasattr(v, "shape") for v in data)


def _shape_of(value: Any) -> tuple:
    if hasattr(value, "shape"):
        return tuple(value.shape)
    return numpy.shape(value)


def _check_shape(where: str, name: str, expected: tuple, got: tuple) -> None:
    if _fits(expected, got):
        return
    message = f"{where}: input {name!r} expects shape {_show(expected)} but got data of shape {got}"
    if len(got) == len(expected) - 1:
        if _fits(expected[1:], got):
            raise ValueError(
                f"{message}: that is one sample without its batch axis. Add the batch axis: "
                f"{_add_batch_axis(expected)}."
            )
        if expected[-1] == 1 and _fits(expected[:-1], got):
            # Grayscale images and single signals usually arrive without the channel axis a conv layer needs.
            raise ValueError(
                f"{message}: the samples lack the last axis of size 1 (a channel axis, for images or signals "
                f"with one channel). Add it: x[..., None] turns {got} into {got + (1,)}."
            )
        raise ValueError(
            f"{message}: one axis fewer than the model expects. If it is one sample, add the batch "
            f"axis: {_add_batch_axis(expected)}."
        )
    raise ValueError(message + (_channels_first_hint(expected, got) or _reshape_hint(expected, got)) + ".")


def _channels_first_hint(expected: tuple, got: tuple) -> str:
    """A transpose when the data holds channels first and the model wants them last (a reshape would scramble)."""
    if len(got) < 3 or len(got) != len(expected) or not _fits(expected[1:], got[2:] + got[1:2]):
        return ""
    order = ", ".join(str(axis) for axis in (0, *range(2, len(got)), 1))
    return (f". The data looks channels-first (channels on axis 1); the model wants them last. Move them with "
            f"x.transpose({order}), which turns {got} into {(got[0],) + got[2:] + got[1:2]}")


def _fits(expected: tuple, got: tuple) -> bool:
    return len(expected) == len(got) and all(e is None or e == g for e, g in zip(expected, got))


def _show(shape: tuple) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _add_batch_axis(expected: tuple) -> str:
    if len(expected) == 2:
        return "x[None] or x.reshape(1, -1)"
    return "x[None] or x.reshape((1,) + x.shape)"


def _reshape_hint(expected: tuple, got: tuple) -> str:
    """A reshape that fixes the data when only the arrangement of each sample differs."""
    sample = expected[1:]
    if not got or None in sample or math.prod(got[1:]) != math.prod(sample):
        return ""
    target = ", ".join(str(n) for n in sample)
    return (f". Each sample holds the right number of values ({math.prod(sample)}): reshape it with "
            f"x.reshape(-1, {target})")


def _check_batch_sizes(where: str, names: Sequence[str], values: list[Any]) -> None:
    sizes = {name: _shape_of(v)[0] for name, v in zip(names, values) if _shape_of(v)}
    if len(set(sizes.values())) > 1:
        shown = ", ".join(f"{name!r}: {size}" for name, size in sizes.items())
        raise ValueError(
            f"{where}: all inputs must hold the same number of samples, got {shown}."
        )
