"""Lesson 14's exercise checks reject typical wrong answers and accept the reference solutions.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answers still stubbed; each check is then called with answers a student might
write: files that lose the biases or the config, loaders that unpickle or that hand back
what they remember instead of reading the file, writes that empty the file first or make
their temporary file in another folder, checkpoints picked by name, by time, or from a
first folder's answer.
"""

import io
import json
import os
import pickle
import re
import shutil
import tempfile
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "14_checkpoints_and_saving.ipynb"


def test_the_lesson_ran_and_its_demonstrations_hold(ns):
    # After one more epoch, the model from load_model is the original to the bit; the hand-made one is not.
    assert all(np.array_equal(a, b) for a, b in zip(ns["after_original"], ns["after_loaded"]))
    assert not all(np.array_equal(a, b) for a, b in zip(ns["after_original"], ns["after_rebuilt"]))
    # The payload ran under pickle, and was refused by tinyfit: the last marker check saw no file.
    assert not os.path.exists(ns["marker"])
    # The killed and restarted run ended on the uninterrupted run's weights, and it was really killed.
    with np.load(ns["reference_weights"]) as a, np.load(ns["resumed_weights"]) as b:
        assert all(np.array_equal(a[name], b[name]) for name in a.files)
    assert len(ns["first"]) < 160 and ns["resumed"][0][:2] != (0, 0) and len(ns["resumed"]) < 160
    assert ns["steps"](ns["resumed"])[-1] == 160


def test_the_saved_lesson_shows_the_resumed_run_equal_and_its_figure():
    import nbformat

    cells = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code"]
    (compared,) = [c for c in cells if "final weights equal" in c.source]
    text = "".join(o.get("text", "") for o in compared.outputs)
    assert "final weights equal the uninterrupted run's: True" in text and "False" not in text
    (figure,) = [c for c in cells if "follows the uninterrupted one" in c.source]
    assert any("image/png" in o.get("data", {}) for o in figure.outputs)


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check, args", [("check_save_load", (_stub, _stub)), ("check_atomic_write", (_stub,)),
                                         ("check_pick_checkpoint", (_stub,))])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check, args):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](*args)


@pytest.mark.parametrize("marker", ["def save_by_hand(", "def write_text_atomically(", "def pick_checkpoint("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)  # each solution cell calls its check
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1: a model file by hand
def _class_name(keras, model):
    return "Sequential" if isinstance(model, keras.Sequential) else "Model"


def _write(path, config_bytes, arrays_bytes):
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("config.json", config_bytes)
        archive.writestr("weights.npz", arrays_bytes)


def _npz(arrays):
    buffer = io.BytesIO()
    np.savez(buffer, *arrays)
    return buffer.getvalue()


def _pair(keras, pickle_config=False, allow_pickle=False, kernels_only=False, trainable_only=False):
    """A save/load pair with one of the mistakes the lesson warns about."""
    classes = {"Sequential": keras.Sequential, "Model": keras.Model}

    def save(model, path):
        described = {"class_name": _class_name(keras, model), "config": model.get_config()}
        arrays = model.get_weights()
        if kernels_only:
            arrays = [a for a in arrays if a.ndim == 2]
        if trainable_only:
            arrays = [v.numpy() for v in model.trainable_weights]
        _write(path, pickle.dumps(described) if pickle_config else json.dumps(described), _npz(arrays))

    def load(path):
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("config.json")
            described = pickle.loads(raw) if pickle_config else json.loads(raw)
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=allow_pickle) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        model = classes[described["class_name"]].from_config(described["config"])
        if kernels_only:
            kernels = iter(arrays)
            model.set_weights([next(kernels) if w.ndim == 2 else w for w in model.get_weights()])
        elif trainable_only:
            for variable, array in zip(model.trainable_weights, arrays):
                variable.assign(array)
        else:
            model.set_weights(arrays)
        return model

    return save, load


def _without_config(keras):
    # Saves the arrays only; the loader guesses a stack of Dense layers from their shapes.
    def save(model, path):
        _write(path, json.dumps({"class_name": "Sequential", "config": {}}), _npz(model.get_weights()))

    def load(path):
        with zipfile.ZipFile(path) as archive:
            with np.load(io.BytesIO(archive.read("weights.npz"))) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        kernels = [a for a in arrays if a.ndim == 2]
        model = keras.Sequential([keras.Input(shape=(kernels[0].shape[0],))]
                                 + [keras.layers.Dense(k.shape[1]) for k in kernels])
        model.set_weights(arrays[:len(model.weights)])
        return model

    return save, load


def _library(keras):
    return (lambda model, path: model.save(path)), (lambda path: keras.models.load_model(path))


