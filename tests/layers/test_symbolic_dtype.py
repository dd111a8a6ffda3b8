"""KerasTensor.dtype is the dtype's name, a string, as in Keras 3: keras.Input(...).dtype == 'float32'."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


@pytest.mark.parametrize("given, name", [(None, "float32"), ("float64", "float64"), (np.int32, "int32"),
                                         (np.dtype("int64"), "int64"), ("bool", "bool")])
def test_input_dtype_is_the_name_string(given, name):
    x = keras.Input(shape=(3,), dtype=given)
    assert isinstance(x.dtype, str) and x.dtype == name
    assert f"dtype={name}" in repr(x)


def test_layer_outputs_carry_dtype_names_and_models_still_run():
    ids = keras.Input(shape=(4,), dtype="int32")
    pixels = keras.Input(shape=(4,), dtype="uint8")
    embedded = layers.Embedding(10, 3)(ids)
    scaled = layers.Rescaling(1 / 255)(pixels)
    dense = layers.Dense(2, dtype="float64")(scaled)
    assert (embedded.dtype, scaled.dtype, dense.dtype) == ("float32", "float32", "float64")
    model = keras.Model([ids, pixels], [embedded, dense])
    out_embedded, out_dense = model.predict([np.arange(8).reshape(2, 4), np.full((2, 4), 255, "uint8")], verbose=0)
    assert out_embedded.dtype == np.float32 and out_dense.dtype == np.float64


def test_a_keras_tensor_made_from_a_numpy_dtype_reports_its_name():
    tensor = layers.KerasTensor((None, 2), dtype=np.dtype("float16"))
    assert tensor.dtype == "float16" and np.dtype(tensor.dtype) == np.float16
