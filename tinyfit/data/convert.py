"""Turning what a data source hands over into NumPy arrays and (x, y, sample_weight) batches.

Foreign array types are recognised by the module their type comes from, so that
neither PyTorch nor pandas is ever imported unless the user already holds one of
their objects.
"""

from __future__ import annotations

from typing import Any

import numpy

from ..tree import flatten, map_structure


def type_module(obj: Any) -> str:
    """The module that defined obj's type ("torch", "pandas.core.frame", "numpy", ...)."""
    return getattr(type(obj), "__module__", "") or ""


def is_torch_tensor(obj: Any) -> bool:
    return type_module(obj).startswith("torch") and hasattr(obj, "detach")


def is_pandas(obj: Any) -> bool:
    """A pandas DataFrame or Series (anything pandas that can hand over its values)."""
    return type_module(obj).startswith("pandas") and hasattr(obj, "to_numpy")


def is_leaf_array(obj: Any) -> bool:
    """Whether obj is one array (not a structure of them) that to_numpy understands."""
    return (isinstance(obj, (numpy.ndarray, numpy.generic)) or is_torch_tensor(obj) or is_pandas(obj)
            or hasattr(obj, "numpy") or hasattr(obj, "__array__"))


def to_numpy(obj: Any) -> numpy.ndarray:
    """One array of any supported kind as a NumPy array (no copy when it already is one)."""
    if isinstance(obj, numpy.ndarray):
        return obj
    if is_torch_tensor(obj):
        # A tensor may carry a graph or live on a GPU; NumPy needs neither.
        return numpy.asarray(obj.detach().cpu().numpy())
    if is_pandas(obj):
        array = obj.to_numpy()
        if array.dtype.kind not in _NUMBER_KINDS:
            _check_pandas_numbers(obj)
        return array
    if hasattr(obj, "numpy"):
        return numpy.asarray(obj.numpy())  # a tinyfit Tensor, possibly on the GPU
    return numpy.asarray(obj)


def _check_pandas_numbers(obj: Any) -> None:
    # Caught here, where the column names are still known: after to_numpy() a text
    # column only shows up as one object array mixing numbers and strings.
    columns = obj.items() if hasattr(obj, "columns") else [(obj.name, obj)]
    bad = {}
    for name, column in columns:
        example = _first_non_number(numpy.asarray(column.to_numpy()))
        if example is not _ALL_NUMBERS:
            bad[str(name)] = (example, column.dtype)
    if not bad:
        return
    names = list(bad)
    example, dtype = bad[names[0]]
    if not hasattr(obj, "columns"):
        raise TypeError(
            f"a pandas Series ({names[0]!r}, dtype {dtype}) holds {example!r}, which is not a number: models compute "
            "with numbers. For class labels pass series.astype('category').cat.codes."
        )
    raise TypeError(
        f"a pandas DataFrame with non-numeric column(s) {names} ({names[0]!r} holds {example!r}): models compute "
        f"with numbers. Encode them first (e.g. pandas.get_dummies(df, columns={names})) or drop them "
        f"(df.drop(columns={names})); for class labels, df[name].astype('category').cat.codes."
    )


def check_numbers(data: dict, prefix: str) -> None:
    """Raises a TypeError naming the array that holds text or other non-numbers.

    Args:
        data: {"x": ..., "y": ..., "sample_weight": ...}, each a NumPy structure.
        prefix: starts the message ("fit:", "the generator yielded a batch whose").
    """
    for where, array in _labelled_leaves(data, "").items():
        example = _first_non_number(array)
        if example is _ALL_NUMBERS:
            continue  # an object array that holds only numbers (e.g. from a list of mixed ints and floats)
        fix = ("turn text labels into class indices, e.g. classes, y = numpy.unique(y, return_inverse=True)"
               if where.startswith("y") else "encode text features as numbers (e.g. one-hot) or drop them")
        raise TypeError(
            f"{prefix} {where} holds {example!r}, which is not a number (dtype {array.dtype}). Models compute with "
            f"numbers: {fix}."
        )


_NUMBER_KINDS = "biuf"  # bool, signed and unsigned integers, floats
_ALL_NUMBERS = object()


def _first_non_number(array: numpy.ndarray) -> Any:
    if array.dtype.kind in _NUMBER_KINDS + "c":  # complex numbers are numbers: the Tensor says what it takes
        return _ALL_NUMBERS
    if array.dtype.kind != "O":
        return array.flat[0].item() if array.size else array.dtype
    for value in array.flat:
        try:
            float(value)
        except (TypeError, ValueError):
            return value
    return _ALL_NUMBERS


