"""Models: Model (functional or subclassed) and Sequential.

    model.py        Model: a Layer with the training API (from tinyfit/trainers)
    functional.py   FunctionalGraph: the layer graph of Model(inputs, outputs), and running it
    sequential.py   Sequential: a stack of layers
    input_check.py  check_input_data: data matched to a model's inputs, with clear errors
    summary.py      the table printed by model.summary()
    cloning.py      clone_model (fresh weights) and model_from_json
"""

from .cloning import clone_model, model_from_json
from .input_check import check_input_data
from .model import Model
from .sequential import Sequential
from ..layers import registry as _layer_registry

# Models are layers too: a model inside a model is saved by these names.
_layer_registry.add("Model", Model, module="tinyfit")
_layer_registry.add("Functional", Model, module="tinyfit")
_layer_registry.add("Sequential", Sequential, module="tinyfit")



def load_model(filepath, custom_objects=None, compile=True):
    """Loads a model written by `model.save(filepath)` (see tinyfit.saving.model_file.load_model)."""
    from ..saving.model_file import load_model as _load  # saving sits above models
    return _load(filepath, custom_objects=custom_objects, compile=compile)


def save_model(model, filepath, overwrite=True):
    """Writes `model` to one file, as `model.save(filepath)` does (see tinyfit.saving.model_file.save_model)."""
    from ..saving.model_file import save_model as _save  # saving sits above models
    _save(model, filepath, overwrite=overwrite)


__all__ = ["Model", "Sequential", "check_input_data", "load_model", "save_model", "clone_model", "model_from_json"]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
