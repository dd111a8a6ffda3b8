"""The archive format: what write_archive puts in the zip, and read_archive giving it back."""

import hashlib
import json
import zipfile

import numpy as np
import pytest

import tinyfit
from tinyfit.saving.archive import FORMAT_VERSION, read_archive, write_archive


def _arrays():
    return {"weights": [np.arange(12, dtype="float32").reshape(3, 4), np.zeros(4, "float32"),
                        np.asfortranarray(np.arange(6, dtype="float64").reshape(2, 3))],
            "optimizer": [np.array(7, "int64"), np.array([True, False])]}


def test_round_trip_gives_back_config_compile_config_and_arrays(tmp_path):
    path = tmp_path / "model.tinyfit"
    config = {"class_name": "Sequential", "config": {"layers": [{"units": 4}], "rate": 0.5}}
    compile_config = {"optimizer": {"class_name": "Adam", "config": {"learning_rate": 1e-3}}}
    write_archive(path, config, compile_config, _arrays())
    got_config, got_compile, got_arrays = read_archive(path)
    assert got_config == config and got_compile == compile_config
    for group, arrays in _arrays().items():
        assert len(got_arrays[group]) == len(arrays)
        for got, want in zip(got_arrays[group], arrays):
            assert got.dtype == want.dtype and got.shape == want.shape
            np.testing.assert_array_equal(got, want)


def test_the_zip_holds_a_manifest_with_size_and_sha256_of_every_member(tmp_path):
    path = tmp_path / "model.tinyfit"
    write_archive(path, {"a": 1}, None, _arrays())
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read("manifest.json"))
        assert manifest["format"] == "tinyfit"
        assert manifest["format_version"] == FORMAT_VERSION == 1
        assert manifest["tinyfit_version"] == tinyfit.__version__
        assert set(manifest["members"]) == set(names) - {"manifest.json"}
        for name, entry in manifest["members"].items():
            data = archive.read(name)
            assert entry == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert sorted(names) == sorted(["config.json", "compile.json", "manifest.json", "weights/0.npy",
                                    "weights/1.npy", "weights/2.npy", "optimizer/0.npy",
                                    "optimizer/1.npy"])


def test_no_arrays_and_none_compile_config(tmp_path):
    write_archive(tmp_path / "m.tinyfit", {"layers": []})
    assert read_archive(tmp_path / "m.tinyfit") == ({"layers": []}, None, {"weights": [], "optimizer": [], "state": []})


def test_expected_shapes_accepts_matching_arrays_with_or_without_labels(tmp_path):
    write_archive(tmp_path / "m", {}, None, _arrays())
    _, _, arrays = read_archive(tmp_path / "m", {"weights": [("dense/kernel", (3, 4)), (4,), [2, 3]]})
    assert arrays["weights"][0].shape == (3, 4)


def test_wrong_expected_shape_names_member_variable_and_both_shapes(tmp_path):
    write_archive(tmp_path / "m.tinyfit", {}, None, _arrays())
    with pytest.raises(ValueError, match=r"m\.tinyfit.*weights member 'weights/0\.npy' declares shape "
                                         r"\(3, 4\) but layer 'dense' expects \(20, 16\)"):
        read_archive(tmp_path / "m.tinyfit", {"weights": [("layer 'dense'", (20, 16)), (4,), (2, 3)]})


def test_wrong_number_of_expected_arrays_names_both_counts(tmp_path):
    write_archive(tmp_path / "m.tinyfit", {}, None, _arrays())
    with pytest.raises(ValueError, match=r"holds 2 optimizer arrays but 3 are expected"):
        read_archive(tmp_path / "m.tinyfit", {"optimizer": [(), (2,), (5,)]})


def test_unknown_groups_are_refused_with_the_choices(tmp_path):
    with pytest.raises(ValueError, match=r"Unknown array group\(s\) \['biases'\].*'weights', 'optimizer'"):
        write_archive(tmp_path / "m", {}, None, {"biases": [np.zeros(2)]})
    write_archive(tmp_path / "m", {})
    with pytest.raises(ValueError, match=r"unknown group\(s\) \['slots'\]"):
        read_archive(tmp_path / "m", {"slots": []})


def test_non_json_config_is_refused_on_write(tmp_path):
    with pytest.raises(ValueError, match=r"config must be plain JSON data.*object"):
        write_archive(tmp_path / "m", {"fn": object()})
    assert not (tmp_path / "m").exists()


def test_object_arrays_are_refused_on_write(tmp_path):
    with pytest.raises(ValueError, match=r"weights\[0\] has dtype object.*bool, int, uint and float"):
        write_archive(tmp_path / "m", {}, None, {"weights": [np.array([{}], dtype=object)]})


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"No file at '.*absent\.tinyfit'"):
        read_archive(tmp_path / "absent.tinyfit")


def test_a_folder_is_refused(tmp_path):
    with pytest.raises(ValueError, match="it is a folder"):
        read_archive(tmp_path)


def test_brackets_inside_strings_do_not_count_as_nesting(tmp_path):
    config = {"name": "[[[[" * 100 + '\\"{{' * 100}
    write_archive(tmp_path / "m", config)
    assert read_archive(tmp_path / "m")[0] == config


def test_a_config_nested_too_deep_is_refused_on_write(tmp_path):
    deep = []
    for _ in range(100):
        deep = [deep]
    with pytest.raises(ValueError, match=r"config nests deeper than 64 levels.*flatten it"):
        write_archive(tmp_path / "m", {"deep": deep})
