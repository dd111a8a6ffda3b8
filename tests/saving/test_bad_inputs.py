"""Saving's bad inputs, as a user meets them: each error names the file, the facts and the fix.

The hostile-file fixtures are in test_hostile_archives.py; here are the honest mistakes:
the wrong file given to load_model, a model saved by a newer tinyfit, a subclassed model
whose config cannot rebuild it, weights loaded into another architecture, a backup folder
that is a file.
"""

import hashlib
import json
import zipfile

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.callbacks import BackupAndRestore


def _model(hidden=3, depth=1, name=None):
    stack = [keras.Input((4,))] + [layers.Dense(hidden, name=f"d{i}") for i in range(depth)]
    return keras.Sequential(stack + [layers.Dense(2, name="out")], name=name)


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(8, 4)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")


# ------------------------------------------------------------ the wrong file
@pytest.mark.parametrize("content", [b"loss 0.31 after 5 epochs\n", b"\x89PNG\r\n\x1a\n" + b"\0" * 64])
def test_a_file_that_is_not_a_model_is_refused_by_load_model_and_load_weights(tmp_path, content):
    path = tmp_path / "notes.tinyfit"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"notes\.tinyfit.*not a tinyfit model file.*model\.save\(path\)"):
        keras.models.load_model(path)
    with pytest.raises(ValueError, match=r"notes\.tinyfit.*not a tinyfit model file"):
        _model().load_weights(path)


def test_load_model_of_a_weights_file_says_to_use_load_weights(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(ValueError, match=r"m\.weights\.h5' holds only weights \(written by save_weights\), not a "
                                         r"model\. Build the model as it was, then call model\.load_weights"):
        keras.models.load_model(tmp_path / "m.weights.h5")
    # The fix works.
    other = _model()
    other.load_weights(tmp_path / "m.weights.h5")
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_model_of_a_training_backup_says_what_it_is_and_how_to_take_its_weights(tmp_path):
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    model.fit(*_data(), epochs=1, verbose=0, callbacks=[BackupAndRestore(tmp_path / "run", delete_checkpoint=False)])
    backup = tmp_path / "run" / "backup.tinyfit"
    with pytest.raises(ValueError, match=r"backup\.tinyfit' is a training backup \(written by BackupAndRestore\), "
                                         r"not a model.*BackupAndRestore with the same backup_dir.*load_weights"):
        keras.models.load_model(backup)
    other = _model()
    other.load_weights(backup)
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_a_model_saved_by_a_newer_tinyfit_names_the_version_to_upgrade_to(tmp_path):
    path = tmp_path / "future.tinyfit"
    _model().save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    manifest = json.loads(members["manifest.json"])
    manifest.update(format_version=7, tinyfit_version="3.2.0")
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match=r"future\.tinyfit.*written by tinyfit 3\.2\.0 in format_version 7, but this "
                                         r"tinyfit \S+ reads format_version 1 and older\. Upgrade to tinyfit 3\.2\.0"):
        keras.models.load_model(path)


# ------------------------------------------------------------ subclassed models
class NeedsUnits(keras.Model):
    """A subclassed model whose __init__ needs an argument that its get_config leaves out."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x)

    def get_config(self):
        return super().get_config()  # forgets "units"


class DefaultUnits(keras.Model):
    """A subclassed model that a config without arguments rebuilds, but without weights until called."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units)

    def call(self, x):
        return self.dense(x)


def test_a_subclassed_model_whose_get_config_forgets_an_argument_says_to_define_it_or_save_weights(tmp_path):
    model = NeedsUnits(3, name="needs")
    model(np.ones((1, 4), "float32"))
    model.save(tmp_path / "needs.tinyfit")
    with pytest.raises(ValueError, match=r"NeedsUnits\.from_config\(\) could not build the model from its "
                                         r"config \(keys: dtype, name, trainable\): .*missing 1 required positional "
                                         r"argument: 'units'\. Define get_config\(\) in NeedsUnits returning every "
                                         r"argument its __init__ needs.*save_weights\(\)/load_weights\(\)"):
        keras.models.load_model(tmp_path / "needs.tinyfit", custom_objects={"NeedsUnits": NeedsUnits})


