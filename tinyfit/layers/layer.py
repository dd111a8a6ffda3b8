"""Layer: the base class of every layer (and of Model).

A layer is written in three parts, as in Keras:

    __init__(self, ..., **kwargs)   stores its settings, calls super().__init__(**kwargs)
    build(self, input_shape)        creates its weights with add_weight(), once the
                                    input's shape is known (on the first call)
    call(self, inputs, ...)         computes the outputs from the inputs

Calling the layer (`layer(x)`) runs `__call__`, which does the bookkeeping
around `call`: turn NumPy arrays into tensors, build on the first call, pass the
`training` flag down to the layers inside, collect the losses of this call
(`add_loss`) and metric values (`add_metric`), and, for symbolic inputs from `Input`, record the call in the
graph of a functional model instead of computing anything.

Weights and sub-layers are found by looking through the layer's attributes
(also inside lists, tuples and dicts), in the order they were assigned.
"""

from __future__ import annotations

import difflib
import inspect
from typing import Any

import numpy

from .. import backend, initializers, regularizers
from . import auto_config
from ..autograd.tensor import Tensor, as_dtype
from ..autograd.variable import Variable
from .naming import claim_name, snake_case, unique_name
from .call_context import CallContext, LayerCall, current_call, owned_by
from .probe import infer_output_spec, placeholders_for
from .symbolic import KerasTensor, Node, any_symbolic
from .walk_cache import Walk, tree_changed
from .weight_budget import charge_weight
from ..tree import flatten, map_structure

# Keyword arguments every layer accepts besides its own (Keras's legacy ways of
# giving the first layer of a Sequential model its input shape among them).
_BASE_KWARGS = ("activity_regularizer", "autocast", "input_shape", "input_dim", "batch_size")

# Attributes of the base class's own bookkeeping: never weights or sub-layers.
_BOOKKEEPING = frozenset({"_own_variables", "_regularizers", "_inbound_nodes", "_symbolic_losses",
                          "_input_shape_arg", "_last_call", "_symbolic_metrics", "_auto_config"})

# How add_metric() may fold a value into its epoch figure.
METRIC_AGGREGATIONS = ("mean",)


