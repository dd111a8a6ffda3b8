"""Keras 3's .keras file: a zip of config.json, metadata.json and model.weights.h5, in and out.

Written so that Keras 3's `keras.models.load_model` rebuilds the model, its weights and (compiled)
its optimizer's state; read as hostile data with the rules of tinyfit's own archive: member names
from an allowlist (an `assets/` folder only when empty), never extracted, sizes capped before
anything is decompressed, JSON through safe_json, classes through the registries (see
keras_config_in.py), weights checked dataset by dataset (see keras_h5.py). The HDF5 member is
read into memory and opened there. Writes are atomic.
"""

from __future__ import annotations

import datetime
import os
import zipfile
import zlib
from typing import Any

from .atomic import atomic_write
from .build_config import checked_build_config, rebuild_model, rebuilt
from .keras_config_in import tinyfit_compile_config, tinyfit_model_config
from .keras_config_out import keras_model_config
from .keras_h5 import read_weights_h5, require_h5py, write_weights_h5
from .safe_json import dump_json, load_json
from ..version import __version__

__all__ = ["KERAS_MEMBERS", "is_keras_zip", "save_keras_model", "load_keras_model", "read_weights_bytes"]

KERAS_MEMBERS = ("metadata.json", "config.json", "model.weights.h5")
# The Keras release whose files this format was checked against (Keras reads metadata as information).
KERAS_VERSION = "3.15.1"
MAX_FILE_BYTES = 8 * 2**30
MAX_JSON_BYTES = 16 * 2**20
MAX_RATIO = 100
RATIO_FLOOR = 2**20
_CHUNK = 2**20


def _refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to load '{path}': {cause}")


def is_keras_zip(names: list[str]) -> bool:
    """Whether a zip's member names are those of a Keras 3 .keras file (not tinyfit's archive)."""
    return "manifest.json" not in names and "config.json" in names and (
        "metadata.json" in names or "model.weights.h5" in names)


# ---------------------------------------------------------------- writing


