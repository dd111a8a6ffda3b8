"""tinyfit's model file: one zip archive of JSON and `.npy` members, read as hostile data.

Layout (whatever the file's suffix, `.keras` or `.tinyfit`):
    manifest.json        format name, format_version, tinyfit version, size and sha256 of every member
    config.json          the model's config (plain JSON)
    compile.json         the compile config (plain JSON, may be null)
    weights/<i>.npy      one array per variable, in order
    optimizer/<i>.npy    one array per optimizer slot, in order
    state/<i>.npy        a training backup's other arrays (BackupAndRestore), in order

Reading never runs code from the file: no pickle, marshal, eval or import of a name it holds.
Member names must match an exact allowlist and are never extracted to disk; sizes are capped
before anything is decompressed; every member's sha256 must match the manifest; JSON size and
nesting depth are capped; each `.npy` header is parsed and checked (numeric dtype, shape, byte
count) before its array is allocated. Every refusal is a ValueError naming the file and the cause.
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import zipfile
import zlib
from typing import Any, Callable, Mapping, Sequence

import numpy as np
from numpy.lib import format as npy_format

from .. import backend
from ..version import __version__
from .atomic import atomic_write
from .safe_json import MAX_JSON_DEPTH, dump_json, load_json

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "ARRAY_GROUPS", "ArrayCountError", "write_archive", "read_archive"]

FORMAT_NAME = "tinyfit"
FORMAT_VERSION = 1
ARRAY_GROUPS = ("weights", "optimizer", "state")

MAX_ARCHIVE_BYTES = 8 * 2**30       # declared, uncompressed, all members together
MAX_MEMBER_BYTES = 4 * 2**30
MAX_MEMBERS = 100_000
MAX_JSON_BYTES = 16 * 2**20
MAX_RATIO = 100                     # declared / compressed size, for members over RATIO_FLOOR
RATIO_FLOOR = 2**20
_CHUNK = 2**20
_NPY_HEADER_MAX = 10_000

_JSON_MEMBERS = ("manifest.json", "config.json", "compile.json")
_ALLOWED = re.compile(r"(?:manifest|config|compile)\.json|(?:weights|optimizer|state)/(?:0|[1-9][0-9]{0,5})\.npy")
_ARRAY_MEMBER = re.compile(r"(weights|optimizer|state)/(0|[1-9][0-9]{0,5})\.npy")
# Numeric dtypes only: an object dtype would mean pickle, a structured one arbitrary layouts.
_ALLOWED_KINDS = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}


def _refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to load '{path}': {cause}")


class ArrayCountError(ValueError):
    """An archive holds another number of arrays in a group than the reader expects.

    Loaders catch it to say which model expected what (see model_file.py).
    """

    def __init__(self, path: str, group: str, found: int, expected: int):
        super().__init__(f"Refusing to load '{path}': it holds {found} {group} arrays but {expected} are expected.")
        self.path, self.group, self.found, self.expected = path, group, found, expected


# ---------------------------------------------------------------- writing


class _CountingWriter:
    """Passes bytes to a zip member while hashing and counting them for the manifest."""

    def __init__(self, target):
        self.target, self.sha, self.size = target, hashlib.sha256(), 0

    def write(self, data) -> int:
        data = memoryview(data).cast("B")
        self.target.write(data)
        self.sha.update(data)
        self.size += data.nbytes
        return data.nbytes


def _check_arrays(arrays: Mapping[str, Sequence[Any]] | None) -> dict[str, list[np.ndarray]]:
    arrays = dict(arrays or {})
    unknown = sorted(set(arrays) - set(ARRAY_GROUPS))
    if unknown:
        raise ValueError(f"Unknown array group(s) {unknown}; a tinyfit archive holds {list(ARRAY_GROUPS)}.")
    checked = {}
    for group, items in arrays.items():
        checked[group] = []
        for index, item in enumerate(items):
            array = backend.to_numpy(item)
            sizes = _ALLOWED_KINDS.get(array.dtype.kind, ())
            if array.dtype.itemsize not in sizes or array.dtype.names is not None:
                raise ValueError(f"{group}[{index}] has dtype {array.dtype}; a tinyfit archive holds "
                                 f"bool, int, uint and float arrays only.")
            checked[group].append(array)
    return checked


def write_archive(path: str | os.PathLike, config: Any, compile_config: Any = None,
                  arrays: Mapping[str, Sequence[Any]] | None = None) -> None:
    """Writes a model archive atomically (the old file stays whole until the new one is).

    Args:
        path: the file to write; any suffix.
        config: the model config, plain JSON data.
        compile_config: the compile config, plain JSON data or None.
        arrays: {"weights": [array, ...], "optimizer": [array, ...]}, each list in order.
    """
    config_bytes = dump_json("config", config)
    compile_bytes = dump_json("compile config", compile_config)
    checked = _check_arrays(arrays)

    def write(file) -> None:
        members = {}
        with zipfile.ZipFile(file, "w", allowZip64=True) as archive:
            for name, data in (("config.json", config_bytes), ("compile.json", compile_bytes)):
                archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
                members[name] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for group, items in checked.items():
                for index, array in enumerate(items):
                    name = f"{group}/{index}.npy"
                    # Stored, not deflated: an all-zero bias compresses far past any sane ratio
                    # cap, and the reader refuses high ratios to stop zip bombs.
                    with archive.open(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), "w",
                                      force_zip64=True) as member:
                        writer = _CountingWriter(member)
                        npy_format.write_array(writer, array, allow_pickle=False)
                    members[name] = {"size": writer.size, "sha256": writer.sha.hexdigest()}
            manifest = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION,
                        "tinyfit_version": __version__, "members": members}
            archive.writestr("manifest.json", dump_json("manifest", manifest),
                             compress_type=zipfile.ZIP_DEFLATED)

    atomic_write(path, write)


# ---------------------------------------------------------------- reading


# What zipfile raises for a member whose bytes are damaged: a bad local header, a broken deflate
# stream, a seek past the end, a compression method it cannot decode.
_MEMBER_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError, RuntimeError)


def _damaged(path: str, name: str, error: BaseException) -> ValueError:
    return _refuse(path, f"member '{name}' is damaged or truncated ({type(error).__name__}: {error}). "
                         f"Save the model again; a copy of the file may be whole.")


class _CheckedReader:
    """Reads one member in bounded chunks, hashing every byte, never past its declared size."""

    def __init__(self, path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo):
        self.path, self.name, self.left = path, info.filename, info.file_size
        try:
            self.stream = archive.open(info)
        except _MEMBER_ERRORS as error:
            raise _damaged(path, info.filename, error) from None
        self.sha = hashlib.sha256()

    def __enter__(self) -> "_CheckedReader":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stream.close()

    def read(self, n: int = -1) -> bytes:
        n = self.left if n < 0 else min(n, self.left)
        parts = []
        while n > 0:
            try:
                part = self.stream.read(min(n, _CHUNK))
            except _MEMBER_ERRORS as error:
                raise _damaged(self.path, self.name, error) from None
            if not part:
                raise _refuse(self.path, f"member '{self.name}' ends early (the file is truncated).")
            self.sha.update(part)
            self.left -= len(part)
            n -= len(part)
            parts.append(part)
        return b"".join(parts)

    def readinto(self, buffer: memoryview) -> None:
        done = 0
        while done < len(buffer):
            part = self.read(min(_CHUNK, len(buffer) - done))
            buffer[done:done + len(part)] = part
            done += len(part)

    def finish(self, expected_sha: str) -> None:
        if self.left:
            raise _refuse(self.path, f"member '{self.name}' has {self.left} unread bytes after its content.")
        if self.sha.hexdigest() != expected_sha:
            raise _refuse(self.path, f"member '{self.name}' fails its sha256 check (the file is corrupted "
                                     f"or was altered after saving).")


def _open_zip(path: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path, "r")
    except zipfile.BadZipFile:
        raise _refuse(path, "it is not a tinyfit model file (not a zip archive; it may be truncated). "
                            "Save one with model.save(path).") from None
    except (OSError, EOFError, ValueError, NotImplementedError, zlib.error) as error:
        raise _refuse(path, f"it cannot be read as a zip archive ({type(error).__name__}: {error}); it is "
                            f"damaged or truncated.") from None


def _parse_json(path: str, name: str, raw: bytes) -> Any:
    try:
        return load_json(raw)
    except ValueError as error:
        raise _refuse(path, f"member '{name}' {error}.") from None


def _check_listing(path: str, archive: zipfile.ZipFile) -> dict[str, zipfile.ZipInfo]:
    infos = archive.infolist()
    size = os.path.getsize(path)
    if len(infos) > MAX_MEMBERS:
        raise _refuse(path, f"it has {len(infos)} members; the limit is {MAX_MEMBERS}.")
    members, total = {}, 0
    for info in infos:
        name = info.filename
        if not _ALLOWED.fullmatch(name):
            raise _refuse(path, f"member name {name!r} is not one a tinyfit archive holds (allowed: "
                                f"{', '.join(_JSON_MEMBERS)}, weights/<i>.npy, optimizer/<i>.npy, state/<i>.npy).")
        if name in members:
            raise _refuse(path, f"member '{name}' appears twice.")
        if info.flag_bits & 0x1:
            raise _refuse(path, f"member '{name}' is encrypted.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise _refuse(path, f"member '{name}' uses compression method {info.compress_type}; "
                                f"only stored and deflated are read.")
        if info.header_offset + info.compress_size > size:
            raise _refuse(path, f"member '{name}' would lie past the end of the file ({size} bytes): the file is "
                                f"truncated or its zip directory is damaged.")
        if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
            raise _refuse(path, f"member '{name}' is stored uncompressed yet declares {info.file_size} bytes in "
                                f"{info.compress_size}: its zip directory is damaged.")
        if info.file_size > MAX_MEMBER_BYTES:
            raise _refuse(path, f"member '{name}' declares {info.file_size} bytes; the limit is "
                                f"{MAX_MEMBER_BYTES}.")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _refuse(path, f"member '{name}' would expand {info.compress_size} compressed bytes to "
                                f"{info.file_size} (over {MAX_RATIO}x: a zip bomb).")
        if name.endswith(".json") and info.file_size > MAX_JSON_BYTES:
            raise _refuse(path, f"member '{name}' is {info.file_size} bytes; JSON members are capped at "
                                f"{MAX_JSON_BYTES}.")
        total += info.file_size
        if total > MAX_ARCHIVE_BYTES:
            raise _refuse(path, f"its members declare over {MAX_ARCHIVE_BYTES} bytes in all.")
        if total > MAX_RATIO * size + RATIO_FLOOR:
            raise _refuse(path, f"its members declare {total} bytes or more, over {MAX_RATIO}x the file's {size} "
                                f"bytes (a zip bomb, or a damaged zip directory).")
        members[name] = info
    return members


def _read_manifest(path: str, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict:
    if "manifest.json" not in members:
        raise _refuse(path, "it has no manifest.json, so it is not a tinyfit model file. "
                            "Save one with model.save(path).")
    with _CheckedReader(path, archive, members["manifest.json"]) as reader:
        manifest = _parse_json(path, "manifest.json", reader.read())
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise _refuse(path, f"its manifest names format {found!r}, not {FORMAT_NAME!r}.")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _refuse(path, f"its manifest has format_version {version!r}; expected a positive integer.")
    if version > FORMAT_VERSION:
        writer = manifest.get("tinyfit_version")
        writer = writer if isinstance(writer, str) and len(writer) < 40 else "a newer release"
        raise _refuse(path, f"it was written by tinyfit {writer} in format_version {version}, but this "
                            f"tinyfit {__version__} reads format_version {FORMAT_VERSION} and older. "
                            f"Upgrade to tinyfit {writer} or later to load it.")
    listed = manifest.get("members")
    if not isinstance(listed, dict):
        raise _refuse(path, "its manifest has no 'members' table.")
    present = set(members) - {"manifest.json"}
    if set(listed) != present:
        missing, extra = sorted(set(listed) - present), sorted(present - set(listed))
        raise _refuse(path, f"its members do not match the manifest (listed but absent: {missing}; "
                            f"present but not listed: {extra}).")
    for name in present:
        entry = listed[name]
        if (not isinstance(entry, dict) or not isinstance(entry.get("sha256"), str)
                or entry.get("size") != members[name].file_size):
            raise _refuse(path, f"member '{name}' does not match its manifest entry (size "
                                f"{members[name].file_size}, manifest {entry!r}).")
    for name in ("config.json", "compile.json"):
        if name not in present:
            raise _refuse(path, f"it has no {name}.")
    return manifest


def _label_and_shape(expected: Any) -> tuple[str | None, tuple[int, ...]]:
    if isinstance(expected, (tuple, list)) and len(expected) == 2 and isinstance(expected[0], str):
        return expected[0], tuple(int(d) for d in expected[1])
    return None, tuple(int(d) for d in expected)


def _read_npy(path: str, archive: zipfile.ZipFile, info: zipfile.ZipInfo, sha: str,
              expected: Any | None) -> np.ndarray:
    with _CheckedReader(path, archive, info) as reader:
        return _read_npy_from(path, info.filename, reader, sha, expected)


def _npy_header(path: str, name: str, reader: _CheckedReader) -> tuple[tuple[int, ...], bool, np.dtype]:
    """A member's .npy header, (shape, fortran order, dtype), checked: a valid header, an allowed dtype."""
    try:
        version = npy_format.read_magic(reader)
        if version == (1, 0):
            shape, fortran, dtype = npy_format.read_array_header_1_0(reader, max_header_size=_NPY_HEADER_MAX)
        elif version == (2, 0):
            shape, fortran, dtype = npy_format.read_array_header_2_0(reader, max_header_size=_NPY_HEADER_MAX)
        else:
            raise ValueError(f"npy format version {version} is not read")
    except ValueError as error:
        if str(error).startswith("Refusing"):
            raise
        raise _refuse(path, f"member '{name}' has no valid .npy header ({error}).") from None
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None \
            or dtype.itemsize not in _ALLOWED_KINDS.get(dtype.kind, ()):
        raise _refuse(path, f"member '{name}' declares dtype {dtype!r}; only bool, int, uint and float "
                            f"arrays are read (an object dtype would need pickle, which tinyfit never runs).")
    return tuple(shape), fortran, dtype


