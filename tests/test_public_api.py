"""The names a Keras user reaches for exist where Keras puts them (`import tinyfit as keras`)."""

import pytest

import tinyfit
import tinyfit as keras
from tinyfit import layers, ops


def test_top_level_exports_are_pinned():
    assert tinyfit.__all__ == [
        "Scalar", "Tensor", "Variable", "no_grad", "enable_grad", "backend", "config", "tree",
        "ops", "random", "activations", "initializers", "regularizers", "layers", "losses", "metrics",
        "optimizers", "callbacks", "models", "data", "datasets", "utils", "saving",
        "Input", "Model", "Sequential",
    ]
    for name in tinyfit.__all__:
        assert getattr(tinyfit, name) is not None


def test_the_guides_names_resolve():
    used_by_the_guide = [
        keras.Input, keras.Model, keras.Sequential, layers.Dense, layers.Layer,
        keras.layers.Layer, keras.optimizers.RMSprop, keras.optimizers.Adam, keras.optimizers.SGD,
        keras.optimizers.schedules.ExponentialDecay, keras.losses.SparseCategoricalCrossentropy,
        keras.losses.BinaryCrossentropy, keras.losses.MeanSquaredError,
        keras.losses.CategoricalCrossentropy, keras.losses.Loss, keras.metrics.Metric,
        keras.metrics.SparseCategoricalAccuracy, keras.metrics.CategoricalAccuracy,
        keras.metrics.MeanAbsolutePercentageError, keras.metrics.MeanAbsoluteError,
        keras.callbacks.Callback, keras.callbacks.EarlyStopping, keras.datasets.mnist.load_data,
        keras.utils.set_random_seed, keras.utils.to_categorical, keras.utils.plot_model, keras.models.Model,
        keras.data.Dataset.from_tensor_slices, keras.utils.PyDataset, keras.utils.Sequence,
        ops.one_hot, ops.mean, ops.square, ops.sum, ops.argmax, ops.reshape, ops.cast,
        ops.equal, ops.multiply, ops.softmax,
    ]
    assert all(callable(obj) for obj in used_by_the_guide)



def test_saving_exports_are_pinned():
    assert keras.saving.__all__ == ["register_keras_serializable", "serialize_keras_object",
                                    "deserialize_keras_object", "get_registered_name", "get_registered_object",
                                    "get_custom_objects", "custom_object_scope", "CustomObjectScope",
                                    "save_model", "load_model", "save_weights", "load_weights"]
    assert callable(keras.saving.register_keras_serializable)


def test_utils_exports_are_pinned():
    assert keras.utils.__all__ == ["set_random_seed", "to_categorical", "Progbar", "PyDataset", "Sequence",
                                   "plot_model", "plot_history", "custom_object_scope", "CustomObjectScope",
                                   "get_custom_objects", "pad_sequences", "timeseries_dataset_from_array",
                                   "split_dataset", "normalize", "pack_x_y_sample_weight",
                                   "unpack_x_y_sample_weight", "is_keras_tensor", "clear_session"]
    for name in keras.utils.__all__:
        assert callable(getattr(keras.utils, name))


# Sub-namespaces that are modules, as Keras's own are (keras.datasets.mnist): tinyfit's datasets follow suit.
SUB_NAMESPACES = {("optimizers", "schedules"), ("datasets", "mnist"), ("datasets", "sequence_tasks"),
                  ("datasets", "shakespeare")}
PUBLIC_NAMESPACES = ["layers", "models", "saving", "callbacks", "utils", "losses", "metrics", "optimizers",
                     "ops", "random", "data", "activations", "initializers", "regularizers", "datasets"]


@pytest.mark.parametrize("name", PUBLIC_NAMESPACES)
def test_public_namespaces_show_the_api_and_no_module(name):
    import types
    namespace = getattr(tinyfit, name)
    shown = dir(namespace)
    modules = [entry for entry in shown if isinstance(getattr(namespace, entry), types.ModuleType)
               and (name, entry) not in SUB_NAMESPACES]
    assert modules == [], f"tinyfit.{name} shows its implementation modules {modules} in dir() / tab completion"
    assert all(hasattr(namespace, entry) for entry in shown)
    exported = getattr(namespace, "__all__", None)
    if exported is not None:
        assert sorted(shown) == sorted(exported), f"tinyfit.{name}: dir() and __all__ differ"


def test_tab_completion_in_ipython_offers_no_module():
    # What a notebook's Tab shows after "keras.layers." is IPython's completer, not dir() itself.
    completer = pytest.importorskip("IPython.core.completer")
    from IPython.core.interactiveshell import InteractiveShell
    shell = InteractiveShell.instance()
    shell.run_cell("import tinyfit as keras")
    with completer.provisionalcompleter():
        offered = {c.text for c in shell.Completer.completions("keras.layers.", len("keras.layers."))}
    assert "Dense" in offered and "Conv2DTranspose" in offered
    assert not offered & {"probe", "tracking", "tracked_containers", "call_context", "core", "convolutional", "registry"}