def _eval_class_name(keras):
    # Looks the class up by evaluating its name: the file chooses what runs.
    save, _ = _pair(keras)

    def load(path):
        with zipfile.ZipFile(path) as archive:
            described = json.loads(archive.read("config.json"))
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        Sequential, Model = keras.Sequential, keras.Model  # noqa: F841 (names for eval)
        model = eval(described["class_name"]).from_config(described["config"])
        model.set_weights(arrays)
        return model

    return save, load


def _json_or_pickle(keras):
    # Reads the config as JSON, and when that fails, as a pickle "to be safe".
    save, _ = _pair(keras)

    def load(path):
        with zipfile.ZipFile(path) as archive:
            raw = archive.read("config.json")
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        try:
            described = json.loads(raw)
        except ValueError:
            described = pickle.loads(raw)
        model = {"Sequential": keras.Sequential, "Model": keras.Model}[described["class_name"]].from_config(
            described["config"])
        model.set_weights(arrays)
        return model

    return save, load


def _keeps_the_model(keras):
    # Remembers the saved model object and hands it back.
    kept = {}
    save, load = _pair(keras)

    def remembering_save(model, path):
        kept[os.fspath(path)] = model
        save(model, path)

    return remembering_save, lambda path: kept[os.fspath(path)]


def _remembers_by_path(keras):
    # Keeps a copy of each saved model's config and weights by path, and builds from that copy.
    kept = {}
    save, _ = _pair(keras)

    def remembering_save(model, path):
        kept[os.fspath(path)] = (type(model), model.get_config(), model.get_weights())
        save(model, path)

    def load(path):
        cls, config, weights = kept[os.fspath(path)]
        model = cls.from_config(config)
        model.set_weights(weights)
        return model

    return remembering_save, load


def _always_sequential(keras):
    save, _ = _pair(keras)

    def load(path):
        with zipfile.ZipFile(path) as archive:
            described = json.loads(archive.read("config.json"))
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        model = keras.Sequential.from_config(described["config"])
        model.set_weights(arrays)
        return model

    return save, load


def _library_on_the_side(keras):
    # Writes the right file, but also has tinyfit save the model beside it.
    save, load = _pair(keras)

    def both(model, path):
        keras.saving.save_model(model, os.fspath(path) + ".side.tinyfit")
        save(model, path)

    return both, load


def _sorted_as_text(keras):
    save, _ = _pair(keras)
    classes = {"Sequential": keras.Sequential, "Model": keras.Model}

    def load(path):
        with zipfile.ZipFile(path) as archive:
            described = json.loads(archive.read("config.json"))
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
                arrays = [npz[name] for name in sorted(npz.files)]  # arr_10 sorts before arr_2
        model = classes[described["class_name"]].from_config(described["config"])
        model.set_weights(arrays)
        return model

    return save, load


def _as_float64(keras):
    _, load = _pair(keras)

    def save(model, path):
        described = {"class_name": _class_name(keras, model), "config": model.get_config()}
        _write(path, json.dumps(described), _npz([w.astype("float64") for w in model.get_weights()]))

    return save, load


def _substring_class_name(keras):
    save, _ = _pair(keras)

    def load(path):  # never runs code, but takes any class name that mentions Sequential
        with zipfile.ZipFile(path) as archive:
            described = json.loads(archive.read("config.json"))
            with np.load(io.BytesIO(archive.read("weights.npz")), allow_pickle=False) as npz:
                arrays = [npz[f"arr_{i}"] for i in range(len(npz.files))]
        cls = keras.Sequential if "Sequential" in described["class_name"] else keras.Model
        model = cls.from_config(described["config"])
        model.set_weights(arrays)
        return model

    return save, load


WRONG_FILES = {
    "remembers the saved models by path": _remembers_by_path,
    "always builds a Sequential": _always_sequential,
    "has tinyfit save a copy on the side": _library_on_the_side,
    "forgets the biases": lambda keras: _pair(keras, kernels_only=True),
    "forgets BatchNormalization's moving statistics": lambda keras: _pair(keras, trainable_only=True),
    "forgets the config": _without_config,
    "unpickles the config": lambda keras: _pair(keras, pickle_config=True),
    "np.load(allow_pickle=True)": lambda keras: _pair(keras, allow_pickle=True),
    "falls back to pickle for the config": _json_or_pickle,
    "evaluates the class name": _eval_class_name,
    "calls model.save / load_model": _library,
    "returns the saved model object": _keeps_the_model,
    "reads arr_<i> in text order (arr_10 before arr_2)": _sorted_as_text,
    "stores the arrays as float64": _as_float64,
    "any class name containing Sequential": _substring_class_name,
}