def describe(obj: Any) -> str:
    """A short description of a value for error messages: its type, and shape or length."""
    kind = type(obj).__name__
    if hasattr(obj, "shape"):
        return f"{kind} of shape {tuple(obj.shape)}"
    if isinstance(obj, (tuple, list)):
        return f"{kind} of {len(obj)} items ({', '.join(describe(v) for v in obj)})"
    if isinstance(obj, dict):
        return f"dict with keys {list(obj)}"
    text = repr(obj)
    return f"{kind} {text if len(text) <= 40 else text[:37] + '...'}"


def to_batch(item: Any, source: str, empty_hint: str = "") -> tuple[Any, Any, Any]:
    """One yielded element as an (x, y, sample_weight) tuple of NumPy structures.

    Args:
        item: what the data source yielded: x, (x,), (x, y) or (x, y, sample_weight);
            a list is read as a tuple (a PyTorch DataLoader yields lists).
        source: names the data source in messages ("the generator", "the Dataset", ...).
        empty_hint: what to check when a batch holds no samples (the usual cause
            differs between sources).
    """
    parts = tuple(item) if isinstance(item, (tuple, list)) else (item,)
    if not 1 <= len(parts) <= 3:
        raise ValueError(
            f"{source} yielded a {describe(item)}; a batch must be x, (x,), (x, y) or "
            "(x, y, sample_weight). Yield at most three items per batch."
        )
    for part in parts:
        _check_part(part, item, source)
    if parts[0] is None:
        raise ValueError(
            f"{source} yielded {describe(item)}, with None where the inputs x belong (a function that "
            "makes the batches and returns nothing?). Yield x, (x, y) or (x, y, sample_weight)."
        )
    padded = parts + (None,) * (3 - len(parts))
    x, y, sample_weight = (map_structure(to_numpy, p, none_is_leaf=False) for p in padded)
    if any(a.ndim == 0 for a in flatten((x, y, sample_weight), none_is_leaf=False)):
        raise ValueError(
            f"{source} yielded {describe(item)}, which holds a single number where a batch of values belongs; "
            "every array in a batch needs a first (batch) axis."
        )
    _check_rows({"x": x, "y": y, "sample_weight": sample_weight}, source, empty_hint)
    check_numbers({"x": x, "y": y, "sample_weight": sample_weight}, f"{source} yielded a batch whose")
    return x, y, sample_weight


def _check_rows(batch: dict, source: str, empty_hint: str) -> None:
    # A batch whose parts disagree on the sample count, or hold none, would otherwise
    # fail much later, inside a loss or a reduction, with no word of where it came from.
    rows = {where: shape[0] for where, shape in _label_shapes(batch, "").items()}
    counts = set(rows.values())
    if len(counts) > 1:
        found = ", ".join(f"{where}: {n}" for where, n in rows.items())
        raise ValueError(
            f"{source} yielded a batch whose arrays hold different numbers of samples ({found}). Every array "
            "in a batch needs the same first (batch) axis: cut x, y and sample_weight at the same rows."
        )
    if counts == {0}:
        found = ", ".join(f"{where}: {shape}" for where, shape in _label_shapes(batch, "").items())
        raise ValueError(
            f"{source} yielded an empty batch (0 samples; {found}). A batch needs at least one sample. "
            + (empty_hint or "Stop yielding when the data runs out instead of yielding an empty slice.")
        )


def _label_shapes(data: Any, where: str) -> dict:
    """The shape of every array in data, keyed by where it sits ("x", "y['out']", "x[1]")."""
    return {label: tuple(array.shape) for label, array in _labelled_leaves(data, where).items()}


def _labelled_leaves(data: Any, where: str) -> dict:
    if isinstance(data, dict):
        out = {}
        for k, v in data.items():
            out.update(_labelled_leaves(v, f"{where}[{k!r}]" if where else k))
        return out
    if isinstance(data, (list, tuple)):
        out = {}
        for i, v in enumerate(data):
            out.update(_labelled_leaves(v, f"{where}[{i}]"))
        return out
    return {} if data is None else {where: data}


def _check_part(part: Any, item: Any, source: str) -> None:
    if part is None:
        return
    if isinstance(part, dict):
        for v in part.values():
            _check_part(v, item, source)
        return
    if isinstance(part, (tuple, list)) and part:
        for v in part:
            _check_part(v, item, source)
        return
    if not is_leaf_array(part) or isinstance(part, (str, bytes)):
        raise TypeError(
            f"{source} yielded {describe(item)}, which is not a batch: found a {type(part).__name__} where an "
            "array belongs. Yield x, (x, y) or (x, y, sample_weight) with NumPy arrays (or Tensors, or "
            "lists/dicts of them)."
        )
