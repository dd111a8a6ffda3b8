"""Layers: the building blocks of models, and `Input`, where functional models start.

    layer.py           Layer, the base class (weights, build, call, add_loss, training)
    input_layer.py     Input and InputLayer
    core.py            Dense, Activation, Identity, Lambda
    regularization.py  Dropout, ActivityRegularization
    reshaping.py       Flatten, Reshape
    symbolic.py        KerasTensor and Node: how a functional model records its graph
"""

from .core import Activation, Dense, Identity, Lambda
from .input_layer import Input, InputLayer
from .layer import Layer
from .regularization import ActivityRegularization, Dropout
from .reshaping import Flatten, Reshape
from .symbolic import KerasTensor

__all__ = [
    "Layer",
    "Input",
    "InputLayer",
    "KerasTensor",
    "Dense",
    "Activation",
    "Identity",
    "Lambda",
    "Dropout",
    "ActivityRegularization",
    "Flatten",
    "Reshape",
]
