"""Model: a Layer that can be trained (compile/fit/evaluate/predict come from Trainer).

Two ways to make one, as in Keras:

    functional   model = Model(inputs=inputs, outputs=outputs)
                 The layers were called on keras.Input tensors; the model keeps
                 the resulting graph (a FunctionalGraph) and runs it.
    subclassed   class MyModel(Model):
                     def __init__(self): super().__init__(); self.dense = Dense(10)
                     def call(self, inputs): return self.dense(inputs)

Both are the same class: `Model.__init__` builds a graph when it is given
inputs and outputs, and `Model.call` runs that graph; a subclass replaces
`call` with its own. The training loop is not here but in `tinyfit/trainers`.
"""

from __future__ import annotations

import json
from typing import Any

from ..layers import auto_config
from ..layers.layer import Layer, check_metric_arguments
from ..layers.naming import unique_name
from ..layers.probe import placeholders_for
from ..layers.symbolic import KerasTensor, any_symbolic
from ..saving.serialization import serialize_keras_object
from ..trainers.trainer import Trainer
from ..utils.declared import overrides
from . import input_check, summary as summary_module
from .functional import FunctionalGraph
from .model_config import functional_config, functional_from_config


class Model(Trainer, Layer):
    """A trainable stack of layers: functional (inputs/outputs given) or subclassed (call written).

    Args:
        inputs: for a functional model, the tensor(s) from keras.Input (one, a list or a dict).
        outputs: the tensor(s) computed from them by calling layers.
        name: the model's name ("functional", "sequential" or the class name in
            snake_case by default).
        trainable: whether fit() trains the weights.
    """

    # A functional model's call() runs its graph of layers, which the compiled step checks layer by
    # layer; a subclass writes call() itself, and supports_jit is not inherited (compiled_step.py).
    supports_jit = True

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 trainable: bool = True, **kwargs: Any):
        functional = inputs is not None or outputs is not None
        if functional and (inputs is None or outputs is None):
            given, missing = ("inputs", "outputs") if outputs is None else ("outputs", "inputs")
            raise ValueError(
                f"Model: got {given}= but no {missing}=. A functional model needs both "
                "(Model(inputs=..., outputs=...)); a subclassed model needs neither."
            )
        if functional and name is None:
            name = unique_name("functional")
        Layer.__init__(self, trainable=trainable, name=name, **kwargs)
        Trainer.__init__(self)
        self.stop_training = False
        self._graph: FunctionalGraph | None = None
        self._symbolic_losses: list[KerasTensor] = []
        self._symbolic_metrics: list[tuple[str, KerasTensor]] = []  # model.add_metric(symbolic, name)
        if functional:
            self._set_graph(FunctionalGraph(inputs, outputs))

    def _set_graph(self, graph: FunctionalGraph | None) -> None:
        self._graph = graph
        # Held in an attribute so the weight tracking finds them, in graph order; a
        # tuple, since the graph's layers never change: tracking can then remember them.
        self._layers = tuple(graph.layers) if graph is not None else ()
        self.built = graph is not None

    # ------------------------------------------------------------ the call
    def call(self, inputs: Any, training: bool | None = None) -> Any:
        """Runs the functional graph on `inputs` (subclassed models replace this)."""
        if self._graph is None:
            raise NotImplementedError(
                f"Model {self.name!r} ({type(self).__name__}) has no call(). Either subclass Model and write "
                "call(self, inputs), or build a functional model with keras.Model(inputs=..., outputs=...)."
            )
        return self._run_graph(inputs)

    def _run_graph(self, inputs: Any) -> Any:
        """The graph's outputs for `inputs`; its extra outputs become this call's losses and metric values."""
        outputs, extra = self._graph.run(inputs, self.name)
        n_losses = len(self._symbolic_losses)
        for loss in extra[:n_losses]:
            self.add_loss(loss)
        for (name, _), value in zip(self._symbolic_metrics, extra[n_losses:]):
            self.add_metric(value, name=name)
        return outputs

    def _convert_arrays(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        if self._graph is not None:
            return args, kwargs  # the graph converts each input to its Input's dtype
        return super()._convert_arrays(args, kwargs)

    def _build_on_first_call(self, input_shape: Any) -> None:
        self._remember_build_shape(input_shape)
        # A subclassed model's layers build themselves when call() reaches them;
        # only a build() of the user's own needs calling here.
        if overrides(type(self), Model, "build"):
            self.build(input_shape)

    def _remember_build_shape(self, input_shape: Any) -> None:
        # Set past __setattr__: shapes are not weights, and tracking need not look at them.
        if self.__dict__.get("_build_shape") is None:
            object.__setattr__(self, "_build_shape", input_shape)

    def get_build_config(self) -> dict[str, Any] | None:
        """The input shape(s) the model was first built or called with, {"input_shape": ...}, as
        Keras saves it; None for a model not built yet (or functional: its graph says it)."""
        shape = self.__dict__.get("_build_shape")
        if self._graph is not None or shape is None:
            return None
        return {"input_shape": _as_lists(shape)}

    def build_from_config(self, config: dict[str, Any]) -> None:
        """Builds the model from what `get_build_config` gave (used when loading a saved model)."""
        shape = config.get("input_shape") if isinstance(config, dict) else None
        if shape is not None and not self.built:
            self.build(_as_tuples(shape))

    def build(self, input_shape: Any = None) -> None:
        """Creates the weights of a subclassed model by calling it once on placeholder inputs.

        Args:
            input_shape: the batch shape of the input, e.g. (None, 784) (or a list/dict of them).
        """
        if self._graph is not None or self.built:
            self.built = True
            return
        if input_shape is None:
            raise ValueError(f"Model {self.name!r}: build() needs input_shape, e.g. build((None, 784)).")
        placeholders = placeholders_for(input_shape)
        self._remember_build_shape(input_shape)
        self.built = True
        self.compute_output_spec(placeholders)

    def check_input_data(self, x: Any, caller: str | None = None) -> None:
        """Raises a ValueError when data `x` does not fit the model's inputs (see input_check)."""
        input_check.check_input_data(self, x, caller)

    # ------------------------------------------------------------ losses
    def add_loss(self, value: Any) -> None:
        """Adds a loss: inside call() a tensor, or on a functional model a symbolic tensor
        computed from its layers, which is then recomputed on every call."""
        if not any_symbolic(value):
            return super().add_loss(value)
        if self._graph is None:
            raise ValueError(
                f"Model {self.name!r}: add_loss() got a symbolic tensor, which only a functional model can "
                "take (Model(inputs, outputs)). In a subclassed model call add_loss() inside call()."
            )
        self._symbolic_losses.append(value)
        self._extend_graph()

    def add_metric(self, value: Any, name: str | None = None, aggregation: str = "mean") -> None:
        """Logs a value as a metric: inside call() a tensor, or on a functional model a symbolic
        tensor computed from its layers (`model.add_metric(ops.std(x1), name="std_of_activation")`),
        then recomputed on every call. See Layer.add_metric."""
        if not any_symbolic(value):
            return super().add_metric(value, name=name, aggregation=aggregation)
        check_metric_arguments(self.name, name, aggregation)
        if self._graph is None:
            raise ValueError(
                f"Model {self.name!r}: add_metric() got a symbolic tensor, which only a functional model can "
                "take (Model(inputs, outputs)). In a subclassed model call add_metric() inside call()."
            )
        if not isinstance(value, KerasTensor):
            raise TypeError(
                f"Model {self.name!r}: add_metric(name={name!r}) takes one tensor, got {type(value).__name__}."
            )
        self._symbolic_metrics.append((name, value))
        self._extend_graph()

    def _extend_graph(self) -> None:
        """The graph again, computing the symbolic losses and metric values on every run too."""
        graph = self._graph
        extra = self._symbolic_losses + [value for _, value in self._symbolic_metrics]
        self._set_graph(FunctionalGraph(graph.inputs_structure, graph.outputs_structure, extra))

    # ------------------------------------------------------------ structure
    @property
    def layers(self) -> list[Layer]:
        """The model's layers: the graph's (Input layers first) or a subclassed model's attributes."""
        if self._graph is not None:
            return list(self._graph.layers)
        return self._flatten_layers(include_self=False, recursive=False)

    def get_layer(self, name: str | None = None, index: int | None = None) -> Layer:
        """The layer called `name`, or at position `index` of `layers`."""
        layers = self.layers
        if index is not None:
            if name is not None:
                raise ValueError("get_layer: give name= or index=, not both.")
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"get_layer: index {index!r} is out of range: model {self.name!r} has {len(layers)} layers "
                    f"(indices 0..{len(layers) - 1})."
                )
            return layers[index]
        if name is None:
            raise ValueError("get_layer: give the layer's name= (or its index=).")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"get_layer: model {self.name!r} has no layer named {name!r}. Its layers are: "
            f"{', '.join(repr(layer.name) for layer in layers)}."
        )

    @property
    def inputs(self) -> list[KerasTensor] | None:
        """The symbolic inputs (a list), or None for a model without a graph."""
        return list(self._graph.inputs) if self._graph is not None else None

    @property
    def outputs(self) -> list[KerasTensor] | None:
        return list(self._graph.outputs) if self._graph is not None else None

    @property
    def input(self) -> Any:
        """The symbolic inputs in the structure they were given (one, a list or a dict)."""
        if self._graph is None:
            return Layer.input.fget(self)
        return self._graph.inputs_structure

    @property
    def output(self) -> Any:
        if self._graph is None:
            return Layer.output.fget(self)
        return self._graph.outputs_structure

    @property
    def input_names(self) -> list[str] | None:
        """The names data dicts are matched by (None for a model without a graph)."""
        return list(self._graph.input_names) if self._graph is not None else None

    @property
    def output_names(self) -> list[str] | None:
        """The names of the outputs (what compile's loss/metrics dicts are keyed by)."""
        return list(self._graph.output_names) if self._graph is not None else None

    def summary(self, line_length: int | None = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> None:
        """Prints a table of the layers, their output shapes and parameter counts, then the totals.

        Args:
            line_length: the total width `positions` fractions refer to (98 by default).
            positions: where each column ends: fractions of line_length (all <= 1) or
                character counts. Columns still widen to fit their contents.
            print_fn: called with each line (default: print, with ASCII borders when
                the output cannot show box-drawing characters).
            expand_nested: show the layers of models used as layers, indented under them.
            show_trainable: add a column saying whether each layer is trainable.
            layer_range: (first, last): show only these layers and those between them;
                each a layer name or an index into `layers`.
        """
        summary_module.print_summary(self, print_fn=print_fn, line_length=line_length, show_trainable=show_trainable,
                                     expand_nested=expand_nested, layer_range=layer_range, positions=positions)

    def _summary_layers(self) -> list[Layer]:
        return self.layers

    @auto_config.is_default
    def get_config(self) -> dict[str, Any]:
        """A functional model's graph (layers, their calls, inputs, outputs) as plain data.

        A subclassed model that defines no get_config gives the plain arguments it
        was made with (see Layer.get_config); one made with layers or other objects
        must define get_config() returning the arguments of its __init__.
        """
        if self._graph is not None:
            return functional_config(self)
        return super().get_config()

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: dict | None = None) -> "Model":
        """The model `get_config` described, with new weights (set_weights puts trained ones back)."""
        if "layers" in config and "input_layers" in config:
            return functional_from_config(cls, config, custom_objects)
        try:
            return cls(**config)
        except TypeError as error:  # a subclass whose __init__ needs arguments its config lacks
            raise ValueError(
                f"{cls.__name__}.from_config() could not build the model from its config (keys: "
                f"{', '.join(sorted(config)) or 'none'}): {error}. Define get_config() in {cls.__name__} "
                "returning every argument its __init__ needs, or keep the weights alone with "
                "save_weights()/load_weights() on a model you build yourself.") from error

    def to_json(self, **kwargs: Any) -> str:
        """The model's description (`keras.saving.serialize_keras_object(model)`) as JSON text.

        `keras.models.model_from_json(text)` builds the same model again, with new
        weights. Keyword arguments go to `json.dumps` (e.g. indent=2).
        """
        description = serialize_keras_object(self)
        try:
            return json.dumps(description, **kwargs)
        except (TypeError, ValueError) as error:  # a get_config of the user's returned something that is not data
            raise ValueError(f"Model {self.name!r}: to_json: its description is not plain JSON data ({error}). "
                             "Make each get_config() return numbers, strings, lists, dicts or Keras objects.") from None

    # Saving lives in tinyfit/saving (above models); imported at call time to keep layering.
    def save(self, filepath: Any, overwrite: bool = True) -> None:
        """Writes the model (config, compile config, weights, optimizer state) to one file, atomically.

        A path ending in `.keras` gets Keras 3's format (Keras 3 loads it; needs h5py); any other
        suffix, `.tinyfit` by convention, tinyfit's own zip format. `.h5` is refused: Keras 3 saves
        whole models as `.keras`. Load either with `keras.models.load_model(filepath)`.
        """
        from ..saving.model_file import save_model
        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Writes the weights alone to one file, atomically.

        A path ending in `.weights.h5` gets Keras 3's HDF5 layout (needs h5py); any other suffix,
        e.g. `.weights.tinyfit`, tinyfit's own format.
        """
        from ..saving.model_file import save_weights
        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any) -> None:
        """Loads weights saved by `save_weights` or `save` (tinyfit's or Keras 3's files) into this model."""
        from ..saving.model_file import load_weights
        load_weights(self, filepath)

    def __repr__(self) -> str:
        kind = "functional" if self._graph is not None else "subclassed"
        return f"<{type(self).__name__} name={self.name}, {kind}, built={self.built}>"


def _as_lists(shape: Any) -> Any:
    """A shape structure as JSON data: tuples become lists."""
    if isinstance(shape, dict):
        return {key: _as_lists(value) for key, value in shape.items()}
    if isinstance(shape, (list, tuple)):
        return [_as_lists(item) for item in shape]
    return shape


def _as_tuples(shape: Any) -> Any:
    """JSON data back to a shape structure: a list of sizes is one shape (a tuple), a list of lists several."""
    if isinstance(shape, dict):
        return {key: _as_tuples(value) for key, value in shape.items()}
    if isinstance(shape, list) and all(item is None or isinstance(item, int) for item in shape):
        return tuple(shape)
    if isinstance(shape, list):
        return [_as_tuples(item) for item in shape]
    return shape

