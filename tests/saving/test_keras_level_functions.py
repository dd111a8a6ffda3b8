"""keras.saving.save_model/save_weights/load_weights and keras.models.save_model, with Keras's overwrite=."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


def small_model(seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4, activation="relu"), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    return model


@pytest.mark.parametrize("suffix", [".tinyfit", ".keras"])
def test_module_level_save_model_writes_what_model_save_writes(tmp_path, suffix):
    if suffix == ".keras":
        pytest.importorskip("h5py")
    model = small_model(1)
    x = np.random.default_rng(0).standard_normal((5, 3)).astype("float32")
    for save in (keras.saving.save_model, keras.models.save_model):
        path = tmp_path / f"{save.__module__.replace('.', '_')}{suffix}"
        save(model, path)
        np.testing.assert_array_equal(keras.models.load_model(path).predict(x, verbose=0), model.predict(x, verbose=0))


@pytest.mark.parametrize("suffix", [".weights.tinyfit", ".weights.h5"])
def test_module_level_save_and_load_weights(tmp_path, suffix):
    if suffix.endswith(".h5"):
        pytest.importorskip("h5py")
    source, target = small_model(1), small_model(2)
    keras.saving.save_weights(source, tmp_path / f"w{suffix}")
    keras.saving.load_weights(target, tmp_path / f"w{suffix}")
    for a, b in zip(source.get_weights(), target.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("call", ["save", "save_weights"])
def test_overwrite_false_leaves_an_existing_file_alone(tmp_path, call):
    path = tmp_path / ("model.tinyfit" if call == "save" else "model.weights.tinyfit")
    getattr(small_model(1), call)(path)
    before = path.read_bytes()
    with pytest.raises(ValueError, match=r"overwrite=False\): the file exists.*overwrite=True"):
        getattr(small_model(2), call)(path, overwrite=False)
    assert path.read_bytes() == before
    getattr(small_model(2), call)(path, overwrite=True)
    assert path.read_bytes() != before


def test_overwrite_false_writes_a_new_file(tmp_path):
    small_model(1).save(tmp_path / "new.tinyfit", overwrite=False)
    assert keras.models.load_model(tmp_path / "new.tinyfit").count_params() == 3 * 4 + 4 + 4 * 2 + 2


def test_overwrite_must_be_a_bool(tmp_path):
    with pytest.raises(TypeError, match="overwrite must be True or False, got 'no'"):
        small_model(1).save(tmp_path / "m.tinyfit", overwrite="no")