@pytest.mark.parametrize("mistake", list(WRONG_FILES))
def test_save_load_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_save_load"](*WRONG_FILES[mistake](ns["keras"]))


@pytest.mark.parametrize("mistake, message", [("np.load(allow_pickle=True)", r"ran code from a file with a pickle "
                                                                              r"payload in weights\.npz"),
                                              ("unpickles the config", r"config\.json is not JSON"),
                                              ("falls back to pickle for the config",
                                               r"ran code .*pickle payload as config\.json"),
                                              ("evaluates the class name", r"ran code .*class name that is Python"),
                                              ("forgets the biases", r"does not hold every array of model\.get_weights\(\)")])
def test_save_load_check_says_what_went_wrong(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_save_load"](*WRONG_FILES[mistake](ns["keras"]))


def test_save_load_check_accepts_another_correct_form(ns, capsys):
    keras = ns["keras"]

    def save(model, path):
        config = {"class_name": type(model).__name__ if isinstance(model, keras.Sequential) else "Model",
                  "config": model.get_config()}
        named = {f"w{i:03d}": w for i, w in enumerate(model.get_weights())}
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            with archive.open("config.json", "w") as member:
                member.write(json.dumps(config, indent=1).encode("utf-8"))
            with archive.open("weights.npz", "w") as member:
                buffer = io.BytesIO()
                np.savez_compressed(buffer, **named)
                member.write(buffer.getvalue())

    def load(path):
        archive = zipfile.ZipFile(path)
        try:
            config = json.loads(archive.read("config.json").decode("utf-8"))
            npz = np.load(io.BytesIO(archive.read("weights.npz")))  # allow_pickle is False by default
            # by number (w007, or arr_10 after arr_9 in a file written with np.savez), not as text
            weights = [npz[name] for name in sorted(npz.files, key=lambda name: int(re.sub(r"\D", "", name)))]
        finally:
            archive.close()
        table = {"Sequential": keras.Sequential, "Model": keras.Model}
        if config["class_name"] not in table:
            raise ValueError(f"unknown class {config['class_name']!r}")
        model = table[config["class_name"]].from_config(config["config"])
        model.set_weights(weights)
        return model

    ns["check_save_load"](save, load)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2: an atomic write
def _truncate_first(path, text):
    with open(path, "w") as f:
        f.write(text)


def _replace_before_closing(path, text):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        f.write(text)
        os.replace(temporary, path)  # the bytes are still in Python's buffer


def _copy_from_temporary(path, text):
    temporary = f"{path}.tmp"
    with open(temporary, "w") as f:
        f.write(text)
    shutil.copyfile(temporary, path)  # copying writes over the target in place
    os.remove(temporary)


def _appends(path, text):
    temporary = f"{path}.tmp"
    if os.path.exists(path):
        shutil.copyfile(path, temporary)
    with open(temporary, "a") as f:
        f.write(text)
    os.replace(temporary, path)


def _leaves_a_copy(path, text):
    with open(f"{path}.new", "w") as f:
        f.write(text)
    shutil.copy2(f"{path}.new", f"{path}.tmp")
    os.replace(f"{path}.tmp", path)


def _remove_then_rename(path, text):
    with open(f"{path}.tmp", "w") as f:
        f.write(text)
    if os.path.exists(path):
        os.remove(path)  # a moment with no file at all
    os.rename(f"{path}.tmp", path)


def _temporary_in_the_default_folder(path, text):
    fd, temporary = tempfile.mkstemp()  # in tempfile's folder: maybe another file system than the target's
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(temporary, path)


def _truncates_in_a_thread(path, text):
    worker = threading.Thread(target=_truncate_first, args=(path, text))
    worker.start()
    worker.join()


def _ascii_only(path, text):
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="ascii", errors="replace") as f:
        f.write(text)
    os.replace(temporary, path)


def _temporary_in_slash_tmp(path, text):
    fd, temporary = tempfile.mkstemp(dir="/tmp")  # another folder, named outright
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    shutil.move(temporary, path)


def _temporary_in_the_parent_folder(path, text):
    folder = os.path.dirname(os.path.abspath(path))
    temporary = os.path.join(os.path.dirname(folder), os.path.basename(path) + ".tmp")
    with open(temporary, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(temporary, path)


def _without_fsync(path, text):
    fd, temporary = tempfile.mkstemp(dir=os.path.dirname(os.path.abspath(path)))
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)  # closed, but not on the disk yet
    os.replace(temporary, path)