class Layer:
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

    def _held_metrics(self) -> list[Any]:
        """Metric objects (anything with update_state, reset_state and variables) held as attributes
        by this layer or a layer inside it."""
        found = []
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                kind = type(value)
                if hasattr(kind, "update_state") and hasattr(kind, "reset_state") and hasattr(value, "variables"):
                    found.append(value)
        return _unique(found)

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

    # ------------------------------------------------------------ weights
    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None, trainable: bool = True,
                   regularizer: Any = None, constraint: Any = None, name: str | None = None) -> Variable:
        """Creates a weight of this layer (a Variable) and starts tracking it.

        Args:
            shape: the weight's shape (() for a scalar).
            initializer: a name ("glorot_uniform", "zeros", ...), an Initializer or a
                function f(shape, dtype); default "glorot_uniform" for floats, "zeros" otherwise.
            dtype: defaults to the layer's dtype.
            trainable: whether fit() trains it.
            regularizer: a penalty on the weight ("l1", "l2", a Regularizer), added to `losses`.
            name: the weight's name ("kernel"); its `path` is "<layer name>/<name>".
        """
        if constraint is not None:
            raise NotImplementedError(
                f"{self.name}: add_weight(constraint=...) is not supported in tinyfit; clip or project the weight "
                "yourself after each step (e.g. in a callback's on_train_batch_end) instead."
            )
        dtype = as_dtype(dtype or self.dtype, f"{self.name}.add_weight")
        shape = _weight_shape(self.name, name, shape)
        charge_weight(self.name, name, shape)  # a config read from a file may ask for anything
        if initializer is None:
            initializer = "glorot_uniform" if dtype.kind == "f" else "zeros"
        variable = Variable(initializers.get(initializer), shape=shape, dtype=dtype, trainable=trainable,
                            name=name or "variable")
        variable.path = f"{self.name}/{variable.name}"
        if not self.trainable:
            variable.requires_grad = False
        self._own_variables.append(variable)
        self.__dict__.pop("_tracked_cache", None)
        tree_changed()
        regularizer = regularizers.get(regularizer)
        if regularizer is not None:
            self._regularizers.append((variable, regularizer))
        return variable

    add_variable = add_weight  # Keras 3 offers both names

    def _walk(self) -> tuple[list["Layer"], list[tuple["Layer", Variable, bool]]]:
        """This layer and every layer inside it (depth first, each once), and every
        weight as (owner layer, weight, trained?), own weights first, no repeats.

        A weight is trained when it is trainable and its layer and every layer
        around it are too. The lists are kept until the tree changes (see
        walk_cache.py): read them, never change them.
        """
        walk = self._walked()
        return walk.layers, walk.weights

    def _walked(self) -> Walk:
        """The kept walk over this layer's tree, or a new one when the tree may have changed."""
        walk = self.__dict__.get("_walk_cache")
        if walk is not None and walk.still_valid():
            return walk
        layers: list[Layer] = []
        weights: list[tuple[Layer, Variable, bool]] = []
        containers: list = []
        seen: set[int] = set()
        stack: list[tuple[Layer, bool]] = [(self, True)]
        while stack:
            layer, trained = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            layers.append(layer)
            trained = trained and layer._trainable
            own, sublayers, held_in = layer._tracked()
            containers += held_in
            for v in own:
                if id(v) not in seen:
                    seen.add(id(v))
                    weights.append((layer, v, trained and v.trainable))
            for sub in reversed(sublayers):  # reversed, so the first is visited first
                stack.append((sub, trained))
        walk = self.__dict__["_walk_cache"] = Walk(layers, weights, containers)
        return walk

    def _walk_weights(self) -> list[tuple["Layer", Variable, bool]]:
        return self._walk()[1]

    def __setattr__(self, name: str, value: Any) -> None:
        # Remember which attributes may hold weights or sub-layers (containers
        # included: their contents are read when needed, so a list filled after
        # it was assigned still counts), so tracking never scans the others.
        names = self.__dict__.get("_tracked_names")
        if name not in _BOOKKEEPING and _may_hold_weights(value):
            if names is None:
                names = {}
                object.__setattr__(self, "_tracked_names", names)
            names[name] = None
        if name == "_own_variables" or (names is not None and name in names):
            self.__dict__.pop("_tracked_cache", None)  # what _tracked() found may have changed
            tree_changed()  # and so may every walk through this layer
        elif name == "_trainable" or name == "built":
            tree_changed()
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        self.__dict__.pop("_tracked_cache", None)
        tree_changed()
        object.__delattr__(self, name)

    def _tracked(self) -> tuple[list[Variable], list["Layer"], list]:
        """This layer's own Variables and direct sub-layers, in the order they were assigned,
        and the lists and dicts they were found in.

        The answer is kept until an attribute it came from is set again, or a weight
        is added. Not when it came through a list or dict: those change in place,
        unseen, so their contents are read afresh each time (a kept walk over the
        tree compares their items instead).
        """
        cached = self.__dict__.get("_tracked_cache")
        if cached is not None:
            return cached
        variables: list[Variable] = list(self._own_variables)
        layers: list[Layer] = []
        attributes = self.__dict__
        pending = [attributes.get(key) for key in reversed(attributes.get("_tracked_names", ()))]
        containers: list = []  # the lists and dicts looked into
        while pending:  # depth first through lists, tuples and dicts, in order
            value = pending.pop()
            if isinstance(value, Variable):
                variables.append(value)
            elif isinstance(value, Layer):
                if value is not self:
                    layers.append(value)
            elif isinstance(value, (list, tuple)):
                if isinstance(value, list):
                    containers.append(value)
                pending.extend(reversed(value))
            elif isinstance(value, dict):
                containers.append(value)
                pending.extend(reversed(value.values()))
        found = _unique(variables), _unique(layers), containers
        if not containers:
            object.__setattr__(self, "_tracked_cache", found)
        return found

    @property
    def weights(self) -> list[Variable]:
        """Every weight of the layer and its sub-layers: trainable ones and the others."""
        return list(self._walked().variables)

    @property
    def trainable_weights(self) -> list[Variable]:
        """The weights fit() updates (none when the layer is frozen)."""
        return list(self._walked().trainable)

    @property
    def non_trainable_weights(self) -> list[Variable]:
        return list(self._walked().non_trainable)

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def non_trainable_variables(self) -> list[Variable]:
        return self.non_trainable_weights

    @property
    def trainable(self) -> bool:
        """Whether the layer is trained. Setting it freezes or unfreezes the sub-layers too."""
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        for layer in self._flatten_layers():
            layer._trainable = value
        for _, variable, trained in self._walk_weights():
            variable.requires_grad = trained  # frozen weights get no gradient at all

    def count_params(self) -> int:
        """How many numbers the weights hold (the layer must be built)."""
        if not self.built:
            raise ValueError(
                f"Layer {self.name!r} is not built yet, so it has no weights to count: it creates them on "
                "its first call. Call it on data (or on keras.Input) first, or call build(input_shape)."
            )
        return int(sum(v.size for v in self.weights))

    def get_weights(self) -> list[numpy.ndarray]:
        """The values of `weights`, as NumPy arrays (copies)."""
        return [numpy.array(v.numpy()) for v in self.weights]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrites the weights with arrays in the order of `weights` (as get_weights gives them).

        Every shape is checked before any weight changes.
        """
        walked = self._walk_weights()
        weights = list(weights)
        if len(weights) != len(walked):
            names = ", ".join(v.path for _, v, _ in walked)
            raise ValueError(
                f"set_weights: {self.name!r} has {len(walked)} weights ({names}) but {len(weights)} arrays "
                "were given. Pass one array per weight, in the order of get_weights()."
            )
        arrays = [numpy.asarray(w.numpy() if isinstance(w, Tensor) else w) for w in weights]
        for i, ((owner, v, _), array) in enumerate(zip(walked, arrays)):
            if array.shape != v.shape:
                raise ValueError(
                    f"set_weights: weight {i} ({v.name!r} of layer {owner.name!r}) expects shape "
                    f"{v.shape}, got an array of shape {array.shape}."
                )
        for (_, v, _), array in zip(walked, arrays):
            v.assign(array)

    # ------------------------------------------------------------ sub-layers
    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> list["Layer"]:
        """This layer and those inside it, depth first, each once."""
        found = list(self._walked().layers) if recursive else [self] + self._tracked()[1]
        return found if include_self else found[1:]

    # ------------------------------------------------------------ losses
    def add_loss(self, value: Any) -> None:
        """Adds a loss term (a scalar tensor) computed during this call; fit() minimizes it too.

        Losses added in one call replace those of the previous call. One added
        outside any call joins those of the layer's last call.
        """
        if isinstance(value, KerasTensor):
            raise ValueError(
                f"Layer {self.name!r}: add_loss() got a symbolic tensor. Call add_loss() inside call() "
                "with real tensors, or add it to a functional model: model.add_loss(tensor)."
            )
        call = self._call_to_add_to()
        if not call.discard:  # a discarded call ran on made-up data: its losses are not real
            call.losses.append((self, value if isinstance(value, Tensor) else Tensor(value)))

    # ------------------------------------------------------------ metrics
    def add_metric(self, value: Any, name: str | None = None, aggregation: str = "mean") -> None:
        """Logs a value computed during this call as a metric (the Keras 2 API).

        fit() and evaluate() report it under `name`, in the progress bar and in
        History, averaged over the epoch (weighted by batch size) and reset each
        epoch; validation reports it as "val_<name>".

        Args:
            value: a tensor (or number) computed in call(); a non-scalar counts by its mean.
            name: the key it is logged under, e.g. "std_of_activation".
            aggregation: how the values of an epoch are combined: "mean".
        """
        if "_last_call" not in self.__dict__:
            raise self._not_initialized()
        check_metric_arguments(self.name, name, aggregation)
        if isinstance(value, KerasTensor):
            raise ValueError(
                f"Layer {self.name!r}: add_metric() got a symbolic tensor. Call add_metric() inside call() "
                f"with real tensors, or add it to a functional model: model.add_metric(tensor, name={name!r})."
            )
        call = self._call_to_add_to()
        if not call.discard:  # a discarded call ran on made-up data: its values are not real
            value = value.detach() if isinstance(value, Tensor) else Tensor(value)  # a metric needs no gradient
            call.metric_values.append((self, name, value))

    def _call_to_add_to(self) -> LayerCall:
        """The outermost call in progress (this layer takes part in it from now on); outside any
        call, this layer's last one (a new one if it has none)."""
        context = current_call.get()
        if context is None:
            if self._last_call is None:
                self._last_call = LayerCall(self)
            return self._last_call
        if not context.call.discard:
            self._last_call = context.call
        return context.call

    def _added_metric_values(self) -> list[tuple[str, Tensor]]:
        """The (name, value) pairs add_metric() got during the last call, from this layer and those inside."""
        call = self._last_call
        if call is None or not call.metric_values:
            return []
        return [(name, value) for _, name, value in owned_by(call, call.metric_values, self._walk()[0])]

    @property
    def losses(self) -> list[Tensor]:
        """The losses of the last call (add_loss, activity regularizers, this layer and those inside)
        followed by the weight regularization penalties (computed now)."""
        walk = self._walked()
        call = self._last_call
        found = []
        if call is not None and call.losses:  # added by a layer of this tree whose latest call this is
            ids = walk.layer_ids
            found = [loss for layer, loss in call.losses if id(layer) in ids and layer._last_call is call]
        if walk.regularized:
            found += [regularizer(v) for v, regularizer in walk.regularized]
        return found

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


