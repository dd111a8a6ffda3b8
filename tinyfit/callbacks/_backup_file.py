"""A training backup's file: written whole, read whole and checked against the model before any use.

Reading a backup assigns nothing. `read_backup` returns everything the file holds (weights,
optimizer state, random states, the data's position, the epoch's running metrics, the other
callbacks' states) once all of it has been read and checked against the model that would take
it, so a refused backup leaves the model, its optimizer and every random state as they were.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..saving.archive import read_archive, write_archive
from ..utils.random import get_random_states, set_random_states

FORMAT = "tinyfit training backup"
VERSION = 1
_ARRAY = "__array__"  # marks where an array taken out into the archive's state/ members stood


@dataclass
class Backup:
    """One backup's content, read and checked; `point` is where fit() continues."""

    path: str
    sequence: int
    batches_seen: int
    weights: list
    optimizer: list
    callbacks: dict
    point: dict


def write_backup(path: str, state: dict, weights: list, optimizer: list, arrays: list) -> None:
    """Writes one backup atomically (the previous file stays whole until this one is)."""
    write_archive(path, {"format": FORMAT, "version": VERSION, **state}, None,
                  {"weights": weights, "optimizer": optimizer, "state": arrays})


def refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to resume from the backup '{path}': {cause}")


def read_backup(path: str, model: Any) -> Backup:
    """Reads the backup at `path` whole and checks it against `model`; a ValueError names the cause.

    Raises FileNotFoundError when there is no file (so a caller can treat it as absent).
    """
    try:
        state, _, arrays = read_archive(path)
    except (FileNotFoundError, ValueError):
        raise
    except Exception as error:  # any failure of a damaged file is a refusal
        raise refuse(path, f"it cannot be read ({type(error).__name__}: {error}). The file is damaged.") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise refuse(path, "it is not a training backup; BackupAndRestore writes its own files in backup_dir. "
                           "Use a folder of its own.")
    version = state.get("version")
    if type(version) is not int or not 1 <= version <= VERSION:
        raise refuse(path, f"it has version {version!r}; this tinyfit reads versions 1 to {VERSION}.")
    counts = {key: _count(path, state, key) for key in ("sequence", "epoch", "step", "batches_seen")}
    extra = arrays["state"]
    point = {"epoch": counts["epoch"], "step": counts["step"],
             "data": _unpack(path, state.get("data"), extra), "random": _unpack(path, state.get("random"), extra),
             "metrics": _unpack(path, state.get("metrics"), extra), "threads": state.get("threads", {})}
    callbacks = _unpack(path, state.get("callbacks"), extra)
    if not isinstance(callbacks, dict) or not isinstance(point["threads"], dict):
        raise refuse(path, "its callback states or thread counts are not tables. The file is damaged.")
    _check_weights(path, model, arrays["weights"])
    _check_arrays(path, "optimizer state", arrays["optimizer"], _optimizer_shapes(model))
    _check_metrics(path, model, point["metrics"])
    _check_random(path, point["random"], point["data"])
    return Backup(path, counts["sequence"], counts["batches_seen"], arrays["weights"], arrays["optimizer"],
                  callbacks, point)


def _count(path: str, state: dict, key: str) -> int:
    value = state.get(key)
    if type(value) is not int or value < 0:
        raise refuse(path, f"its '{key}' is {value!r}, not a count. The file is damaged.")
    return value


def _check_weights(path: str, model: Any, arrays: list) -> None:
    weights = model.get_weights()
    if len(weights) != len(arrays) or any(w.shape != a.shape for w, a in zip(weights, arrays)):
        raise refuse(path, f"it holds weights of shapes {[tuple(a.shape) for a in arrays]}, but this model's "
                           f"are {[tuple(w.shape) for w in weights]}. It belongs to another model: delete the "
                           "folder or pass another backup_dir.")


def _check_arrays(path: str, what: str, arrays: list, shapes: list) -> None:
    if [tuple(a.shape) for a in arrays] != shapes:
        raise refuse(path, f"its {what} has arrays of shapes {[tuple(a.shape) for a in arrays]}, but this model "
                           f"needs {shapes}. Resume with the same model and compile() arguments, or delete the "
                           "folder to start afresh.")


def _optimizer_shapes(model: Any) -> list:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        return []
    if not optimizer.built:
        # A copy learns the slots' shapes: the model's own optimizer stays unbuilt if the backup is refused.
        try:
            optimizer = type(optimizer).from_config(copy.deepcopy(optimizer.get_config()))
        except Exception:  # no copy: build the model's own, as fit() would
            pass
        optimizer.build(model.trainable_variables)
    return [tuple(v.shape) for v in optimizer.variables]


def _check_metrics(path: str, model: Any, metrics: Any) -> None:
    if not isinstance(metrics, list) or not all(isinstance(a, np.ndarray) for a in metrics):
        raise refuse(path, "its running metric values are not a list of arrays. The file is damaged.")
    variables = [v for metric in model.metrics for v in metric.variables]
    # Another count is a compile() mismatch that fit() reports once the metrics are built.
    if len(variables) == len(metrics):
        _check_arrays(path, "running metric values", metrics, [tuple(v.shape) for v in variables])


def _check_random(path: str, states: Any, data: Any) -> None:
    """Tries the random states on and puts the current ones back: those that cannot be set are refused."""
    if data is not None and (not isinstance(data, dict) or type(data.get("position")) is not int
                             or data["position"] < 0):
        raise refuse(path, f"the data's position it records is {data!r}. The file is damaged.")
    now = get_random_states()
    tried = [("random states", states)] + ([("data order's random states", data.get("random"))] if data else [])
    for what, value in tried:
        try:
            set_random_states(value)
        except Exception as error:  # whatever the damage, the refusal names it
            raise refuse(path, f"its {what} cannot be set ({type(error).__name__}: {error}). "
                               "The file is damaged.") from None
        finally:
            set_random_states(now)


def pack(value: Any, arrays: list) -> Any:
    """`value` as plain JSON data, its arrays moved to `arrays` (and marked by their index)."""
    if isinstance(value, np.ndarray):
        arrays.append(value)
        return {_ARRAY: len(arrays) - 1}
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {str(key): pack(item, arrays) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [pack(item, arrays) for item in value]
    return value


def _unpack(path: str, value: Any, arrays: list) -> Any:
    if isinstance(value, dict):
        if set(value) == {_ARRAY}:
            index = value[_ARRAY]
            if type(index) is not int or not 0 <= index < len(arrays):
                raise refuse(path, f"it refers to array {index!r} but holds {len(arrays)}. The file is damaged.")
            return arrays[index]
        return {key: _unpack(path, item, arrays) for key, item in value.items()}
    if isinstance(value, list):
        return [_unpack(path, item, arrays) for item in value]
    return value
