"""Damaged model, weights and backup files, loaded in this process: a clean load or a clear refusal.

A small model is saved four ways (tinyfit's model file, its weights file, a training backup,
Keras 3's .keras); copies are damaged many ways, from random bytes to crafted edits that an
attacker keeps consistent with the manifest. Loading each copy must either give back the
original's arrays (the damage hit nothing that matters) or raise a ValueError that names the
file. Any other exception fails the test with the damage that caused it. Seeded: a failure
names the case, and the same case fails again.
"""

import hashlib
import io
import json
import os
import random
import struct
import time
import zipfile

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.callbacks._backup_file import read_backup

SEED = int(os.environ.get("TINYFIT_FUZZ_SEED", "20261207"))
TIME_BUDGET_S = float(os.environ.get("TINYFIT_FUZZ_SECONDS", "8"))  # per kind of file
HUGE = [10**9, 2**31, 2**40, 10**18, -1, -(10**9), 0, 1.5, "3", None, True, [], {}, [10**9] * 8]


def _model():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5, activation="relu", name="hidden"),
                              layers.Dense(2, name="out")], name="fuzzed")
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(0)
    model.fit(rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 2)).astype("float32"),
              batch_size=8, epochs=1, verbose=0)
    return model


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """{kind: (path of the healthy file, its arrays)} for the four kinds of file."""
    folder = tmp_path_factory.mktemp("originals")
    model = _model()
    weights = model.get_weights()
    files = {"model": folder / "m.tinyfit", "weights": folder / "m.weights.tinyfit"}
    model.save(files["model"])
    model.save_weights(files["weights"])
    backup_dir = folder / "backup"
    model.fit(np.ones((8, 4), "float32"), np.ones((8, 2), "float32"), epochs=1, verbose=0,
              callbacks=[keras.callbacks.BackupAndRestore(backup_dir, delete_checkpoint=False)])
    files["backup"] = backup_dir / "backup.tinyfit"
    backup_weights = model.get_weights()
    try:
        import h5py  # noqa: F401
        model.set_weights(weights)
        files["keras"] = folder / "m.keras"
        model.save(files["keras"])
    except ImportError:
        pass
    found = {kind: (path, backup_weights if kind == "backup" else weights) for kind, path in files.items()}
    assert all(path.exists() for path, _ in found.values())
    return found


def _fresh_model():
    return keras.Sequential([keras.Input(shape=(4,)), layers.Dense(5, activation="relu", name="hidden"),
                             layers.Dense(2, name="out")], name="fuzzed")


def _load(kind, path):
    """The arrays a loader gives back from `path`, loaded as a user would."""
    if kind in ("model", "keras"):
        return keras.models.load_model(path).get_weights()
    if kind == "weights":
        model = _fresh_model()
        model.load_weights(path)
        return model.get_weights()
    model = _fresh_model()
    model.compile(optimizer="adam", loss="mse")
    return read_backup(str(path), model).weights


# ---------------------------------------------------------------- damage


def _flip(data, rng):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        data[rng.randrange(len(data))] ^= rng.randint(1, 255)
    return bytes(data), "flip"


def _truncate(data, rng):
    at = rng.randrange(len(data))
    return data[:at], f"truncate at {at}"


def _insert(data, rng):
    at = rng.randrange(len(data))
    return data[:at] + bytes(rng.randrange(256) for _ in range(rng.randint(1, 16))) + data[at:], f"insert at {at}"


def _central_entries(data):
    """Offsets of the central directory's entries (signature PK\\1\\2)."""
    found, at = [], data.find(b"PK\x01\x02")
    while at >= 0:
        found.append(at)
        at = data.find(b"PK\x01\x02", at + 1)
    return found


# Central directory entry fields: (offset, struct format), see the zip specification (APPNOTE 4.3.12).
_CENTRAL_FIELDS = {"version": (6, "<H"), "flags": (8, "<H"), "method": (10, "<H"), "crc": (16, "<I"),
                   "compressed size": (20, "<I"), "size": (24, "<I"), "name length": (28, "<H"),
                   "extra length": (30, "<H"), "disk": (34, "<H"), "local offset": (42, "<I")}