def _scan_arrays(path: str, archive: zipfile.ZipFile, members: dict[str, zipfile.ZipInfo]) -> dict[str, list]:
    """{group: [(shape, bytes of data), ...]} from every array member's header, numbered 0..n-1 in each
    group: what the file holds, known before anything is built or allocated. The bytes are those the
    header declares, at most those the member holds (a forged header promises nothing); the data is
    read, and its size checked, later."""
    indices: dict[str, list[int]] = {group: [] for group in ARRAY_GROUPS}
    for name in members:
        match = _ARRAY_MEMBER.fullmatch(name)
        if match:
            indices[match.group(1)].append(int(match.group(2)))
    held = {}
    for group in ARRAY_GROUPS:
        found = sorted(indices[group])
        if found != list(range(len(found))):
            raise _refuse(path, f"its {group} members are not numbered 0..{len(found) - 1} (found {found[:10]}).")
        held[group] = []
        for i in found:
            name = f"{group}/{i}.npy"
            with _CheckedReader(path, archive, members[name]) as reader:
                shape, _, dtype = _npy_header(path, name, reader)
                held[group].append((shape, min(math.prod(shape) * dtype.itemsize, reader.left)))
    return held


def _read_npy_from(path: str, name: str, reader: _CheckedReader, sha: str, expected: Any | None) -> np.ndarray:
    shape, fortran, dtype = _npy_header(path, name, reader)
    if expected is not None:
        label, want = _label_and_shape(expected)
        if shape != want:
            owner = label or "the model"
            raise _refuse(path, f"{name.split('/')[0]} member '{name}' declares shape {shape} but "
                                f"{owner} expects {want}.")
    nbytes = math.prod(shape) * dtype.itemsize
    if nbytes != reader.left:
        raise _refuse(path, f"member '{name}' declares shape {shape} of {dtype} ({nbytes} bytes) "
                            f"but holds {reader.left} bytes of data.")
    buffer = np.empty(nbytes, dtype=np.uint8)
    reader.readinto(memoryview(buffer))
    reader.finish(sha)
    array = buffer.view(dtype)
    array = array.reshape(shape[::-1]).transpose() if fortran else array.reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=False)


