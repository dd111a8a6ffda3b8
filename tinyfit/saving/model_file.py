"""model.save / load_model / save_weights / load_weights: which format a path means, and each one's I/O.

A model file holds the model's config, its compile config, its weights and its optimizer's
state, so a loaded compiled model continues training where the saved one stopped. A weights
file holds the weights, checked against the model they load into.

Writing picks the format by suffix, as Keras 3 does: `.keras` is Keras 3's own zip (see
keras_file.py), `.weights.h5` Keras 3's HDF5 weights (keras_h5.py); any other suffix
(`.tinyfit` by convention) is tinyfit's own archive (archive.py). Reading picks it by content:
the file says what it is, whatever its name.
"""

from __future__ import annotations

import os
from typing import Any

from .archive import ArrayCountError, read_archive, write_archive
from .build_config import checked_build_config, rebuild_model
from .serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["save_model", "load_model", "save_weights", "load_weights"]

_COMPILE_KEYS = ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")
_FAMILY = {"optimizer": "optimizer", "loss": "loss", "loss_weights": None, "metrics": "metric",
           "weighted_metrics": "metric"}


def _serialize_argument(value: Any) -> Any:
    # Names stay names so compile() resolves them as it did ("accuracy" picks its variant from the
    # targets); lists and per-output dicts keep their shape; objects become their configs.
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_serialize_argument(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _serialize_argument(item) for key, item in value.items()}
    return serialize_keras_object(value)


def _deserialize_argument(value: Any, custom_objects: dict | None, family: str | None) -> Any:
    if isinstance(value, list):
        return [_deserialize_argument(item, custom_objects, family) for item in value]
    if isinstance(value, dict) and "class_name" not in value:
        return {key: _deserialize_argument(item, custom_objects, family) for key, item in value.items()}
    if isinstance(value, dict):
        return deserialize_keras_object(value, custom_objects, family=family)
    return value


def _compile_config(model: Any) -> dict | None:
    if not getattr(model, "compiled", False):
        return None
    arguments = getattr(model, "_compile_arguments", None) or {}
    config = {}
    for key in _COMPILE_KEYS:
        value = model.optimizer if key == "optimizer" else arguments.get(key)
        try:
            config[key] = _serialize_argument(value)
        except (TypeError, ValueError) as error:
            raise ValueError(f"model.save: the compile argument {key}= cannot be saved: {error}") from None
    return config


def _optimizer_state(model: Any) -> list:
    optimizer = _built_optimizer(model)
    return [] if optimizer is None else [variable.numpy() for variable in optimizer.variables]


_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


def _suffix(filepath: str | os.PathLike) -> str:
    return os.fspath(filepath).lower()


def _refuse_h5_model(filepath: str | os.PathLike) -> None:
    path = os.fspath(filepath)
    if _suffix(path).endswith((".h5", ".hdf5")):
        raise ValueError(
            f"model.save('{path}'): a whole model is not saved as HDF5 (Keras 2's legacy format, which Keras 3 "
            f"and tinyfit do not write). Use model.save('model.keras') for Keras 3's format, "
            f"model.save('model.tinyfit') for tinyfit's own, or model.save_weights('model.weights.h5') for "
            f"the weights alone in Keras 3's HDF5 layout.")


def _built_optimizer(model: Any) -> Any:
    optimizer = getattr(model, "optimizer", None) if getattr(model, "compiled", False) else None
    if optimizer is not None and not optimizer.built:
        # Built here as fit() would build it, so every compiled file holds the same state layout.
        optimizer.build(model.trainable_variables)
    return optimizer


def _check_overwrite(filepath: str | os.PathLike, overwrite: bool, call: str) -> None:
    if not isinstance(overwrite, bool):
        raise TypeError(f"{call}('{os.fspath(filepath)}', overwrite=...): overwrite must be True or False, "
                        f"got {overwrite!r}.")
    if not overwrite and os.path.exists(filepath):
        # Keras asks at a prompt here; a notebook cell that waits for input is easy to miss, so refuse.
        raise ValueError(f"{call}('{os.fspath(filepath)}', overwrite=False): the file exists and was left as "
                         "it is. Pass overwrite=True to replace it, or choose another path.")


