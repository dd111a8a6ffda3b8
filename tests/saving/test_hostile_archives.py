"""Hostile files, each forged here by the attacker's means, refused quickly with a clear error."""

import hashlib
import io
import json
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest
from numpy.lib import format as npy_format

from tinyfit.saving import archive as archive_module
from tinyfit.saving.archive import read_archive, write_archive


def _npy(array, allow_pickle=False):
    buffer = io.BytesIO()
    npy_format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def _forge(path, members, manifest=None, compress=zipfile.ZIP_STORED):
    """Writes a zip whose manifest is consistent with `members`, as an attacker can."""
    members = {"config.json": b"{}", "compile.json": b"null", **members}
    listing = {name: {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
               for name, data in members.items()}
    manifest = {"format": "tinyfit", "format_version": 1, "tinyfit_version": "0.1.0",
                "members": listing, **(manifest or {})}
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data, compress_type=compress)
        archive.writestr("manifest.json", json.dumps(manifest))
    return path


def _refused(path, match, **kwargs):
    start = time.perf_counter()
    with pytest.raises(ValueError, match=match) as caught:
        read_archive(path, **kwargs)
    assert time.perf_counter() - start < 0.5
    assert str(path) in str(caught.value)
    return caught.value


class _Payload:
    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('code ran')",)


def test_pickle_payload_is_refused_and_runs_nothing(tmp_path):
    proof = tmp_path / "proof_the_payload_works"
    np.load(io.BytesIO(_npy(np.array([_Payload(proof)], dtype=object), allow_pickle=True)),
            allow_pickle=True)
    assert proof.exists()  # the forged member really does run code when unpickled

    marker = tmp_path / "marker"
    payload = _npy(np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    path = _forge(tmp_path / "evil.tinyfit", {"weights/0.npy": payload})
    _refused(path, r"'weights/0\.npy' declares dtype dtype\('O'\).*pickle")
    assert not marker.exists()


@pytest.mark.parametrize("name", ["../escape.npy", "/etc/escape.json", "weights/../../escape.npy",
                                  "weights\\..\\escape.npy", "weights/01.npy", "model.pkl",
                                  "weights/0.npy/x"])
def test_member_names_outside_the_allowlist_are_refused(tmp_path, name):
    path = _forge(tmp_path / "traversal.tinyfit", {name: _npy(np.zeros(2))})
    _refused(path, rf"member name {name!r}".replace("\\", "\\\\").replace(".", r"\.")
             + r" is not one a tinyfit archive holds.*weights/<i>\.npy")
    assert not (tmp_path.parent / "escape.npy").exists()


def test_duplicate_members_are_refused(tmp_path):
    path = _forge(tmp_path / "dup.tinyfit", {"weights/0.npy": _npy(np.zeros(2))})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns that the name is a duplicate: the attack
        with zipfile.ZipFile(path, "a") as archive:
            archive.writestr("weights/0.npy", _npy(np.ones(2)))
    _refused(path, r"member 'weights/0\.npy' appears twice")


def test_a_config_naming_os_system_passes_through_the_archive_layer_as_data(tmp_path, monkeypatch):
    # The archive layer never interprets a name; the registry refuses it when the model is built.
    calls = []
    monkeypatch.setattr("os.system", lambda *args: calls.append(args))
    hostile = {"class_name": "os.system", "module": "os", "config": {"command": "touch pwned"},
               "registered_name": "builtins>eval"}
    path = _forge(tmp_path / "system.tinyfit", {"config.json": json.dumps(hostile).encode()})
    config, _, _ = read_archive(path)
    assert config == hostile and calls == []


@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9, 0.999])
def test_a_truncated_file_is_refused(tmp_path, keep):
    whole = tmp_path / "whole.tinyfit"
    write_archive(whole, {"a": 1}, None, {"weights": [np.ones((64, 64), "float32")]})
    data = whole.read_bytes()
    cut = tmp_path / "cut.tinyfit"
    cut.write_bytes(data[:int(len(data) * keep)])
    _refused(cut, r"not a tinyfit model file|truncated|damaged")


def test_a_huge_declared_shape_is_refused_before_allocating(tmp_path):
    header = io.BytesIO()
    npy_format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False,
                                               "shape": (100000, 100000, 100)})
    path = _forge(tmp_path / "huge.tinyfit", {"weights/0.npy": header.getvalue() + b"\0" * 64})
    tracemalloc.start()
    try:
        _refused(path, r"declares shape \(100000, 100000, 100\) but layer 'dense' expects \(20, 16\)",
                 expected_shapes={"weights": [("layer 'dense'", (20, 16))]})
        _refused(path, r"declares shape \(100000, 100000, 100\) of float32 \(4000000000000 bytes\) "
                       r"but holds 64 bytes")
        assert tracemalloc.get_traced_memory()[1] < 10 * 2**20
    finally:
        tracemalloc.stop()


