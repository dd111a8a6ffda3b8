"""Layers: the building blocks of models, and `Input`, where functional models start.

    layer.py           Layer, the base class (build, call, symbolic call, config), made of:
      tracking.py        weights and sub-layers recorded when assigned, and the walk over them
      tracked_containers.py  the lists and dicts a layer holds, which tell it when they change
      layer_weights.py   add_weight, the weight lists, freezing, get/set_weights
      layer_losses.py    add_loss, add_metric, losses
    input_layer.py     Input and InputLayer
    core.py            Dense, Activation, Identity, Lambda
    activation_layers.py  ReLU, LeakyReLU, PReLU, ELU, Softmax
    convolutional.py   Conv1D, Conv2D, Conv3D
    convolutional_transpose.py  Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
    pooling.py         MaxPooling*, AveragePooling*, GlobalMaxPooling*, GlobalAveragePooling*
    normalization.py   BatchNormalization, LayerNormalization
    merging.py         Concatenate, Add, Subtract, Multiply, Average, Maximum, Minimum
                       (and their functional forms: concatenate, add, ...)
    embedding.py       Embedding
    masking.py         Masking
    time_distributed.py  TimeDistributed
    rescaling.py       Rescaling
    resizing.py        Resizing, CenterCrop
    regularization.py  Dropout, ActivityRegularization
    noise.py           SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout
    augmentation/      RandomFlip, RandomTranslation, RandomRotation, RandomZoom, RandomContrast,
                       RandomCrop, RandomBrightness
    reshaping.py       Flatten, Reshape
    permute_repeat.py  Permute, RepeatVector
    dot.py             Dot (and its functional form, dot)
    recurrent/         RNN, SimpleRNN, LSTM, GRU, their cells, Bidirectional
    attention/         MultiHeadAttention, Attention, AdditiveAttention
    unit_normalization.py  UnitNormalization
    group_normalization.py  GroupNormalization
    preprocessing_normalization.py  Normalization (statistics from adapt(data))
    text_vectorization.py  TextVectorization (strings to token ids, vocabulary from adapt(data))
    padding_cropping.py  ZeroPadding1D/2D/3D, Cropping1D/2D/3D
    upsampling.py      UpSampling1D, UpSampling2D (nearest and bilinear), UpSampling3D
    layer_registry.py  the layer names model configs use; serialize, deserialize
    symbolic.py        KerasTensor and Node: how a functional model records its graph
    probe.py           output shapes of symbolic calls, from made-up data, leaving no trace
    output_spec.py     output shapes by arithmetic for symbolic calls (no probing)
    call_context.py    the call in progress (training flag, who owns added losses), per thread
"""

from .activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from .attention import AdditiveAttention, Attention, MultiHeadAttention
from .convolutional import Conv1D, Conv2D, Conv3D
from .convolutional_transpose import Conv1DTranspose, Conv2DTranspose, Conv3DTranspose
from .core import Activation, Dense, Identity, Lambda
from .dot import Dot, dot
from .embedding import Embedding
from .masking import Masking
from .time_distributed import TimeDistributed
from .input_layer import Input, InputLayer
from .layer import Layer
from .layer_registry import deserialize, registry, serialize
from .naming import reset_names as _reset_names
from .merging import (Add, Average, Concatenate, Maximum, Minimum, Multiply, Subtract, add, average,
                      concatenate, maximum, minimum, multiply, subtract)
from .group_normalization import GroupNormalization
from .normalization import BatchNormalization, LayerNormalization
from .padding_cropping import Cropping1D, Cropping2D, Cropping3D, ZeroPadding1D, ZeroPadding2D, ZeroPadding3D
from .preprocessing_normalization import Normalization
from .pooling import (AveragePooling1D, AveragePooling2D, AveragePooling3D, GlobalAveragePooling1D,
                      GlobalAveragePooling2D, GlobalAveragePooling3D, GlobalMaxPooling1D, GlobalMaxPooling2D,
                      GlobalMaxPooling3D, MaxPooling1D, MaxPooling2D, MaxPooling3D)
