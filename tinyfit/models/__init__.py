"""Models: Model (functional or subclassed) and Sequential.

    model.py        Model: a Layer with the training API (from tinyfit/trainers)
    functional.py   FunctionalGraph: the layer graph of Model(inputs, outputs), and running it
    sequential.py   Sequential: a stack of layers
    input_check.py  check_input_data: data matched to a model's inputs, with clear errors
    summary.py      the table printed by model.summary()
"""

from .input_check import check_input_data
from .model import Model
from .sequential import Sequential
from ..layers import registry as _layer_registry

# Models are layers too: a model inside a model is saved by these names.
_layer_registry.add("Model", Model)
_layer_registry.add("Functional", Model)
_layer_registry.add("Sequential", Sequential)

__all__ = ["Model", "Sequential", "check_input_data"]
