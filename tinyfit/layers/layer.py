"""Layer: the base class of every layer (and of Model).

A layer is written in three parts, as in Keras:

    __init__(self, ..., **kwargs)   stores its settings, calls super().__init__(**kwargs)
    build(self, input_shape)        creates its weights with add_weight(), once the
                                    input's shape is known (on the first call)
    call(self, inputs, ...)         computes the outputs from the inputs

Calling the layer (`layer(x)`) runs `__call__`, which does the bookkeeping
around `call`: turn NumPy arrays into tensors, build on the first call, pass the
`training` flag down to the layers inside, collect the losses of this call
(`add_loss`) and metric values (`add_metric`), hand masks on (layer_masks.py),
and, for symbolic inputs from `Input`, record the call in the graph of a
functional model instead of computing anything.

The class is written in parts, one concept each:

    layer.py          this file: settings, build, call and the symbolic call, config
    tracking.py       weights and sub-layers, recorded when assigned (tracked_containers.py:
                      lists and dicts that say when they change)
    layer_weights.py  add_weight, `weights`, `trainable_weights`, freezing, get/set_weights
    layer_losses.py   add_loss, add_metric and `losses`
    layer_masks.py    masks of padded sequences: supports_masking, compute_mask, and how
                      they travel on the tensors from layer to layer
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

from .. import backend, regularizers
from . import auto_config
from ..autograd.tensor import Tensor, as_dtype
from ..autograd.variable import Variable
from .naming import claim_name, snake_case, unique_name
from .call_context import CallContext, LayerCall, current_call
from .layer_losses import LossesAndMetrics, check_metric_arguments
from .layer_masks import Masks
from .layer_weights import Weights
from .probe import infer_output_spec, placeholders_for
from .symbolic import KerasTensor, Node, any_symbolic
from .tracking import Tracking
from ..tree import flatten, map_structure

__all__ = ["Layer", "check_metric_arguments"]  # check_metric_arguments: models use it too

# Keyword arguments every layer accepts besides its own (Keras's legacy ways of
# giving the first layer of a Sequential model its input shape among them).
_BASE_KWARGS = ("activity_regularizer", "autocast", "input_shape", "input_dim", "batch_size")



class Layer(Tracking, Weights, LossesAndMetrics, Masks):
    """The base class of layers.

    Args:
        trainable: whether the layer's weights are trained (see the `trainable` property).
        name: a name unique in its model; by default the class name in snake_case
            with a number added when taken ("dense", "dense_1", ...).
        dtype: the dtype of the weights and of float inputs (default "float32").
        activity_regularizer: a regularizer applied to the outputs on every call; its
            penalty joins the layer's `losses`.
        input_shape: for the first layer of a Sequential model: the shape of one sample.
    """

    # Whether call() runs the same ops whatever the values (no Python branching on them, nothing
    # computed outside the ops), so that fit() may record one step and replay it (jit_compile="auto",
    # trainers/compiled_step.py). Each class says so in its own body: a subclass may override
    # call(), so it does not inherit its parent's word.
    supports_jit = False

    def __new__(cls, *args: Any, **kwargs: Any) -> "Layer":
        layer = super().__new__(cls)
        # Kept for get_config() of a class that writes none (see auto_config).
        try:
            captured = auto_config.capture(cls, args, kwargs)
        except (TypeError, ValueError):  # a signature inspect cannot read
            captured = None
        object.__setattr__(layer, "_auto_config", captured)
        return layer

    def __init__(self, trainable: bool = True, name: str | None = None, dtype: Any = None, **kwargs: Any):
        self._check_kwargs(kwargs)
        self._own_variables: list[Variable] = []  # made by add_weight, in creation order
        self._regularizers: list[tuple[Variable, Any]] = []
        # The outermost call this layer last took part in: it holds the losses and
        # metric values the layers added during it (see call_context).
        self._last_call: LayerCall | None = None
        self._inbound_nodes: list[Node] = []
        self.name = self._take_name(name)
        self.dtype = as_dtype(dtype or "float32", f"{type(self).__name__}(dtype=...)").name
        self.built = False
        self._trainable = bool(trainable)
        self.activity_regularizer = regularizers.get(kwargs.get("activity_regularizer"))
        self._input_shape_arg = _input_shape_from(kwargs)

    def _check_kwargs(self, kwargs: dict) -> None:
        unknown = [k for k in kwargs if k not in _BASE_KWARGS]
        if not unknown:
            return
        own = [p for p in inspect.signature(type(self).__init__).parameters if p not in ("self", "kwargs")]
        known = own + ["trainable", "name", "dtype", *_BASE_KWARGS]
        close = difflib.get_close_matches(unknown[0], known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise TypeError(
            f"{type(self).__name__}: unexpected keyword argument(s) {', '.join(map(repr, unknown))}.{hint} "
            f"{type(self).__name__} accepts: {', '.join(dict.fromkeys(known))}."
        )

    def _take_name(self, name: str | None) -> str:
        if name is None:
            return unique_name(snake_case(type(self).__name__))
        if not isinstance(name, str) or not name:
            raise TypeError(f"A layer's name must be a non-empty string, got {name!r}.")
        claim_name(name)
        return name

    # ------------------------------------------------------------ to override
    def build(self, input_shape: Any) -> None:
        """Creates the weights, given the input's shape (None for the batch axis).

        Called once, before the first `call`. The default creates nothing.
        """
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        """Computes the outputs. Subclasses must write it."""
        raise NotImplementedError(
            f"Layer {self.name!r} ({type(self).__name__}) has no call() method: a subclass of Layer "
            "must define call(self, inputs) returning the layer's outputs."
        )

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for an input of `input_shape` (None for unknown sizes).

        The default finds out by running `call` on placeholder data; layers whose
        output shape is simple arithmetic override it.
        """
        placeholders = placeholders_for(input_shape)
        self._maybe_build((placeholders,), {})
        spec = self.compute_output_spec(placeholders)
        return map_structure(lambda t: t.shape, spec)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """KerasTensors shaped like what `call` returns for these symbolic arguments.

        It runs `call` twice on small made-up data (no gradients, training off),
        with different sizes for the unknown axes and different values: output
        axes whose size changed are unknown. Nothing of those runs remains:
        variable assignments, metric updates, added losses and random draws are
        undone (see probe.py). This works for any layer whose `call` runs on
        tensors, with several inputs, add_loss() and all.
        """
        return infer_output_spec(self, args, kwargs)

    # ------------------------------------------------------------ the call
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        training = kwargs.pop("training", None)
        if kwargs or not all(isinstance(a, Tensor) for a in args):  # not the common case: look closer
            if any_symbolic((args, kwargs)):
                return self._symbolic_call(args, kwargs if training is None else {**kwargs, "training": training})
            args, kwargs = self._convert_arrays(args, kwargs)
        masked = self._mask_work(args, kwargs)
        if masked:
            kwargs, previous_mask = self._masks_in(args, kwargs)
        outer = current_call.get()
        if outer is None:
            call = LayerCall(self)  # an outermost call: it collects what the layers add during it
        else:
            call = outer.call
            if training is None:
                training = outer.training
        token = current_call.set(CallContext(training, call))
        try:
            if not call.discard:
                self._last_call = call
            self._maybe_build(args, kwargs)
            outputs = self.call(*args, **self._with_training(args, kwargs, training))
            self._regularize_activity(outputs)
            if masked:
                self._masks_out(args[0] if args else next(iter(kwargs.values()), None), outputs, previous_mask)
        finally:
            current_call.reset(token)
        return outputs

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        """A call on KerasTensors: build, infer the output shapes, record a Node."""
        try:
            self._maybe_build(args, kwargs)
            outputs = self.compute_output_spec(*args, **kwargs)
        except Exception as exc:
            shapes = [t.shape for t in flatten((args, kwargs)) if isinstance(t, KerasTensor)]
            exc.add_note(f"(raised while calling layer {self.name!r} on symbolic inputs of shape "
                         f"{', '.join(map(str, shapes))}; None stands for the batch axis)")
            raise
        Node(self, args, kwargs, outputs)
        return outputs

    def _not_initialized(self) -> RuntimeError:
        return RuntimeError(
            f"{type(self).__name__}: Layer.__init__ was not run. Call super().__init__(**kwargs) at the "
            "start of your __init__."
        )

    def _convert_arrays(self, args: tuple, kwargs: dict) -> tuple[tuple, dict]:
        """NumPy (or CuPy) arrays among the arguments as Tensors; float ones in the layer's dtype."""
        if "dtype" not in self.__dict__:
            raise self._not_initialized()

        def convert(leaf):
            if not backend.is_array(leaf):
                return leaf
            return Tensor(leaf, dtype=self.dtype if leaf.dtype.kind == "f" else None)

        return map_structure(convert, (args, kwargs))

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        built = self.__dict__.get("built")
        if built:
            return
        if built is None:
            raise self._not_initialized()
        first = args[0] if args else next(iter(kwargs.values()), None)
        shape = map_structure(lambda t: tuple(t.shape) if hasattr(t, "shape") else None, first)
        context = current_call.get()
        if context is not None and context.call.no_trace is not None:
            # First called on made-up data (shape inference): the weights and their draws are real.
            context.call.no_trace.build(lambda: self._build_on_first_call(shape))
        else:
            self._build_on_first_call(shape)
        self.built = True

    def _build_on_first_call(self, input_shape: Any) -> None:
        self.build(input_shape)

    def _with_training(self, args: tuple, kwargs: dict, training: bool | None) -> dict:
        """kwargs plus `training`, when call() takes it and it was not passed by position."""
        position = _training_position(type(self))
        if training is None or position is None or len(args) > position:
            return kwargs
        return {**kwargs, "training": training}

    def _regularize_activity(self, outputs: Any) -> None:
        if self.activity_regularizer is None:
            return
        for output in flatten(outputs):
            if isinstance(output, Tensor):
                self.add_loss(self.activity_regularizer(output))

    # ------------------------------------------------------------ graph facts
    @property
    def input(self) -> Any:
        """The symbolic input of this layer's first call in a model definition."""
        return self._first_node("input").args[0]

    @property
    def output(self) -> Any:
        """The symbolic output of this layer's first call in a model definition."""
        return self._first_node("output").outputs

    def _first_node(self, what: str) -> Node:
        if not self._inbound_nodes:
            raise AttributeError(
                f"Layer {self.name!r} has never been called on symbolic inputs (keras.Input), so it has "
                f"no symbolic {what}."
            )
        return self._inbound_nodes[0]

    # ------------------------------------------------------------ config
    @auto_config.is_default
    def get_config(self) -> dict[str, Any]:
        """The arguments that recreate this layer (without its weights).

        A class that does not define get_config() gets the plain arguments it was
        made with (numbers, strings, booleans, None, and lists or dicts of them);
        made with other objects, it must define get_config(), and this says so.
        """
        config: dict[str, Any] = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if isinstance(self.activity_regularizer, regularizers.Regularizer):
            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if getattr(type(self).get_config, "uses_auto_config", False):
            return auto_config.config_of(self, config)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Layer":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# ------------------------------------------------------------------ helpers
_TRAINING_POSITION: dict[type, int | None] = {}


def _training_position(cls: type) -> int | None:
    """Where `training` sits among cls.call's arguments (after self), None if it has none.

    Looked up once per class.
    """
    if cls not in _TRAINING_POSITION:
        names = [n for n in inspect.signature(cls.call).parameters if n != "self"]
        _TRAINING_POSITION[cls] = names.index("training") if "training" in names else None
    return _TRAINING_POSITION[cls]


def _input_shape_from(kwargs: dict) -> tuple | None:
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        return (shape,) if isinstance(shape, int) else tuple(shape)
    if kwargs.get("input_dim") is not None:
        return (int(kwargs["input_dim"]),)
    return None
