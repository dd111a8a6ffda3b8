"""load_weights reads and checks a file whole before it assigns anything: a refused file leaves the weights as they were."""

import re
import zipfile

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.saving.archive import read_archive, write_archive


def make_model(seed):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((4,)), layers.Dense(6, activation="relu"), layers.Dense(2)])


def _truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[:len(raw) // 2])


def _flip_bytes(path):
    raw = bytearray(path.read_bytes())
    for at in (len(raw) // 3, len(raw) // 2, len(raw) - 40):
        raw[at] ^= 0xFF
    path.write_bytes(bytes(raw))


def _delete_last_member(path):
    with zipfile.ZipFile(path) as archive:
        last = [info for info in archive.infolist() if info.filename.startswith("weights/")][-1].filename
        members = [(info, archive.read(info)) for info in archive.infolist() if info.filename != last]
    with zipfile.ZipFile(path, "w") as archive:
        for info, raw in members:
            archive.writestr(info, raw)


def _wrong_shape_last(path):
    # A whole, valid archive (every checksum right) whose last array has another shape: the first
    # arrays fit, so a loader that assigned as it read would have changed them already.
    config, compile_config, arrays = read_archive(path)
    arrays["weights"][-1] = np.zeros((3,), "float32")
    write_archive(path, config, compile_config, arrays)


DAMAGES = {"truncated": _truncate, "flipped bytes": _flip_bytes, "member deleted": _delete_last_member,
           "wrong-shaped array": _wrong_shape_last}


def saved_as(folder, suffix):
    """A model saved whole (".tinyfit", ".keras", compiled) or its weights alone, under that suffix."""
    path = folder / f"model{suffix}"
    saved = make_model(1)
    if suffix in (".tinyfit", ".keras"):
        saved.compile(optimizer="adam", loss="mse")
        saved.save(path)
    else:
        saved.save_weights(path)
    return path


def assert_refused_leaving_weights(path, message):
    model = make_model(2)
    before = model.get_weights()
    with pytest.raises(ValueError, match=message):
        model.load_weights(path)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("suffix", [".weights.tinyfit", ".tinyfit"])
@pytest.mark.parametrize("damage", DAMAGES)
def test_a_refused_weights_file_leaves_the_weights_as_they_were(tmp_path, damage, suffix):
    path = saved_as(tmp_path, suffix)
    DAMAGES[damage](path)
    assert_refused_leaving_weights(path, re.escape(str(path)))


def test_the_same_file_undamaged_loads(tmp_path):
    path = tmp_path / "model.weights.tinyfit"
    make_model(1).save_weights(path)
    model = make_model(2)
    model.load_weights(path)
    for a, b in zip(make_model(1).get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_a_truncated_keras_file_leaves_the_weights_as_they_were(tmp_path, suffix):
    # Keras's own formats carry no checksums, so flipped bytes inside an array can load unnoticed;
    # a cut file is always refused.
    path = saved_as(tmp_path, suffix)
    _truncate(path)
    assert_refused_leaving_weights(path, r"Refusing to load '.*model\.")