def _may_hold_weights(value: Any) -> bool:
    """Whether an attribute's value is, or may come to hold, a weight or a layer.

    Lists and dicts may be filled later; a tuple never changes, so one look
    inside it now is enough.
    """
    if isinstance(value, (Variable, Layer, list, dict)):
        return True
    return isinstance(value, tuple) and any(_may_hold_weights(item) for item in value)


def check_metric_arguments(where: str, name: Any, aggregation: Any) -> None:
    """The checks of add_metric(name=..., aggregation=...), for layers and models alike."""
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"Layer {where!r}: add_metric() needs a name (a non-empty string), got {name!r}: it is the key "
            "the value is logged under, e.g. add_metric(value, name=\"std_of_activation\")."
        )
    if aggregation not in METRIC_AGGREGATIONS:
        raise ValueError(
            f"Layer {where!r}: add_metric(name={name!r}) got aggregation={aggregation!r}; the choices are "
            f"{', '.join(map(repr, METRIC_AGGREGATIONS))} (the average over the epoch, weighted by batch size)."
        )


def _unique(items: list[Any]) -> list[Any]:
    seen: set[int] = set()
    return [x for x in items if not (id(x) in seen or seen.add(id(x)))]


def _input_shape_from(kwargs: dict) -> tuple | None:
    if kwargs.get("input_shape") is not None:
        shape = kwargs["input_shape"]
        return (shape,) if isinstance(shape, int) else tuple(shape)
    if kwargs.get("input_dim") is not None:
        return (int(kwargs["input_dim"]),)
    return None


def _weight_shape(layer: str, name: str | None, shape: Any) -> tuple[int, ...]:
    shape = () if shape is None else ((shape,) if isinstance(shape, int) else tuple(shape))
    if any(n is None or not isinstance(n, (int, numpy.integer)) or n < 0 for n in shape):
        raise ValueError(
            f"Layer {layer!r}: weight {name or ''!r} has shape {shape}, which has an unknown or invalid "
            "size. Weights need known sizes: build them from the known axes of the input shape "
            "(e.g. input_shape[-1]), never from the batch axis."
        )
    return tuple(int(n) for n in shape)
