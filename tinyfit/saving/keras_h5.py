"""Weights in Keras 3's HDF5 layout (model.weights.h5 inside a .keras file, or a .weights.h5 file).

Keras walks a model and writes each layer's own variables as datasets `0`, `1`, ... of a group
`<path>/vars` (its attribute `name` holds the layer's name); keras_paths.py gives the paths
(`layers/dense_1/vars`, `block/sublayer/vars`, ...). A compiled model's optimizer state is
`optimizer/vars/<i>`, in Keras's order of the optimizer's variables.

Files are read as hostile data, from bytes in memory (nothing is extracted to disk): every link
must be a plain (hard) link, every object a group or a dataset, counts and sizes are capped, and
each dataset is checked (numeric dtype, the shape of the variable it loads into, no external or
virtual storage) before it is read. Every refusal is a ValueError naming the file and the fix.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from .. import backend
from .keras_order import keras_trainable_variables
from .keras_paths import weight_groups

__all__ = ["require_h5py", "weight_groups", "keras_optimizer_variables", "write_weights_h5", "read_weights_h5"]

MAX_OBJECTS = 100_000
MAX_DEPTH = 32
MAX_DATASET_BYTES = 4 * 2**30
_ALLOWED_SIZES = {"b": (1,), "i": (1, 2, 4, 8), "u": (1, 2, 4, 8), "f": (2, 4, 8)}

# Keras's order of an optimizer's slots: each tuple is one add_optimizer_variables call, whose
# slots interleave variable by variable (momentum of w0, velocity of w0, momentum of w1, ...).
_KERAS_SLOT_ORDER = {
    "Adam": (("momentum", "velocity"), ("velocity_hat",)),
    "AdamW": (("momentum", "velocity"), ("velocity_hat",)),
    "Nadam": (("momentum", "velocity"),),
    "Adamax": (("momentum", "norm"),),
    "SGD": (("momentum",),),
    "RMSprop": (("velocity",), ("momentum",), ("average_gradient",)),
    "Adagrad": (("accumulator",),),
    "Adadelta": (("accumulated_grad", "accumulated_delta_var"),),
    "Ftrl": (("accumulator", "linear"),),
    "Lion": (("momentum",),),
}


def require_h5py(what: str) -> Any:
    """h5py, imported on first use; without it, an ImportError that says how to get it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            f"{what} needs h5py, which Keras 3's .keras and .weights.h5 formats are written in. Install it "
            f"with pip install \"tinyfit[h5]\" (or pip install h5py), or use tinyfit's own format, which "
            f"needs nothing more: model.save('model.tinyfit') / model.save_weights('model.weights.tinyfit')."
        ) from None
    return h5py


def keras_optimizer_variables(optimizer: Any, model: Any) -> list:
    """The optimizer's variables in the order Keras 3 keeps the same optimizer's for `model`."""
    own = list(optimizer.variables)
    order = _KERAS_SLOT_ORDER.get(type(optimizer).__name__)
    slots = getattr(optimizer, "_slot_of", {})
    if order is None or not optimizer.built:
        return own
    rate = [optimizer._learning_rate] if any(v is optimizer._learning_rate for v in own) else []
    ordered = [optimizer.iterations, *rate]
    # Keras builds the optimizer on the model's trainable variables in its own layer order.
    known = {id(v) for v in optimizer._trainable_variables}
    trainables = [v for v in keras_trainable_variables(model) if id(v) in known]
    listed = {id(v) for v in trainables}
    trainables += [v for v in optimizer._trainable_variables if id(v) not in listed]
    for names in order:
        for variable in trainables:
            ordered += [slots[name, id(variable)] for name in names if (name, id(variable)) in slots]
    placed = {id(v) for v in ordered}
    ordered += [v for v in own if id(v) not in placed]  # e.g. Nadam's u_product, last in both
    return ordered if sorted(map(id, ordered)) == sorted(map(id, own)) else own


def write_weights_h5(model: Any, optimizer: Any = None) -> bytes:
    """The model's weights (and the optimizer's state, when given) as HDF5 bytes in Keras's layout."""
    h5py = require_h5py("Writing Keras 3's HDF5 weights")
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name, variables in weight_groups(model):
            group = f.require_group(path)
            group.attrs["name"] = name
            for i, variable in enumerate(variables):
                group.create_dataset(str(i), data=backend.to_numpy(variable.data))
        if optimizer is not None:
            group = f.require_group("optimizer/vars")
            group.attrs["name"] = optimizer.name
            for i, variable in enumerate(keras_optimizer_variables(optimizer, model)):
                array = backend.to_numpy(variable.data)
                if variable is optimizer.iterations and abs(int(array)) < 2**31:
                    array = array.astype(np.int32)  # Keras counts steps in int32
                group.create_dataset(str(i), data=array)
    return buffer.getvalue()


# ---------------------------------------------------------------- reading


def _refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to load '{path}': {cause}")


def _audit(h5py: Any, path: str, root: Any) -> None:
    """Every link under `root` is a hard link to a group or a dataset, within the caps."""
    count = 0

    def visit(group: Any, depth: int) -> None:
        nonlocal count
        if depth > MAX_DEPTH:
            raise _refuse(path, f"its HDF5 groups nest deeper than {MAX_DEPTH} levels.")
        for key in group.keys():
            count += 1
            if count > MAX_OBJECTS:
                raise _refuse(path, f"it holds over {MAX_OBJECTS} HDF5 objects.")
            link = group.get(key, getlink=True)
            where = f"{group.name.rstrip('/')}/{key}"
            if not isinstance(link, h5py.HardLink):
                raise _refuse(path, f"HDF5 entry '{where}' is a {type(link).__name__} (a link to elsewhere, "
                                    f"possibly another file); a weights file holds its data itself. Save the "
                                    f"model again with model.save() or model.save_weights().")
            item = group[key]
            if isinstance(item, h5py.Group):
                visit(item, depth + 1)
            elif not isinstance(item, h5py.Dataset):
                raise _refuse(path, f"HDF5 entry '{where}' is a {type(item).__name__}, not a group or a dataset.")

    visit(root, 0)