def _central_edit(data, rng):
    entries = _central_entries(data)
    if not entries:
        return _flip(data, rng)
    entry = rng.choice(entries)
    field = rng.choice(sorted(_CENTRAL_FIELDS))
    offset, fmt = _CENTRAL_FIELDS[field]
    limit = 2 ** (8 * struct.calcsize(fmt)) - 1
    value = rng.choice([0, 1, limit, rng.randrange(limit + 1), struct.unpack_from(fmt, data, entry + offset)[0] + 1])
    data = bytearray(data)
    struct.pack_into(fmt, data, entry + offset, value)
    return bytes(data), f"central directory entry at {entry}: {field} = {value}"


def _method_edit(data, rng):
    """A member's compression method changed in its local header and the central directory alike."""
    entries = _central_entries(data)
    if not entries:
        return _flip(data, rng)
    entry = rng.choice(entries)
    local = struct.unpack_from("<I", data, entry + 42)[0]
    method = rng.choice([0, 8, 9, 12, 14, 93, 95, 98, 99, 1234])
    data = bytearray(data)
    struct.pack_into("<H", data, entry + 10, method)
    if data[local:local + 4] == b"PK\x03\x04":
        struct.pack_into("<H", data, local + 8, method)
    return bytes(data), f"member at {local}: compression method {method}"