def save_keras_model(model: Any, filepath: str | os.PathLike, compile_config: dict | None, optimizer: Any) -> None:
    """Writes `model` as a Keras 3 .keras file, atomically (optimizer: its built optimizer or None)."""
    require_h5py(f"model.save('{os.fspath(filepath)}')")
    config = dump_json("model config", keras_model_config(model, compile_config))
    metadata = {"keras_version": KERAS_VERSION, "tinyfit_version": __version__,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    weights = write_weights_h5(model, optimizer)

    def write(file) -> None:
        with zipfile.ZipFile(file, "w") as archive:
            archive.writestr("metadata.json", dump_json("metadata", metadata))
            archive.writestr("config.json", config)
            archive.writestr("model.weights.h5", weights)

    atomic_write(filepath, write)


# ---------------------------------------------------------------- reading


def _check_listing(path: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in archive.infolist():
        name = info.filename
        if name == "assets/" and info.is_dir():
            continue
        if name not in KERAS_MEMBERS:
            raise _refuse(path, (
                f"member {name!r} is not one tinyfit reads from a Keras 3 .keras file (it reads "
                f"{', '.join(KERAS_MEMBERS)}; assets, used by text and lookup layers tinyfit does not have, "
                f"are refused). Save the model without such layers, or load only its weights."))
        if name in members:
            raise _refuse(path, f"member '{name}' appears twice.")
        if info.flag_bits & 0x1:
            raise _refuse(path, f"member '{name}' is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(path, f"member '{name}' uses compression method {info.compress_type}; only stored "
                                f"and deflated are read.")
        limit = MAX_JSON_BYTES if name.endswith(".json") else MAX_FILE_BYTES
        if info.file_size > limit:
            raise _refuse(path, f"member '{name}' declares {info.file_size} bytes; the limit is {limit}.")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(path, f"member '{name}' would expand {info.compress_size} compressed bytes to "
                                f"{info.file_size} (over {MAX_RATIO}x: a zip bomb).")
        total += info.file_size
        if total > MAX_FILE_BYTES:
            raise _refuse(path, f"its members declare over {MAX_FILE_BYTES} bytes in all.")
        members[name] = info
    missing = [name for name in KERAS_MEMBERS if name not in members]
    if missing:
        raise _refuse(path, f"it lacks {', '.join(missing)}, so it is not a whole Keras 3 .keras file "
                            f"(it may be truncated). Save it again with model.save('model.keras').")
    return members


def _read_member(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than it declares; damage and truncation become refusals."""
    parts, left = [], info.file_size
    try:
        with archive.open(info) as stream:
            while left > 0:
                part = stream.read(min(_CHUNK, left))
                if not part:
                    break
                parts.append(part)
                left -= len(part)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError,
            RuntimeError) as error:
        raise _refuse(path, f"member '{info.filename}' is damaged or truncated ({type(error).__name__}: "
                            f"{error}).") from None
    if left:
        raise _refuse(path, f"member '{info.filename}' ends early (the file is truncated).")
    return b"".join(parts)


def _read_json(path: str, name: str, raw: bytes) -> Any:
    try:
        return load_json(raw)
    except ValueError as error:
        raise _refuse(path, f"member '{name}' {error}.") from None


def read_keras_zip(path: str) -> tuple[Any, bytes]:
    """(config.json as data, model.weights.h5 bytes) of a .keras file, checked member by member."""
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"it is {size} bytes; the limit is {MAX_FILE_BYTES}.")
    try:
        archive = zipfile.ZipFile(path, "r")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error) as error:
        raise _refuse(path, f"it is not a zip archive, so not a .keras file ({error}); it may be truncated.") from None
    with archive:
        members = _check_listing(path, archive)
        metadata = _read_json(path, "metadata.json", _read_member(path, archive, members["metadata.json"]))
        if not isinstance(metadata, dict):
            raise _refuse(path, f"member 'metadata.json' holds {type(metadata).__name__}, not an object.")
        config = _read_json(path, "config.json", _read_member(path, archive, members["config.json"]))
        weights = _read_member(path, archive, members["model.weights.h5"])
    return config, weights


def read_weights_bytes(path: str, kind: str) -> bytes:
    """The HDF5 weights of a .weights.h5 file (kind "hdf5") or of a .keras file (kind "keras")."""
    if kind == "keras":
        return read_keras_zip(path)[1]
    size = os.path.getsize(path)
    if size > MAX_FILE_BYTES:
        raise _refuse(path, f"it is {size} bytes; the limit is {MAX_FILE_BYTES}.")
    with open(path, "rb") as f:
        # The size is known: read(n) would reserve all n bytes up front, whatever the file holds.
        return f.read(min(size, MAX_FILE_BYTES) + 1)


def load_keras_model(filepath: str | os.PathLike, custom_objects: dict | None, compile: bool,
                     compile_model: Any) -> Any:
    """The model of a Keras 3 .keras file, with its weights and (compiled) optimizer state.

    `compile_model(model, compile_config, custom_objects)` compiles and builds the optimizer.
    """
    path = os.fspath(filepath)
    require_h5py(f"load_model('{path}')")
    config, weights = read_keras_zip(path)
    model_config = rebuilt(path, "model config", lambda: tinyfit_model_config(path, config, custom_objects))
    compile_config = rebuilt(path, "compile config", lambda: tinyfit_compile_config(path, config, custom_objects)
                              ) if compile else None
    # Every number of a weight takes at least one byte of the HDF5 member: the config may not ask for more.
    model = rebuild_model(path, model_config, len(weights), custom_objects,
                          checked_build_config(path, config.get("build_config")), compile_model=(
                              (lambda model: compile_model(model, compile_config, custom_objects))
                              if compile_config else None))
    optimizer = model.optimizer if compile_config else None
    arrays, state = read_weights_h5(path, weights, model, optimizer)
    model.set_weights(arrays)
    for variable, array in state or []:
        variable.assign(array)
    return model