def test_a_zip_bomb_is_refused_from_its_declared_sizes(tmp_path):
    bomb = _npy(np.zeros(32 * 2**20 // 4, "float32"))
    path = _forge(tmp_path / "bomb.tinyfit", {"weights/0.npy": bomb}, compress=zipfile.ZIP_DEFLATED)
    assert path.stat().st_size < len(bomb) / 500
    _refused(path, r"'weights/0\.npy' would expand \d+ compressed bytes to \d+ \(over 100x: a zip bomb\)")


def test_member_and_total_size_caps(tmp_path, monkeypatch):
    path = _forge(tmp_path / "big.tinyfit", {"weights/0.npy": _npy(np.zeros(1000)),
                                           "weights/1.npy": _npy(np.zeros(1000))},
                  compress=zipfile.ZIP_DEFLATED)
    monkeypatch.setattr(archive_module, "MAX_MEMBER_BYTES", 4000)
    _refused(path, r"member 'weights/0\.npy' declares 8128 bytes; the limit is 4000")
    monkeypatch.setattr(archive_module, "MAX_MEMBER_BYTES", 10_000)
    monkeypatch.setattr(archive_module, "MAX_ARCHIVE_BYTES", 12_000)
    _refused(path, r"members declare over 12000 bytes in all")


def test_a_flipped_byte_is_refused(tmp_path):
    path = tmp_path / "flip.tinyfit"
    write_archive(path, {"a": 1}, None, {"weights": [np.ones((32, 32), "float32")]})
    data = bytearray(path.read_bytes())
    data[data.index(b"\x00\x00\x80\x3f") + 1] ^= 0x01  # one byte inside the array's data
    path.write_bytes(bytes(data))
    _refused(path, r"'weights/0\.npy' (is damaged|fails its sha256 check)")


def test_a_member_altered_and_rezipped_fails_its_sha256(tmp_path):
    # Rezipping gives a valid CRC, so only the manifest's sha256 catches the change.
    good = tmp_path / "good.tinyfit"
    write_archive(good, {"a": 1}, None, {"weights": [np.ones(8, "float32")]})
    altered = tmp_path / "altered.tinyfit"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(altered, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, _npy(np.full(8, 9.0, "float32")) if name == "weights/0.npy" else data)
    _refused(altered, r"member 'weights/0\.npy' fails its sha256 check")


@pytest.mark.parametrize("content", [b"", b"just some text\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 100,
                                     b"PK\x03\x04garbage"])
def test_a_file_that_is_not_a_zip_is_refused(tmp_path, content):
    path = tmp_path / "notes.tinyfit"
    path.write_bytes(content)
    _refused(path, r"not a tinyfit model file \(not a zip archive.*model\.save\(path\)")


def test_a_zip_that_is_not_a_model_is_refused(tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", "{}")
    _refused(path, r"no manifest\.json, so it is not a tinyfit model file")
    path = _forge(tmp_path / "other.tinyfit", {}, manifest={"format": "keras"})
    _refused(path, r"manifest names format 'keras', not 'tinyfit'")


def test_a_newer_format_version_names_the_tinyfit_that_reads_it(tmp_path):
    path = _forge(tmp_path / "future.tinyfit", {}, manifest={"format_version": 2, "tinyfit_version": "0.9.0"})
    _refused(path, r"written by tinyfit 0\.9\.0 in format_version 2, but this tinyfit \S+ reads "
                   r"format_version 1 and older\. Upgrade to tinyfit 0\.9\.0 or later")


def test_members_not_in_the_manifest_or_missing_from_it_are_refused(tmp_path):
    path = _forge(tmp_path / "extra.tinyfit", {"weights/0.npy": _npy(np.zeros(2))})
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr("optimizer/0.npy", _npy(np.zeros(2)))
    _refused(path, r"present but not listed: \['optimizer/0\.npy'\]")


def test_json_nesting_and_duplicate_keys_are_refused(tmp_path):
    deep = ("[" * 5000 + "]" * 5000).encode()
    _refused(_forge(tmp_path / "deep.tinyfit", {"config.json": deep}), r"'config\.json' nests 5000 levels deep")
    twice = b'{"units": 1, "units": 2}'
    _refused(_forge(tmp_path / "twice.tinyfit", {"config.json": twice}), r"key 'units' appears twice")


def test_oversized_json_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(archive_module, "MAX_JSON_BYTES", 100)
    path = _forge(tmp_path / "long.tinyfit", {"config.json": json.dumps({"x": "y" * 200}).encode()})
    _refused(path, r"'config\.json' is 2\d\d bytes; JSON members are capped at 100")


def test_arrays_numbered_with_gaps_are_refused(tmp_path):
    path = _forge(tmp_path / "gap.tinyfit", {"weights/0.npy": _npy(np.zeros(2)), "weights/2.npy": _npy(np.zeros(2))})
    _refused(path, r"weights members are not numbered 0\.\.1 \(found \[0, 2\]\)")


def test_structured_and_complex_dtypes_are_refused(tmp_path):
    for array in (np.zeros(2, dtype=[("a", "<f4")]), np.zeros(2, "complex64")):
        path = _forge(tmp_path / "odd.tinyfit", {"weights/0.npy": _npy(array)})
        _refused(path, r"declares dtype .*only bool, int, uint and float")