def _members(data):
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def _rezip(members):
    """A zip of `members` whose manifest (when it has one) lists them truly, as an attacker writes it."""
    if "manifest.json" in members:
        manifest = json.loads(members["manifest.json"])
        manifest["members"] = {name: {"size": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
                               for name, raw in members.items() if name != "manifest.json"}
        members = {**members, "manifest.json": json.dumps(manifest).encode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, raw in members.items():
            archive.writestr(name, raw, compress_type=zipfile.ZIP_DEFLATED if name.endswith(".json")
                             else zipfile.ZIP_STORED)
    return buffer.getvalue()


def _places(value, where=()):
    """Every (path of keys, value) inside JSON data."""
    yield where, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        yield from _places(item, where + (key,))


def _edit_json(document, rng):
    """`document` with one crafted edit: a key deleted, a value of the wrong type, a huge or negative size."""
    places = [(where, value) for where, value in _places(document) if where]
    where, value = rng.choice(places)
    parent = document
    for key in where[:-1]:
        parent = parent[key]
    key = where[-1]
    action = rng.choice(["delete", "replace", "replace", "units"])
    if action == "units":
        units = [(w, v) for w, v in places if w[-1] in ("units", "shape", "batch_shape", "input_shape")]
        if units:
            where, _ = rng.choice(units)
            parent = document
            for key in where[:-1]:
                parent = parent[key]
            key = where[-1]
            new = 10**9 if where[-1] == "units" else [None, 10**9] if rng.random() < 0.5 else [None, 4, 10**6, 10**6]
            parent[key] = new
            return document, f"{list(where)} = {new!r}"
    if action == "delete" and isinstance(parent, dict):
        del parent[key]
        return document, f"deleted {list(where)}"
    if action == "delete":
        parent.pop(key)
        return document, f"removed item {list(where)}"
    new = rng.choice(HUGE)
    parent[key] = new
    return document, f"{list(where)} = {new!r:.40}"


def _json_edit(data, rng):
    members = _members(data)
    names = [name for name in members if name.endswith(".json") and name != "metadata.json"]
    name = rng.choice(names)
    document = json.loads(members[name])
    if not isinstance(document, (dict, list)) or not document:
        return _flip(data, rng)
    document, what = _edit_json(document, rng)
    members[name] = json.dumps(document).encode()
    return _rezip(members), f"{name}: {what}"


def _npy_header_edit(data, rng):
    """An array member whose .npy header declares another shape or dtype, the manifest kept true."""
    members = _members(data)
    names = [name for name in members if name.endswith(".npy")]
    if not names:
        return _json_edit(data, rng)
    name = rng.choice(names)
    raw = members[name]
    end = raw.index(b"\n") + 1
    header = raw[10:end].decode("latin1")
    new = rng.choice(["'shape': (1000000000,)", "'shape': (-5,)", "'shape': (100000, 100000)", "'shape': ()",
                      "'descr': '|O'", "'descr': '<c16'", "'descr': 'V8'", "'fortran_order': 7"])
    key = new.split(":")[0]
    start = header.index(key)
    stop = header.index(", '", start) if ", '" in header[start:] else header.index("}", start)
    header = (header[:start] + new + header[stop:]).rstrip("\n ")
    header = header + " " * (63 - (10 + len(header)) % 64) + "\n"
    members[name] = raw[:8] + struct.pack("<H", len(header)) + header.encode("latin1") + raw[end:]
    return _rezip(members), f"{name}: header {new}"


def _h5_edit(data, rng):
    """The HDF5 member of a .keras file damaged inside a zip that is itself whole."""
    members = _members(data)
    if "model.weights.h5" not in members:
        return _json_edit(data, rng)
    damaged, what = rng.choice([_flip, _truncate, _insert])(members["model.weights.h5"], rng)
    members["model.weights.h5"] = damaged
    return _rezip(members), f"model.weights.h5: {what}"


DAMAGE = [_flip, _flip, _truncate, _insert, _central_edit, _method_edit, _json_edit, _json_edit,
          _npy_header_edit, _h5_edit]


@pytest.mark.parametrize("kind", ["model", "weights", "backup", "keras"])
def test_every_damaged_file_loads_the_same_arrays_or_is_refused_by_name(originals, tmp_path, kind):
    if kind not in originals:
        pytest.skip("h5py is not installed: no .keras file")
    source, arrays = originals[kind]
    healthy = source.read_bytes()
    np.testing.assert_equal(_load(kind, source), arrays)  # the harness itself loads the healthy file
    rng = random.Random(f"{SEED}-{kind}")
    target = tmp_path / source.name
    failures, loaded, refused, case = [], 0, 0, 0
    deadline = time.monotonic() + TIME_BUDGET_S
    while time.monotonic() < deadline and len(failures) < 10:
        case += 1
        damage = rng.choice(DAMAGE)
        data, what = damage(healthy, rng)
        target.write_bytes(data)
        try:
            got = _load(kind, target)
        except ValueError as error:
            refused += 1
            if str(target) not in str(error):
                failures.append(f"case {case} ({damage.__name__}: {what}): the refusal does not name the file: "
                                f"{error}")
            continue
        except Exception as error:  # noqa: BLE001 - the point: any other exception is a raw failure
            failures.append(f"case {case} ({damage.__name__}: {what}): {type(error).__name__}: {error}"[:400])
            continue
        loaded += 1
        if len(got) != len(arrays) or any(a.shape != b.shape for a, b in zip(got, arrays)):
            failures.append(f"case {case} ({damage.__name__}: {what}): loaded arrays of other shapes")
        elif damage is _h5_edit and "model.weights.h5: flip" in what:
            continue  # Keras's HDF5 holds no checksum: new bytes in a whole zip are another file, not damage
        elif any(not np.array_equal(a, b) for a, b in zip(got, arrays)):
            failures.append(f"case {case} ({damage.__name__}: {what}): loaded other arrays than were saved")
    assert not failures, "\n".join(failures)
    assert refused > loaded > 0 or refused > 10, (case, loaded, refused)


# ---------------------------------------------------------------- crafted configs, one by one


def _crafted(source, target, edit):
    """A copy of `source` whose config.json is `edit(config)`, the manifest kept true (an attacker's edit)."""
    members = _members(source.read_bytes())
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    target.write_bytes(_rezip(members))
    return target


@pytest.mark.parametrize("kind", ["model", "keras"])
@pytest.mark.parametrize("key, value, cause", [
    ("units", 10**9, r"layer 'out' would create weight 'kernel' of shape \(5, 1000000000\).*more than the file"),
    ("units", 10**5, r"layer 'out' would create weight 'kernel' of shape \(5, 100000\)"),
])
def test_a_config_asking_for_huge_layers_is_refused_before_anything_is_allocated(originals, tmp_path, kind, key,
                                                                                  value, cause):
    import tracemalloc
    if kind not in originals:
        pytest.skip("h5py is not installed: no .keras file")
    source, _ = originals[kind]
    path = _crafted(source, tmp_path / source.name,
                    lambda config: config["config"]["layers"][-1]["config"].__setitem__(key, value))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=cause) as caught:
            keras.models.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert str(path) in str(caught.value)
    assert peak < 20 * 2**20


@pytest.mark.parametrize("kind", ["model", "keras"])
def test_an_input_too_large_to_build_on_is_refused(originals, tmp_path, kind):
    if kind not in originals:
        pytest.skip("h5py is not installed: no .keras file")
    source, _ = originals[kind]
    path = _crafted(source, tmp_path / source.name,
                    lambda config: config["config"]["layers"][0]["config"].__setitem__("batch_shape", [2**40, 4]))
    with pytest.raises(ValueError, match=r"gives an input of shape \[1099511627776, 4\].*damaged or forged"):
        keras.models.load_model(path)


@pytest.mark.parametrize("kind", ["model", "keras"])
def test_a_layer_entry_without_its_config_is_refused_by_name(originals, tmp_path, kind):
    if kind not in originals:
        pytest.skip("h5py is not installed: no .keras file")
    source, _ = originals[kind]
    path = _crafted(source, tmp_path / source.name, lambda config: config["config"]["layers"][1].__setitem__("config", 7))
    with pytest.raises(ValueError, match=rf"Refusing to load '{path}'.*model config"):
        keras.models.load_model(path)


def test_a_damaged_deflate_stream_is_refused_not_a_zlib_error(originals, tmp_path):
    source, _ = originals["model"]
    data = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo("config.json")
    assert info.compress_type == zipfile.ZIP_DEFLATED
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start:start + 8] = b"\xff" * 8
    path = tmp_path / "m.tinyfit"
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=rf"Refusing to load '{path}': member 'config.json' is damaged"):
        keras.models.load_model(path)