def _check_expected(expected_shapes: Any) -> dict:
    expected_shapes = dict(expected_shapes or {})
    unknown = sorted(set(expected_shapes) - set(ARRAY_GROUPS))
    if unknown:
        raise ValueError(f"expected_shapes has unknown group(s) {unknown}; use {list(ARRAY_GROUPS)}.")
    return expected_shapes


def read_archive(path: str | os.PathLike,
                 expected_shapes: Mapping[str, Sequence[Any]] | Callable[[Any, Any, dict], Mapping] | None = None,
                 ) -> tuple[Any, Any, dict]:
    """Reads and verifies a model archive written by `write_archive`.

    Args:
        path: the archive.
        expected_shapes: optional {"weights": [shape or (label, shape), ...], "optimizer": [...]};
            for a group given, the archive must hold exactly that many arrays of those shapes
            (checked from each header before its array is allocated). The label is the phrase
            that names the variable's owner in errors, e.g. "layer 'dense'". Or a function
            called once the config and compile config are verified, that returns
            that mapping: a loader builds the model from the config and asks for its shapes.
            It is called with (config, compile_config, held), held = {group: the bytes of data
            its arrays hold}, from every array's checked header: a bound on what building may
            allocate (each number of a weight takes at least one byte).

    Returns:
        (config, compile_config, arrays) with arrays = {"weights": [...], "optimizer": [...]}.
    """
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file at '{path}'. Check the path (a model is saved with model.save(path)).")
    if os.path.isdir(path):
        raise _refuse(path, "it is a folder; a tinyfit model is one file.")
    size = os.path.getsize(path)
    if size > MAX_ARCHIVE_BYTES:
        raise _refuse(path, f"it is {size} bytes; the limit is {MAX_ARCHIVE_BYTES}.")
    with _open_zip(path) as archive:
        members = _check_listing(path, archive)
        manifest = _read_manifest(path, archive, members)
        listed = manifest["members"]
        documents = {}
        for name in ("config.json", "compile.json"):
            with _CheckedReader(path, archive, members[name]) as reader:
                raw = reader.read()
                reader.finish(listed[name]["sha256"])
            documents[name] = _parse_json(path, name, raw)
        # Every array's header is read and checked before the config is trusted to build anything.
        scanned = _scan_arrays(path, archive, members)
        if callable(expected_shapes):
            held = {group: sum(size for _, size in scanned[group]) for group in ARRAY_GROUPS}
            expected_shapes = expected_shapes(documents["config.json"], documents["compile.json"], held)
        expected_shapes = _check_expected(expected_shapes)
        arrays = {}
        for group in ARRAY_GROUPS:
            wanted = expected_shapes.get(group)
            if wanted is not None and len(wanted) != len(scanned[group]):
                raise ArrayCountError(path, group, len(scanned[group]), len(wanted))
            arrays[group] = [
                _read_npy(path, archive, members[f"{group}/{i}.npy"], listed[f"{group}/{i}.npy"]["sha256"],
                          None if wanted is None else wanted[i])
                for i in range(len(scanned[group]))]
    return documents["config.json"], documents["compile.json"], arrays