WRONG_WRITES = {
    "makes its temporary file in tempfile's default folder": _temporary_in_the_default_folder,
    "truncates the target from a thread": _truncates_in_a_thread,
    "writes ASCII only": _ascii_only,
    "opens the target for writing (truncates first)": _truncate_first,
    "replaces before the file is closed": _replace_before_closing,
    "copies the temporary over the target": _copy_from_temporary,
    "appends to the old content": _appends,
    "leaves a temporary behind": _leaves_a_copy,
    "removes the old file, then renames": _remove_then_rename,
    "makes its temporary file in /tmp": _temporary_in_slash_tmp,
    "makes its temporary file in the parent folder": _temporary_in_the_parent_folder,
    "never calls os.fsync": _without_fsync,
}


@pytest.mark.parametrize("mistake", list(WRONG_WRITES))
def test_atomic_write_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_atomic_write"](WRONG_WRITES[mistake])


def test_atomic_write_check_names_what_a_kill_would_leave(ns):
    with pytest.raises(AssertionError, match="an empty file"):
        ns["check_atomic_write"](_truncate_first)


def test_atomic_write_check_says_another_folder_or_no_fsync(ns):
    with pytest.raises(AssertionError, match="in another folder than the file's own"):
        ns["check_atomic_write"](_temporary_in_slash_tmp)
    with pytest.raises(AssertionError, match="os.fsync"):
        ns["check_atomic_write"](_without_fsync)


def test_atomic_write_check_accepts_a_named_temporary_file(ns, capsys):
    def write_text_atomically(path, text):
        folder = os.path.dirname(os.path.abspath(path))
        with tempfile.NamedTemporaryFile("wb", dir=folder, delete=False) as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(f.name, path)

    ns["check_atomic_write"](write_text_atomically)
    assert "Well done" in capsys.readouterr().out


def test_atomic_write_check_rejects_calling_tinyfit(ns):
    from tinyfit.saving.atomic import atomic_write

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_atomic_write"](lambda path, text: atomic_write(path, text.encode()))