def _weight_free_layer(kind, class_name, **config):
    module = "keras.layers" if kind == "keras" else "tinyfit.layers"
    return {"module": module, "class_name": class_name, "config": {"name": "inserted", **config},
            "registered_name": None if kind == "keras" else class_name}


@pytest.mark.parametrize("kind", ["model", "keras"])
@pytest.mark.parametrize("n", [10**9, 10**7])
def test_a_weight_free_layer_asking_for_huge_outputs_is_refused_before_they_are_allocated(originals, tmp_path,
                                                                                          kind, n):
    # RepeatVector holds no weight, so the weight budget does not see it; before, the next layer was
    # built on a made-up input of (3, n, 5) numbers: 37 GB for n = 10**9, 600 MB for n = 10**7.
    import tracemalloc
    if kind not in originals:
        pytest.skip("h5py is not installed: no .keras file")
    source, _ = originals[kind]
    path = _crafted(source, tmp_path / source.name, lambda config: config["config"]["layers"].insert(
        -1, _weight_free_layer(kind, "RepeatVector", n=n)))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=rf"Refusing to load '{path}': layer 'out' would be built on inputs "
                                             rf"of shape \(None, {n}, 5\)"):
            keras.models.load_model(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


def test_memory_running_out_while_a_config_rebuilds_is_a_refusal_naming_the_file():
    from tinyfit.saving.build_config import rebuilt

    def build():
        raise MemoryError("Unable to allocate 37.3 GiB")

    with pytest.raises(ValueError, match=r"Refusing to load 'm\.tinyfit': its model config asks for more memory "
                                         r"than there is \(Unable to allocate 37\.3 GiB\)"):
        rebuilt("m.tinyfit", "model config", build)
