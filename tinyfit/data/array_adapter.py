"""Batches from in-memory arrays: NumPy arrays, Tensors, pandas objects, lists and dicts of them."""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Iterator

from ..tree import flatten, map_structure
from ..utils.random import rng
from .class_weight import ClassWeighter
from .convert import check_numbers, is_leaf_array, to_numpy
from .labels import checked_class_indices, target_of, with_class_indices


def standardize(data: Any) -> Any:
    """Every leaf as a NumPy array; lists of arrays stay lists (several inputs)."""
    if data is None:
        return None
    if isinstance(data, dict):
        return {k: standardize(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)) and data and all(_is_arraylike(v) for v in data):
        return [standardize(v) for v in data]
    return to_numpy(data)


def _is_arraylike(v: Any) -> bool:
    return isinstance(v, dict) or is_leaf_array(v)


def check_lengths(x: Any, y: Any, sample_weight: Any, caller: str = "fit") -> int:
    """The number of samples, after checking that x, y and sample_weight agree."""
    counts = {}
    for role, data in (("x", x), ("y", y), ("sample_weight", sample_weight)):
        for leaf in flatten(data, none_is_leaf=False):
            if leaf.ndim == 0:
                raise ValueError(f"{caller}: {role} is a single number; it needs a first (sample) axis.")
            counts.setdefault(role, set()).add(leaf.shape[0])
    for role, found in counts.items():
        if len(found) > 1:
            raise ValueError(
                f"{caller}: all arrays in {role} must hold the same number of samples; got lengths {sorted(found)}."
            )
    n = {role: next(iter(found)) for role, found in counts.items()}
    if "x" not in n:
        raise ValueError(f"{caller}: no input data; pass x (an array, or a list or dict of arrays).")
    for role in ("y", "sample_weight"):
        if role in n and n[role] != n["x"]:
            raise ValueError(
                f"{caller}: x and {role} hold different numbers of samples: x has {n['x']}, {role} has "
                f"{n[role]}. They must match, one {role} entry per sample of x."
            )
    if n["x"] == 0:
        raise ValueError(f"{caller}: x holds no samples (its first axis has size 0).")
    return n["x"]


class ArrayDataAdapter:
    """Cuts arrays into batches, reshuffling the order every epoch when asked."""

    one_shot = False  # arrays can be cut into batches again for every epoch
    infinite = False

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: int = 32,
                 shuffle: bool = False, class_weight: dict | ClassWeighter | None = None, caller: str = "fit"):
        self.x, self.y = standardize(x), standardize(y)
        self.sample_weight = standardize(sample_weight)
        self.num_samples = check_lengths(self.x, self.y, self.sample_weight, caller)
        check_numbers({"x": self.x, "y": self.y, "sample_weight": self.sample_weight}, f"{caller}:")
        self.batch_size = batch_size
        self.shuffle = shuffle
        if class_weight is not None:
            if not isinstance(class_weight, ClassWeighter):
                class_weight = ClassWeighter(class_weight, caller)
            self.sample_weight = class_weight(self.y, self.sample_weight)

    def use_class_indices(self, outputs: dict[int, tuple[int, str]], output_names: list[str]) -> None:
        """Checks the labels of these outputs once, all of them, and hands them out as int64 from now on.

        Args:
            outputs: {output position: (number of classes, the loss's name)} for the outputs
                whose targets are class indices, one per sample ((N,) or (N, 1)).
            output_names: the model's outputs, in order (how `y` is keyed).
        """
        converted = {}
        for position, (num_classes, op) in outputs.items():
            labels = target_of(self.y, output_names, position)
            one_per_sample = labels is not None and (labels.ndim == 1 or labels.shape[1:] == (1,))
            if one_per_sample and labels.dtype.kind in "fiub":
                converted[position] = checked_class_indices(labels, num_classes, op)
        if converted:
            self.y = with_class_indices(self.y, output_names, converted)

    @property
    def num_batches(self) -> int:
        return math.ceil(self.num_samples / self.batch_size)

    def on_epoch_begin(self) -> None:
        """Nothing to prepare (a PyDataset's adapter calls its hook here)."""

    def on_epoch_end(self) -> None:
        """Nothing to tidy between epochs (a PyDataset's adapter calls its hook here)."""

    def whole(self) -> tuple:
        """All the data as one (x, y, sample_weight) batch (train_on_batch and friends)."""
        return self.x, self.y, self.sample_weight

    def batches(self) -> Iterator[tuple]:
        """One epoch of (x, y, sample_weight) NumPy batches."""
        order = rng().permutation(self.num_samples) if self.shuffle else None
        for start in range(0, self.num_samples, self.batch_size):
            stop = start + self.batch_size
            pick = slice(start, stop) if order is None else order[start:stop]
            take = lambda a: a[pick]  # noqa: E731
            yield tuple(map_structure(take, part, none_is_leaf=False)
                        for part in (self.x, self.y, self.sample_weight))


def split_validation(x: Any, y: Any, sample_weight: Any, validation_split: float, caller: str = "fit",
                     check_only: bool = False):
    """Keeps the last `validation_split` fraction of the samples apart, before any shuffling.

    Returns:
        ((x, y, sample_weight) to train on, (x, y, sample_weight) to validate on).
    """
    if isinstance(validation_split, bool) or not isinstance(validation_split, Real) \
            or not 0.0 < validation_split < 1.0:
        raise ValueError(
            f"{caller}: validation_split must be a fraction between 0 and 1 (exclusive), got {validation_split!r}; "
            "e.g. 0.2 keeps the last 20% of the samples for validation."
        )
    if check_only:
        return None
    x, y, sample_weight = standardize(x), standardize(y), standardize(sample_weight)
    n = check_lengths(x, y, sample_weight, caller)
    cut = int(math.floor(n * (1.0 - validation_split)))
    if cut == 0 or cut == n:
        raise ValueError(
            f"{caller}: validation_split={validation_split} of {n} samples leaves "
            f"{'no training' if cut == 0 else 'no validation'} samples; use more data or another fraction."
        )
    head = lambda a: a[:cut]  # noqa: E731
    tail = lambda a: a[cut:]  # noqa: E731
    return (tuple(map_structure(head, part, none_is_leaf=False) for part in (x, y, sample_weight)),
            tuple(map_structure(tail, part, none_is_leaf=False) for part in (x, y, sample_weight)))