def test_a_subclassed_model_built_by_calling_it_loads_as_saved(tmp_path):
    model = DefaultUnits(3, name="defaults")
    x = np.ones((2, 4), "float32")
    model(x)
    model.save(tmp_path / "defaults.tinyfit")  # keeps the input shape it was called on: the build config
    loaded = keras.models.load_model(tmp_path / "defaults.tinyfit", custom_objects={"DefaultUnits": DefaultUnits})
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_load_weights_into_an_unbuilt_subclassed_model_says_to_call_it_first(tmp_path):
    model = DefaultUnits(3)
    model(np.ones((1, 4), "float32"))
    model.save_weights(tmp_path / "w.weights")
    with pytest.raises(ValueError, match=r"(?s)holds 2 weights, model '\S+' has 0.*Build the model exactly.*"
                                         r"call it on one batch first"):
        DefaultUnits(3).load_weights(tmp_path / "w.weights")
    model.save(tmp_path / "m.tinyfit")
    with pytest.raises(ValueError, match=r"m\.tinyfit'\): the file holds 2 weight arrays, model '\S+' has 0 \(none\).*"
                                         r"call it on one batch first"):
        DefaultUnits(3).load_weights(tmp_path / "m.tinyfit")


# ------------------------------------------------------------ weights into another architecture
def test_load_weights_from_a_model_file_into_a_deeper_model_lists_the_model_weights(tmp_path):
    _model(depth=1).save(tmp_path / "m.tinyfit")
    deeper = _model(depth=2, name="deeper")
    with pytest.raises(ValueError, match=r"load_weights\('.*m\.tinyfit'\): the file holds 4 weight arrays, model "
                                         r"'deeper' has 6 \(d0/kernel \(4, 3\), d0/bias \(3,\), d1/kernel \(3, 3\).*"
                                         r"Build the model exactly as the one whose weights were saved"):
        deeper.load_weights(tmp_path / "m.tinyfit")


def test_load_weights_from_a_model_file_into_other_sizes_names_both_shapes(tmp_path):
    _model(hidden=3).save(tmp_path / "m.tinyfit")
    wider = _model(hidden=5, name="wider")
    with pytest.raises(ValueError, match=r"m\.tinyfit.*weights member 'weights/0\.npy' declares shape \(4, 3\) but "
                                         r"model 'wider' variable 'd0/kernel' expects \(4, 5\)"):
        wider.load_weights(tmp_path / "m.tinyfit")


def test_a_model_file_with_weights_missing_names_the_model_its_config_builds(tmp_path):
    path = tmp_path / "cut.tinyfit"
    _model(name="cut").save(path)
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist() if name != "weights/3.npy"}
    manifest = json.loads(members["manifest.json"])
    del manifest["members"]["weights/3.npy"]
    members["manifest.json"] = json.dumps(manifest).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    assert hashlib.sha256(members["config.json"]).hexdigest() == manifest["members"]["config.json"]["sha256"]
    with pytest.raises(ValueError, match=r"cut\.tinyfit': it holds 3 weight arrays, but the model its config builds "
                                         r"\(Sequential 'cut'\) has 4\. The file is damaged"):
        keras.models.load_model(path)


# ------------------------------------------------------------ a backup folder that is a file
def test_a_backup_dir_that_became_a_file_before_fit_is_refused(tmp_path):
    callback = BackupAndRestore(tmp_path / "run")
    (tmp_path / "run").write_text("not a folder")
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"backup_dir='.*run' is a file; it must be a folder\. Move the file or "
                                         r"pass another folder"):
        model.fit(*_data(), epochs=1, verbose=0, callbacks=[callback])
    assert (tmp_path / "run").read_text() == "not a folder"


def test_a_checkpoint_filepath_that_is_a_folder_says_to_name_a_file_inside(tmp_path):
    (tmp_path / "ckpt").mkdir()
    model = _model()
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(ValueError, match=r"Cannot write '.*ckpt': it is a folder\. Pass a file path inside it"):
        model.fit(*_data(), epochs=1, verbose=0,
                  callbacks=[keras.callbacks.ModelCheckpoint(str(tmp_path / "ckpt"))])


def test_from_config_of_a_subclassed_model_whose_get_config_forgets_an_argument_says_to_define_it():
    class Scaled(keras.Model):
        def __init__(self, factor, **kwargs):
            super().__init__(**kwargs)
            self.factor = factor
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x) * self.factor

        def get_config(self):
            return super().get_config()  # forgets "factor"

    model = Scaled(3.0)
    with pytest.raises(ValueError, match=r"Scaled.from_config\(\) could not build the model from its config "
                                        r"\(keys: .*\): .*factor.* Define get_config\(\) in Scaled"):
        Scaled.from_config(model.get_config())