def _read_dataset(h5py: Any, path: str, group: Any, key: str, variable: Any, owner: str) -> np.ndarray:
    where = f"{group.name}/{key}"
    dataset = group[key]
    dtype = dataset.dtype
    if dtype.hasobject or dtype.names is not None or dtype.subdtype is not None \
            or dtype.itemsize not in _ALLOWED_SIZES.get(dtype.kind, ()):
        raise _refuse(path, f"dataset '{where}' ({owner}) has dtype {dtype}; only bool, int, uint and float "
                            f"arrays are read as weights.")
    if dataset.is_virtual or dataset.external:
        raise _refuse(path, f"dataset '{where}' ({owner}) keeps its data outside the file (virtual or external "
                            f"storage); a weights file holds its data itself.")
    want = tuple(variable.shape)
    if tuple(dataset.shape) != want:
        raise _refuse(path, f"dataset '{where}' has shape {tuple(dataset.shape)} but {owner} expects {want}. "
                            f"Build the model exactly as the one whose weights were saved.")
    if dataset.size * dtype.itemsize > MAX_DATASET_BYTES:
        raise _refuse(path, f"dataset '{where}' is over {MAX_DATASET_BYTES} bytes.")
    try:
        array = np.asarray(dataset[()])
    except (OSError, ValueError, RuntimeError) as error:
        raise _refuse(path, f"dataset '{where}' cannot be read ({error}); the file is damaged or truncated.") from None
    return array.astype(backend.to_numpy(variable.data).dtype, copy=False)


def _read_group(h5py: Any, path: str, f: Any, group_path: str, name: str, variables: list,
                owner: str) -> list[np.ndarray]:
    if group_path not in f or not isinstance(f[group_path], h5py.Group):
        if not variables:
            return []
        raise _refuse(path, f"it has no group '{group_path}' for {owner} (with {len(variables)} weights). "
                            f"The file was saved from a different architecture; build the model exactly as "
                            f"the one whose weights were saved.")
    group = f[group_path]
    keys = sorted(group.keys(), key=lambda k: (len(k), k))
    if keys != [str(i) for i in range(len(variables))]:
        raise _refuse(path, f"group '{group_path}' ({owner}) holds {len(keys)} arrays ({', '.join(keys[:8]) or 'none'}) "
                            f"but {owner} has {len(variables)} weights. The file was saved from a different "
                            f"architecture; build the model exactly as the one whose weights were saved.")
    return [_read_dataset(h5py, path, group, str(i), v, owner) for i, v in enumerate(variables)]


def open_h5(path: str, data: bytes) -> Any:
    """An h5py File over `data` (bytes in memory), after checking the HDF5 signature."""
    h5py = require_h5py(f"Loading '{path}'")
    if not data.startswith(b"\x89HDF\r\n\x1a\n"):
        raise _refuse(path, "it is not an HDF5 file (no HDF5 signature at its start). Keras 3's weights are "
                            "saved with model.save_weights('model.weights.h5').")
    try:
        return h5py.File(io.BytesIO(data), "r")
    except (OSError, ValueError, RuntimeError, OverflowError) as error:
        raise _refuse(path, f"it cannot be read as HDF5 ({error}); it may be truncated or damaged.") from None


def read_weights_h5(path: str, data: bytes, model: Any, optimizer: Any = None) -> tuple[list, list | None]:
    """Checks and reads HDF5 weights for `model` (and `optimizer`'s state, when given and present).

    Returns:
        (arrays in the order of model.weights, [(optimizer variable, array)] or None when the file
        holds no optimizer state).
    """
    h5py = require_h5py(f"Loading '{path}'")
    groups = weight_groups(model)
    with open_h5(path, data) as f:
        try:
            _audit(h5py, path, f)
            found: dict[int, np.ndarray] = {}
            for group_path, name, variables in groups:
                owner = f"layer '{name}'"
                for variable, array in zip(variables, _read_group(h5py, path, f, group_path, name, variables, owner)):
                    found[id(variable)] = array
            state = None
            if optimizer is not None and "optimizer/vars" in f:
                ordered = keras_optimizer_variables(optimizer, model)
                head = [v for v in ordered if v is optimizer.iterations or v is getattr(optimizer, "_learning_rate", None)]
                if len(f["optimizer/vars"]) == len(head) < len(ordered):
                    ordered = head  # saved before its first step: no slots yet, they start at zero
                arrays = _read_group(h5py, path, f, "optimizer/vars", optimizer.name, ordered,
                                     f"optimizer '{optimizer.name}'")
                state = list(zip(ordered, arrays))
        except ValueError as error:
            if str(error).startswith("Refusing"):
                raise
            raise _refuse(path, f"its HDF5 content cannot be read ({error}); it may be truncated or damaged.") from None
        except (OSError, RuntimeError, KeyError, TypeError, IndexError, AttributeError, OverflowError) as error:
            raise _refuse(path, f"its HDF5 content cannot be read ({type(error).__name__}: {error}); it may be "
                                f"truncated or damaged.") from None
    missing = [v.path for v in model.weights if id(v) not in found]
    if missing:
        raise _refuse(path, f"the model's weights {missing[:5]} have no place in Keras's layout.")
    return [found[id(v)] for v in model.weights], state