def test_atomic_write_check_accepts_another_correct_form(ns, capsys):
    def write_text_atomically(path, text):
        path = Path(path)
        temporary = path.with_name(path.name + ".incoming")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            os.write(fd, text.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.rename(temporary, path)

    ns["check_atomic_write"](write_text_atomically)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3: which checkpoint
def _loads(keras, path):
    try:
        keras.models.load_model(path)
    except ValueError:
        return False
    return True


def _by_name(keras):
    def pick(folder):
        names = sorted((n for n in os.listdir(folder) if n.startswith("ckpt-") and n.endswith(".tinyfit")),
                       reverse=True)  # "ckpt-9" after "ckpt-12" as text
        return next((os.path.join(folder, n) for n in names if _loads(keras, os.path.join(folder, n))), None)

    return pick


def _highest_without_loading(keras):
    def pick(folder):
        epochs = [int(m.group(1)) for n in os.listdir(folder) if (m := re.fullmatch(r"ckpt-(\d+)\.tinyfit", n))]
        return os.path.join(folder, f"ckpt-{max(epochs)}.tinyfit") if epochs else None

    return pick


def _newest_by_time(keras):
    def pick(folder):
        paths = [os.path.join(folder, n) for n in os.listdir(folder) if re.fullmatch(r"ckpt-\d+\.tinyfit", n)]
        loadable = [p for p in paths if _loads(keras, p)]
        return max(loadable, key=os.path.getmtime) if loadable else None

    return pick


def _guide_ctime(keras):
    # The Keras guide's make_or_restore_model choice.
    def pick(folder):
        paths = [os.path.join(folder, n) for n in os.listdir(folder)]
        return max(paths, key=os.path.getctime) if paths else None

    return pick


def _any_name_with_an_epoch(keras):
    def pick(folder):
        found = {}
        for name in os.listdir(folder):
            match = re.search(r"ckpt-(\d+)\.tinyfit", name)
            if match:
                found[int(match.group(1))] = name  # "ckpt-7.tinyfit.bak" counts as epoch 7
        for epoch in sorted(found, reverse=True):
            if _loads(keras, os.path.join(folder, found[epoch])):
                return os.path.join(folder, found[epoch])
        return None

    return pick


def _returns_the_name(keras):
    def pick(folder):
        epochs = sorted((int(m.group(1)) for n in os.listdir(folder)
                         if (m := re.fullmatch(r"ckpt-(\d+)\.tinyfit", n))), reverse=True)
        for epoch in epochs:
            if _loads(keras, os.path.join(folder, f"ckpt-{epoch}.tinyfit")):
                return f"ckpt-{epoch}.tinyfit"
        return None

    return pick


def _remembers_the_first_folder(keras):
    memo = {}

    def pick(folder):
        if "answer" not in memo:
            memo["answer"] = _highest_that_loads(keras, folder)
        answer = memo["answer"]
        return None if answer is None else os.path.join(folder, os.path.basename(answer))

    return pick


def _highest_that_loads(keras, folder):
    epochs = sorted((int(m.group(1)) for n in os.listdir(folder)
                     if (m := re.fullmatch(r"ckpt-(\d+)\.tinyfit", n))), reverse=True)
    for epoch in epochs:
        if _loads(keras, os.path.join(folder, f"ckpt-{epoch}.tinyfit")):
            return os.path.join(folder, f"ckpt-{epoch}.tinyfit")
    return None


def _deletes_the_damaged(keras):
    def pick(folder):
        for name in os.listdir(folder):
            if re.fullmatch(r"ckpt-(\d+)\.tinyfit", name) and not _loads(keras, os.path.join(folder, name)):
                os.remove(os.path.join(folder, name))  # "cleaning up" the user's folder
        return _highest_that_loads(keras, folder)

    return pick


def _the_lessons_answer(keras):
    return lambda folder: os.path.join(folder, "ckpt-9.tinyfit")


def _epochs(folder):
    return sorted(int(m.group(1)) for name in os.listdir(folder) if (m := re.fullmatch(r"ckpt-(\d+)\.tinyfit", name)))


def _top_two_only(keras):
    def pick(folder):  # loads the newest; if it is damaged, trusts the one before without loading it
        epochs = _epochs(folder)
        if not epochs:
            return None
        newest = os.path.join(folder, f"ckpt-{epochs[-1]}.tinyfit")
        if _loads(keras, newest) is not False:
            return newest
        return os.path.join(folder, f"ckpt-{epochs[-2]}.tinyfit") if len(epochs) > 1 else None

    return pick


def _first_that_is_a_zip(keras):
    def pick(folder):
        for epoch in reversed(_epochs(folder)):
            path = os.path.join(folder, f"ckpt-{epoch}.tinyfit")
            if zipfile.is_zipfile(path):
                return path
        return None

    return pick


def _first_whose_zip_tests_clean(keras):
    def pick(folder):
        for epoch in reversed(_epochs(folder)):
            path = os.path.join(folder, f"ckpt-{epoch}.tinyfit")
            try:
                with zipfile.ZipFile(path) as archive:
                    if archive.testzip() is None:
                        return path
            except (zipfile.BadZipFile, OSError):
                pass
        return None

    return pick


def _largest_file(keras):
    def pick(folder):  # a damaged file is shorter than a whole one, or so it assumes
        epochs = _epochs(folder)
        if not epochs:
            return None
        paths = [os.path.join(folder, f"ckpt-{epoch}.tinyfit") for epoch in epochs]
        size = max(os.path.getsize(p) for p in paths)
        return [p for p in paths if os.path.getsize(p) == size][-1]

    return pick


WRONG_PICKS = {
    "remembers the first folder's answer": _remembers_the_first_folder,
    "deletes the damaged checkpoints": _deletes_the_damaged,
    "a hard-coded name": _the_lessons_answer,
    "sorted by name": _by_name,
    "the highest epoch, loadable or not": _highest_without_loading,
    "the newest by time": _newest_by_time,
    "the guide's newest by ctime": _guide_ctime,
    "names that merely contain ckpt-<n>.tinyfit": _any_name_with_an_epoch,
    "the name, not the path": _returns_the_name,
    "loads the newest only, else trusts the one before": _top_two_only,
    "the highest that is a zip archive": _first_that_is_a_zip,
    "the highest whose zip checksums hold": _first_whose_zip_tests_clean,
    "the highest of the largest size": _largest_file,
}


@pytest.mark.parametrize("mistake", list(WRONG_PICKS))
def test_pick_checkpoint_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_pick_checkpoint"](WRONG_PICKS[mistake](ns["keras"]))


def test_pick_checkpoint_check_accepts_another_correct_form(ns, capsys):
    keras = ns["keras"]

    def pick_checkpoint(folder):
        best_epoch, best_path = -1, None
        for entry in os.scandir(folder):
            stem, dot, suffix = entry.name.partition(".")
            if suffix != "tinyfit" or not stem.startswith("ckpt-") or not stem[5:].isdigit():
                continue
            epoch = int(stem[5:])
            if epoch > best_epoch and _loads(keras, entry.path):
                best_epoch, best_path = epoch, entry.path
        return best_path

    ns["check_pick_checkpoint"](pick_checkpoint)
    assert "Well done" in capsys.readouterr().out