def save_model(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Writes the model (config, compile config, weights, optimizer state) to one file, atomically.

    A path ending in `.keras` gets Keras 3's format; any other (`.tinyfit` by convention) tinyfit's.
    With `overwrite=False`, an existing file is left alone and the call raises a ValueError.
    """
    _check_overwrite(filepath, overwrite, "save_model")
    _refuse_h5_model(filepath)
    if _suffix(filepath).endswith(".keras"):
        from .keras_file import save_keras_model
        try:
            compile_config = _compile_config(model)
            save_keras_model(model, filepath, compile_config, _built_optimizer(model))
        except (TypeError, NotImplementedError) as error:
            raise ValueError(f"model.save('{os.fspath(filepath)}'): the model's config cannot be saved: {error}") from None
        return
    try:
        config = serialize_keras_object(model)
    except (TypeError, ValueError, NotImplementedError) as error:
        raise ValueError(f"model.save('{os.fspath(filepath)}'): the model's config cannot be saved: {error}") from None
    build = getattr(model, "get_build_config", lambda: None)()
    if build is not None and isinstance(config, dict):
        config["build_config"] = build  # a subclassed model's weights exist only once built
    write_archive(filepath, config, _compile_config(model),
                  {"weights": model.get_weights(), "optimizer": _optimizer_state(model)})


def _labelled(variables: list) -> list:
    return [(f"variable '{v.path}'", tuple(v.shape)) for v in variables]


def compile_from_config(model: Any, compile_config: dict, custom_objects: dict | None) -> None:
    """Compiles `model` as `compile_config` (tinyfit's form) says, and builds its optimizer."""
    # Each argument's own family: "MeanSquaredError" names both a loss and a metric.
    arguments = {key: _deserialize_argument(compile_config.get(key), custom_objects, _FAMILY[key])
                 for key in _COMPILE_KEYS}
    model.compile(**arguments)
    model.optimizer.build(model.trainable_variables)


def _kind_of_file(path: str) -> str:
    """"keras", "hdf5" or "tinyfit": what the file's content says it is (not its name)."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No file at '{path}'. Check the path (a model is saved with model.save(path)).")
    if os.path.isdir(path):
        raise ValueError(f"Refusing to load '{path}': it is a folder; a model is one file.")
    with open(path, "rb") as f:
        head = f.read(8)
    if head == _HDF5_SIGNATURE:
        return "hdf5"
    import zipfile
    try:
        with zipfile.ZipFile(path) as archive:
            from .keras_file import is_keras_zip
            return "keras" if is_keras_zip(archive.namelist()) else "tinyfit"
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return "tinyfit"  # the archive reader says what is wrong with it


def _hdf5_is_not_a_model(path: str) -> ValueError:
    """The refusal for load_model of an HDF5 file: Keras 2's legacy model, or weights alone."""
    legacy = True
    try:
        import h5py
        with h5py.File(path, "r") as f:
            # Keras 2 wrote the model's config as a root attribute; weights files have none.
            legacy = "model_config" in f.attrs
    except (ImportError, OSError, ValueError):
        pass
    if not legacy:
        return ValueError(f"'{path}' holds only weights (written by save_weights), not a model. Build the model "
                          f"as it was, then call model.load_weights({path!r}).")
    return ValueError(
        f"Refusing to load '{path}': it is an HDF5 model file, Keras 2's legacy format, which tinyfit does not "
        f"read (it reads Keras 3's .keras and .weights.h5 files, and its own). Convert it once: load it in Keras "
        f"(keras.models.load_model) and save it with model.save('model.keras').")


def load_model(filepath: str | os.PathLike, custom_objects: dict | None = None, compile: bool = True) -> Any:
    """Loads a model written by `model.save`, in tinyfit's format or Keras 3's `.keras`.

    Args:
        filepath: the file.
        custom_objects: {name: class or function} for your own objects that are not
            registered with `keras.saving.register_keras_serializable`.
        compile: compile the model as it was saved and restore its optimizer's state.

    Returns:
        The model, with its weights (and, compiled, its optimizer's state).
    """
    built = {}
    path = os.fspath(filepath)
    kind = _kind_of_file(path)
    if kind == "hdf5":
        raise _hdf5_is_not_a_model(path)
    if kind == "keras":
        from .keras_file import load_keras_model
        return load_keras_model(path, custom_objects, compile, compile_from_config)

    def shapes(config: Any, compile_config: Any, held: dict) -> dict:
        _check_is_a_model(path, config)
        shapes = None
        if isinstance(config, dict) and "build_config" in config:
            config = dict(config)
            shapes = checked_build_config(path, config.pop("build_config"))
        # Every number of a weight takes at least one byte of the file's arrays: the config may not ask for more.
        compiling = compile and bool(compile_config)
        model = rebuild_model(path, config, held["weights"], custom_objects, shapes, compile_model=(
            (lambda model: compile_from_config(model, compile_config, custom_objects)) if compiling else None))
        expected = {"weights": _labelled(model.weights)}
        if compiling:
            expected["optimizer"] = _labelled(model.optimizer.variables)
            built["compiled"] = True
        built["model"] = model
        return expected

    try:
        _, _, arrays = read_archive(filepath, shapes)
    except ArrayCountError as error:
        if error.group != "weights":
            raise
        model = built["model"]
        if not model.weights and not getattr(model, "built", True):
            raise ValueError(
                f"Refusing to load '{path}': it holds {error.found} weight arrays, but the model its config "
                f"rebuilds ({type(model).__name__} {model.name!r}) has none yet: a subclassed model creates its "
                f"weights when first called, and its config does not say on what input. Save its weights with "
                f"model.save_weights(path); to load, build the model, call it on one batch, then "
                f"model.load_weights(path).") from None
        raise ValueError(
            f"Refusing to load '{path}': it holds {error.found} weight arrays, but the model its config builds "
            f"({type(model).__name__} {model.name!r}) has {error.expected}. The file is damaged or was not "
            f"written by model.save.") from None
    model = built["model"]
    model.set_weights(arrays["weights"])
    if built.get("compiled"):
        model.optimizer.load_own_variables({str(i): a for i, a in enumerate(arrays["optimizer"])})
    return model


_CALL_FIRST = " (a subclassed model: call it on one batch first, so that it creates its weights)"


def _check_is_a_model(path: str, config: Any) -> None:
    """Refuses, with the fix, the other files tinyfit writes in the same format."""
    if isinstance(config, dict) and "weights_of" in config:
        raise ValueError(f"'{path}' holds only weights (written by save_weights), not a model. Build the model "
                         f"as it was, then call model.load_weights({path!r}); or save the whole model with "
                         f"model.save(path).")
    if isinstance(config, dict) and config.get("format") == "tinyfit training backup":
        raise ValueError(f"'{path}' is a training backup (written by BackupAndRestore), not a model: fit() "
                         f"resumes from it when given BackupAndRestore with the same backup_dir. To take its "
                         f"weights, build the model and call model.load_weights({path!r}).")


def save_weights(model: Any, filepath: str | os.PathLike, overwrite: bool = True) -> None:
    """Writes the model's weights, with their names and shapes, to one file, atomically.

    A path ending in `.weights.h5` gets Keras 3's HDF5 layout; any other (e.g. `.weights.tinyfit`)
    tinyfit's archive. With `overwrite=False`, an existing file is left alone (a ValueError).
    """
    _check_overwrite(filepath, overwrite, "save_weights")
    path = os.fspath(filepath)
    if _suffix(path).endswith(".weights.h5"):
        from .atomic import atomic_write
        from .keras_h5 import write_weights_h5
        atomic_write(path, write_weights_h5(model))
        return
    if _suffix(path).endswith((".h5", ".hdf5")):
        raise ValueError(
            f"save_weights('{path}'): an HDF5 weights file must end in '.weights.h5', as in Keras 3 "
            f"(e.g. model.save_weights('model.weights.h5')); tinyfit's own format takes any other suffix "
            f"(e.g. 'model.weights.tinyfit').")
    names = [[v.path, list(v.shape)] for v in model.weights]
    write_archive(filepath, {"weights_of": model.name, "variables": names}, None,
                  {"weights": model.get_weights()})


def load_weights(model: Any, filepath: str | os.PathLike) -> None:
    """Loads weights written by `save_weights` (or `model.save`) into a model of the same architecture."""
    filepath = os.fspath(filepath)
    kind = _kind_of_file(filepath)
    if kind in ("hdf5", "keras"):
        from .keras_file import read_weights_bytes
        from .keras_h5 import read_weights_h5
        model.set_weights(read_weights_h5(filepath, read_weights_bytes(filepath, kind), model)[0])
        return
    own = [[v.path, list(v.shape)] for v in model.weights]

    def shapes(config: Any, compile_config: Any, held: dict) -> dict:
        saved = config.get("variables") if isinstance(config, dict) and "weights_of" in config else None
        if saved is not None and not (isinstance(saved, list) and all(
                isinstance(item, list) and len(item) == 2 and isinstance(item[1], list) for item in saved)):
            raise ValueError(f"Refusing to load '{filepath}': its list of variables is damaged (each entry must be "
                             f"[name, shape]). Save the weights again with model.save_weights(path).")
        if saved is not None and [shape for _, shape in saved] != [shape for _, shape in own]:
            rows = [f"  {i}: saved {s!r} / model {o!r}" for i, (s, o) in
                    enumerate(zip(saved + [None] * len(own), own + [None] * len(saved))) if s != o][:20]
            raise ValueError(
                f"load_weights('{filepath}'): the file holds {len(saved)} weights, model '{model.name}' has "
                f"{len(own)}, and they differ ([name, shape]):\n" + "\n".join(rows) +
                "\nBuild the model exactly as the one whose weights were saved" + _CALL_FIRST * (not own) + ".")
        return {"weights": [(f"model '{model.name}' variable '{name}'", shape) for name, shape in own]}

    try:
        _, _, arrays = read_archive(filepath, shapes)
    except ArrayCountError as error:
        if error.group != "weights":
            raise
        listed = ", ".join(f"{name} {tuple(shape)}" for name, shape in own[:8]) + (", ..." if len(own) > 8 else "")
        raise ValueError(
            f"load_weights('{filepath}'): the file holds {error.found} weight arrays, model '{model.name}' has "
            f"{len(own)} ({listed or 'none'}). Build the model exactly as the one whose weights were saved"
            + _CALL_FIRST * (not own) + ".") from None
    model.set_weights(arrays["weights"])