from .augmentation import (RandomBrightness, RandomContrast, RandomCrop, RandomFlip, RandomRotation, RandomTranslation,
                           RandomZoom)
from .noise import GaussianDropout, GaussianNoise, SpatialDropout1D, SpatialDropout2D, SpatialDropout3D
from .regularization import ActivityRegularization, Dropout
from .rescaling import Rescaling
from .resizing import CenterCrop, Resizing
from .permute_repeat import Permute, RepeatVector
from .recurrent import GRU, LSTM, RNN, Bidirectional, GRUCell, LSTMCell, SimpleRNN, SimpleRNNCell
from .reshaping import Flatten, Reshape
from .symbolic import KerasTensor
from .text_vectorization import TextVectorization
from .unit_normalization import UnitNormalization
from .upsampling import UpSampling1D, UpSampling2D, UpSampling3D
from ..utils.session import on_clear_session as _on_clear_session

# Keras's other names for the same classes (a layer saves under its class's own name).
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = GlobalMaxPooling1D, GlobalMaxPooling2D, GlobalMaxPooling3D
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (GlobalAveragePooling1D, GlobalAveragePooling2D,
                                                     GlobalAveragePooling3D)
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose, Convolution3DTranspose = (Conv1DTranspose, Conv2DTranspose,
                                                                          Conv3DTranspose)

__all__ = [
    "Layer",
    "Input",
    "InputLayer",
    "KerasTensor",
    "serialize",
    "deserialize",
    "Dense",
    "Activation",
    "Identity",
    "Lambda",
    "Dropout",
    "ActivityRegularization",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "GaussianNoise",
    "GaussianDropout",
    "RandomFlip",
    "RandomTranslation",
    "RandomRotation",
    "RandomZoom",
    "RandomContrast",
    "Flatten",
    "Reshape",
    "Conv1D",
    "Conv2D",
    "Conv3D",
    "Conv1DTranspose",
    "Conv2DTranspose",
    "Conv3DTranspose",
    "ReLU",
    "LeakyReLU",
    "PReLU",
    "ELU",
    "Softmax",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "Cropping1D",
    "Cropping2D",
    "UpSampling1D",
    "UpSampling2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "MaxPooling3D",
    "AveragePooling1D",
    "AveragePooling2D",
    "AveragePooling3D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GlobalMaxPooling3D",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAveragePooling3D",
    "BatchNormalization",
    "LayerNormalization",
    "Concatenate",
    "Add",
    "Subtract",
    "Multiply",
    "Average",
    "Maximum",
    "Minimum",
    "concatenate",
    "add",
    "subtract",
    "multiply",
    "average",
    "maximum",
    "minimum",
    "Embedding",
    "Masking",
    "TimeDistributed",
    "Rescaling",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPool3D",
    "AvgPool1D",
    "AvgPool2D",
    "AvgPool3D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPool3D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalAvgPool3D",
    "Convolution1D",
    "Convolution2D",
    "Convolution3D",
    "Convolution1DTranspose",
    "Convolution2DTranspose",
    "Convolution3DTranspose",
    "ZeroPadding3D",
    "Cropping3D",
    "UpSampling3D",
    "Permute",
    "RepeatVector",
    "Dot",
    "dot",
    "UnitNormalization",
    "GroupNormalization",
    "Normalization",
    "TextVectorization",
    "Resizing",
    "CenterCrop",
    "RandomCrop",
    "RandomBrightness",
    "RNN",
    "SimpleRNN",
    "SimpleRNNCell",
    "LSTM",
    "LSTMCell",
    "GRU",
    "GRUCell",
    "Bidirectional",
    "MultiHeadAttention",
    "Attention",
    "AdditiveAttention",
]


# Model configs name their layers by these names (the registry lives in layer_registry.py).
for _name in __all__:
    if isinstance(globals()[_name], type) and issubclass(globals()[_name], Layer):
        registry.add(_name, globals()[_name])
del _name

_on_clear_session(_reset_names)  # keras.utils.clear_session starts the automatic names again

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
