"""Optimizer: the bookkeeping every optimizer shares, so that subclasses write only the maths.

A training step hands the optimizer one gradient per trainable variable. The
optimizer then, in this order (as Keras 3 does):

1. skips the variables whose gradient is None (they took no part in the loss);
2. clips the gradients (`clipnorm`, `global_clipnorm` or `clipvalue`);
3. applies decoupled weight decay: `variable -= learning_rate * weight_decay * variable`;
4. calls `update_step(gradient, variable, learning_rate)` once per variable;
5. adds one to `iterations`.

All of it happens in place on backend arrays (the `.data` of the model's
Variables and of the optimizer's own "slot" Variables: momentums, velocities...).
No autograd graph is built, and the Variables a model holds stay the same
objects. `update_step` receives NumPy (or CuPy) arrays and a Python float, so
an optimizer reads like the formula in its paper.

A subclass writes `build(variables)` (call `super().build(variables)`, then
create one slot per variable with `add_variable_from_reference`) and
`update_step`, reading a variable's slot with `self._slot(variable, name)`.
See sgd.py for the shortest example.

Flat state. On the first update, the slots of each kind (every variable's
velocity, say) are moved into one contiguous array per dtype and device, each
slot Variable keeping a view of its part. An optimizer whose update is
element by element (`flat_updates = True`: all of tinyfit's) then updates
every variable in one pass over those arrays: the gradients and weights are
copied into flat arrays, `update_step` runs once on them, and the new weights
are copied back. One pass costs a handful of Python calls instead of a handful
per variable. Saving and loading see the slot Variables as before.
"""

from __future__ import annotations

import re
from typing import Any, Iterable

from .. import backend
from ..autograd.tensor import Tensor
from ..autograd.variable import Variable
from .schedules import LearningRateSchedule
from .schedules import deserialize as deserialize_schedule
from .schedules import serialize as serialize_schedule

# Keras 3 arguments tinyfit accepts only at their default value (not implemented).
_KERAS_ONLY_DEFAULTS = {
    "use_ema": False,
    "ema_momentum": 0.99,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
_BASE_ARGUMENTS = "learning_rate, weight_decay, clipnorm, clipvalue, global_clipnorm, name"


def _is_scalar(value: Any) -> bool:
    """A number, or a one-element Tensor or array: something float() reads as a learning rate."""
    if isinstance(value, Tensor) or backend.is_array(value):
        return value.size == 1 and value.dtype.kind in "fiu"
    return backend.is_number(value)


def _l2_norm(array: Any) -> Any:
    xp = backend.array_module(array)
    return xp.sqrt(xp.sum(xp.square(array)))


class Optimizer:
    """Base class of all optimizers.

    Args:
        learning_rate: a float, a `schedules.LearningRateSchedule` (called with
            `iterations`), or a callable with no arguments returning the rate.
        weight_decay: if set, each step first shrinks every variable:
            `variable -= learning_rate * weight_decay * variable`.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient element to [-clipvalue, clipvalue].
        global_clipnorm: scale all gradients together so that their joint L2
            norm is at most this. Only one of the three clipping arguments.
        name: a name for the optimizer (defaults to the class name in lower case).
    """

    def __init__(self, learning_rate: Any = 0.001, weight_decay: float | None = None,
                 clipnorm: float | None = None, clipvalue: float | None = None,
                 global_clipnorm: float | None = None, name: str | None = None, **kwargs: Any):
        owner = type(self).__name__
        for key, default in _KERAS_ONLY_DEFAULTS.items():
            if key in kwargs and kwargs.pop(key) != default:
                raise NotImplementedError(f"{owner}: tinyfit does not implement {key}; leave it at {default!r}.")
        if kwargs:
            raise TypeError(
                f"{owner}: unknown argument(s) {', '.join(sorted(kwargs))}. Every optimizer takes "
                f"{_BASE_ARGUMENTS}; see help({owner}) for its own."
            )
        clipping = {k: v for k, v in (("clipnorm", clipnorm), ("clipvalue", clipvalue),
                                       ("global_clipnorm", global_clipnorm)) if v is not None}
        if len(clipping) > 1:
            given = ", ".join(f"{k}={v!r}" for k, v in clipping.items())
            raise ValueError(f"{owner}: only one of clipnorm, clipvalue and global_clipnorm can be set; got {given}.")
        for key, value in clipping.items():
            if not backend.is_number(value) or value <= 0:
                raise ValueError(f"{owner}: {key} must be a number > 0, got {key}={value!r}.")
        if weight_decay is not None and (not backend.is_number(weight_decay) or weight_decay < 0):
            raise ValueError(f"{owner}: weight_decay must be a number >= 0 or None, got {weight_decay!r}.")

        self.name = name or owner.lower()
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.built = False
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        self._slots: list[Variable] = []
        self._slot_of: dict[tuple[str, int], Variable] = {}  # (slot name, id(variable)) -> its slot
        self._flat: _FlatState | None = None  # the one-pass state, once packed (see the module docstring)
        self._packed = False
        self._excluded_ids: set[int] = set()
        self._excluded_names: list[str] = []
        # The step counter lives on the CPU whatever the backend: it is read every
        # step (schedules, Adam's bias correction), and reading GPU memory waits for the GPU.
        self._iterations = self._on_cpu(Variable(0, dtype="int64", trainable=False, name="iteration"))
        self._learning_rate = self._make_learning_rate(learning_rate)
        self._shown_learning_rate: Variable | None = None

    # ------------------------------------------------------------ learning rate
    def _make_learning_rate(self, value: Any) -> Any:
        if isinstance(value, LearningRateSchedule):
            return value
        if _is_scalar(value):
            return self._on_cpu(Variable(float(value), dtype="float32", trainable=False, name="learning_rate"))
        if callable(value):
            return value
        raise TypeError(
            f"{type(self).__name__}: learning_rate must be a float, a LearningRateSchedule or a "
            f"function with no arguments; got {value!r}."
        )

    @property
    def learning_rate(self) -> Variable:
        """The current learning rate as a 0-d float32 Variable (read it with float(...))."""
        if isinstance(self._learning_rate, Variable):
            return self._learning_rate
        if self._shown_learning_rate is None:
            self._shown_learning_rate = self._on_cpu(
                Variable(0.0, dtype="float32", trainable=False, name="learning_rate"))
        return self._shown_learning_rate.assign(self._current_learning_rate())

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        if isinstance(value, LearningRateSchedule) or (callable(value) and not isinstance(value, Tensor)):
            self._learning_rate = value
            return
        if not isinstance(self._learning_rate, Variable):
            kind = type(self._learning_rate).__name__
            what = f"the schedule {kind}" if isinstance(self._learning_rate, LearningRateSchedule) else \
                "a function"
            shown = f"{float(value):.6g}" if _is_scalar(value) else repr(value)
            raise TypeError(
                f"{self.name}: the learning rate comes from {what}, so it cannot be set to {shown}. "
                "Create the optimizer with a float learning_rate to change it during training "
                "(ReduceLROnPlateau and LearningRateScheduler need one), or keep the schedule and "
                "drop the callback."
            )
        if not _is_scalar(value):
            raise TypeError(f"{self.name}: learning_rate must be set to a number, got {value!r}.")
        self._learning_rate.assign(float(value))

    def _current_learning_rate(self) -> float:
        rate = self._learning_rate
        if isinstance(rate, Variable):
            return float(rate.data)
        if isinstance(rate, LearningRateSchedule):
            return float(rate(int(self._iterations.data)))
        return float(rate())

    @property
    def iterations(self) -> Variable:
        """How many updates this optimizer has applied (an int64 Variable)."""
        return self._iterations

    # ---------------------------------------------------------------- variables
    @staticmethod
    def _on_cpu(variable: Variable) -> Variable:
        variable.data = backend.to_numpy(variable.data)
        return variable

    @property
    def variables(self) -> list[Variable]:
        """All of the optimizer's state: iterations, the learning rate (when a float), the slots."""
        rate = [self._learning_rate] if isinstance(self._learning_rate, Variable) else []
        return [self._iterations, *rate, *self._slots]

    def build(self, variables: Iterable[Variable]) -> None:
        """Records the variables to update. Subclasses then create their slots."""
        variables = list(variables)
        for position, variable in enumerate(variables):
            if not isinstance(variable, Variable):
                raise TypeError(
                    f"{self.name}.build: variable {position} is a {type(variable).__name__}, not a "
                    "tinyfit.Variable; optimizers update Variables in place (layer weights are Variables)."
                )
        self._trainable_variables = variables
        self._index = {id(v): i for i, v in enumerate(variables)}
        self.built = True

    def _get_variable_index(self, variable: Variable) -> int:
        """The position of `variable` in the list given to build(): its slots sit there too."""
        if isinstance(variable, _FlatState):
            raise TypeError(
                f"{type(self).__name__}.update_step: with flat_updates = True the update runs once on all "
                "variables together, which have no single position; read the slots with "
                "self._slot(variable, name) instead of by _get_variable_index, or set flat_updates = False."
            )
        return self._index[id(variable)]

    def add_variable(self, shape: tuple, initializer: Any = "zeros", dtype: Any = "float32",
                     name: str | None = None) -> Variable:
        """A new non-trainable state Variable on the default backend's device."""
        return self._new_slot(tuple(shape), initializer, dtype, name, backend.xp())

    def add_variable_from_reference(self, reference: Variable, name: str | None = None,
                                    initializer: Any = "zeros") -> Variable:
        """A state Variable with the shape, dtype and device of `reference` (zeros by default)."""
        base = (getattr(reference, "path", None) or reference.name).replace("/", "_")
        xp = backend.array_module(reference.data)
        slot = self._new_slot(reference.shape, initializer, reference.dtype, f"{base}_{name or 'var'}", xp)
        self._slot_of[name or "var", id(reference)] = slot
        return slot

    def _slot(self, variable: Any, name: str) -> Any:
        """The array of `variable`'s slot `name` (made by add_variable_from_reference(variable, name))."""
        return self._slot_of[name, id(variable)].data

    def _scratch(self, like: Any, index: int = 0) -> Any:
        """A work array shaped like `like`, kept between steps: an update written into it with
        `out=` makes no temporaries (fresh arrays this size cost page faults on every step).
        `index` tells apart the buffers one update needs at once."""
        key = (like.shape, like.dtype, backend.device_of(like), index)
        buffers = self.__dict__.setdefault("_scratch_buffers", {})
        if key not in buffers:
            buffers[key] = backend.array_module(like).empty(like.shape, dtype=like.dtype)
        return buffers[key]

    def _new_slot(self, shape: tuple, initializer: Any, dtype: Any, name: str | None, xp: Any) -> Variable:
        if isinstance(initializer, str) and initializer in ("zeros", "ones"):
            value = (xp.zeros if initializer == "zeros" else xp.ones)(shape, dtype=dtype)
        elif backend.is_number(initializer):
            value = xp.full(shape, initializer, dtype=dtype)
        elif callable(initializer):
            value = xp.asarray(initializer(shape, dtype), dtype=dtype)
        else:
            raise ValueError(
                f"{self.name}: unknown initializer {initializer!r}; use 'zeros', 'ones', a number, "
                "or a function (shape, dtype) -> array."
            )
        slot = Variable(value, dtype=dtype, trainable=False, name=name)
        if backend.device_of(slot.data) != backend.device_of(value):
            slot.data = backend.to_device(slot.data, backend.device_of(value))
        self._slots.append(slot)
        return slot

    # ------------------------------------------------------------- weight decay
    def exclude_from_weight_decay(self, var_list: Iterable[Variable] | None = None,
                                  var_names: Iterable[str] | None = None) -> None:
        """Keeps weight decay off these variables, or off those whose name contains one of var_names
        (a regular expression search: var_names=["bias"] spares every bias)."""
        if self.built:
            raise ValueError(
                f"{self.name}: exclude_from_weight_decay() must be called before the optimizer is built "
                "(before the first training step)."
            )
        self._excluded_ids = {id(v) for v in var_list or ()}
        self._excluded_names = list(var_names or ())

    def _use_weight_decay(self, variable: Variable) -> bool:
        if id(variable) in self._excluded_ids:
            return False
        return not any(re.search(pattern, variable.name) for pattern in self._excluded_names)

    def _apply_weight_decay(self, variables: list[Variable], learning_rate: float) -> None:
        if self.weight_decay is None:
            return
        shrink = learning_rate * self.weight_decay
        for variable in variables:
            if self._use_weight_decay(variable):
                variable.data -= variable.data * shrink

    # ----------------------------------------------------------------- clipping
    def _clip_gradients(self, grads: list) -> list:
        xp = backend.array_module(grads[0])
        if self.clipnorm is not None:
            # g * c / max(|g|, c): unchanged when |g| <= c, rescaled to norm c otherwise.
            return [g * (self.clipnorm / xp.maximum(_l2_norm(g), self.clipnorm)) for g in grads]
        if self.global_clipnorm is not None:
            total = xp.sqrt(sum(xp.sum(xp.square(g)) for g in grads))
            scale = self.global_clipnorm / xp.maximum(total, self.global_clipnorm)
            return [g * scale.astype(g.dtype) for g in grads]
        if self.clipvalue is not None:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    # ------------------------------------------------------------------ updates
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> Variable:
        """Applies (gradient, variable) pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs)
            self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads: Iterable[Any], trainable_variables: Iterable[Variable] | None = None) -> None:
        """Updates the variables from their gradients (one per variable, None to skip one).

        Gradients may be backend arrays or Tensors. The first call builds the
        optimizer on `trainable_variables`; later calls may leave them out.
        """
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    f"{self.name}.apply: the optimizer is not built yet, so it does not know which "
                    "variables the gradients belong to; pass them: optimizer.apply(grads, model.trainable_variables)."
                )
            variables = self._trainable_variables
        else:
            variables = list(trainable_variables)
            if not self.built:
                self.build(variables)
            if not _same_objects(variables, self._trainable_variables):  # the usual case needs no look-ups
                self._check_variables_are_known(variables)
        if len(grads) != len(variables):
            raise ValueError(
                f"{self.name}.apply: got {len(grads)} gradients for {len(variables)} variables; "
                "pass one gradient (or None) per variable, in the same order."
            )
        if not grads:
            return
        kept = [(self._as_gradient(g, v), v) for g, v in zip(grads, variables) if g is not None]
        if not kept:
            names = ", ".join(v.name for v in variables[:5]) + (", ..." if len(variables) > 5 else "")
            raise ValueError(
                f"{self.name}.apply: every gradient is None, for all {len(variables)} variables ({names}). "
                "The loss does not depend on them: check that the loss is computed from the model's "
                "outputs, and that backward() was called."
            )
        grads = self._clip_gradients([g for g, _ in kept])
        variables = [v for _, v in kept]
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        if not self._packed:
            self._pack()
        self._update_variables(grads, variables, learning_rate)
        self._iterations.data += 1

    def _update_variables(self, grads: list, variables: list[Variable], learning_rate: float) -> None:
        flat = self._flat
        if flat is not None and flat.covers(variables):
            flat.gather(grads)
            self.update_step(flat.gradient, flat, learning_rate)
            flat.scatter()
            return
        for gradient, variable in zip(grads, variables):
            self.update_step(gradient, variable, learning_rate)

    def _pack(self) -> None:
        """Moves the slots into one flat array per kind, dtype and device (each slot a view of its
        part, in the order of the variables); with `flat_updates`, prepares the one-pass update
        when every variable has one dtype and device and a slot of every kind."""
        self._packed = True
        variables = self._trainable_variables
        groups: dict[tuple, list[Variable]] = {}
        for name in dict.fromkeys(name for name, _ in self._slot_of):
            for v in variables:
                slot = self._slot_of.get((name, id(v)))
                if slot is not None:
                    groups.setdefault((name, slot.dtype, backend.device_of(slot.data)), []).append(slot)
        flats = {key: _as_views(slots) for key, slots in groups.items()}
        kinds = {(v.dtype, backend.device_of(v.data)) for v in variables}
        names = {name for name, _, _ in flats}
        if self.flat_updates and len(kinds) == 1 and len(flats) == len(names) \
                and all(len(slots) == len(variables) for slots in groups.values()):
            self._flat = _FlatState(variables, {name: flat for (name, _, _), flat in flats.items()})
            for name, flat in self._flat.slots.items():
                self._slot_of[name, id(self._flat)] = flat

    # Whether update_step works element by element (the same formula for every number, whatever
    # the shape): then all variables are updated in one pass over flat arrays. A subclass whose
    # update looks at a whole variable (a norm, a matrix factor) leaves it False.
    flat_updates = False

    def update_step(self, gradient: Any, variable: Variable, learning_rate: float) -> None:
        """Updates `variable.data` in place from `gradient` (a backend array). Subclasses write this."""
        raise NotImplementedError(
            f"{type(self).__name__} must implement update_step(self, gradient, variable, learning_rate)."
        )

    def _check_variables_are_known(self, variables: list[Variable]) -> None:
        for variable in variables:
            if id(variable) not in self._index:
                raise ValueError(
                    f"{self.name}: unknown variable {variable.name!r} (shape {variable.shape}). This "
                    f"optimizer was built for {len(self._trainable_variables)} other variables; create "
                    "a new optimizer for a new set of variables."
                )

    def _as_gradient(self, gradient: Any, variable: Variable) -> Any:
        data = gradient.data if isinstance(gradient, Tensor) else gradient
        target = variable.data
        if type(data) is type(target) and data.dtype == target.dtype and data.shape == target.shape:
            return data  # what backward() gives: the same kind of array as the variable, nothing to convert
        if backend.is_array(data) and backend.device_of(data) != variable.device:
            raise ValueError(
                f"{self.name}: the gradient for variable {variable.name!r} is on the "
                f"{backend.device_of(data)}, the variable on the {variable.device}; move the gradient "
                f"with tinyfit.backend.to_device(grad, {variable.device!r})."
            )
        data = backend.array_module(variable.data).asarray(data, dtype=variable.dtype)
        if data.shape != variable.shape:
            raise ValueError(
                f"{self.name}: the gradient for variable {variable.name!r} has shape {data.shape}, "
                f"the variable has shape {variable.shape}; a gradient has its variable's shape."
            )
        return data

    # ------------------------------------------------------------ saving state
    def get_config(self) -> dict:
        """The constructor arguments, as plain data (a schedule as its own config)."""
        rate = self._learning_rate
        if isinstance(rate, Variable):
            rate = float(rate.data)
        elif isinstance(rate, LearningRateSchedule):
            rate = serialize_schedule(rate)
        else:
            raise ValueError(
                f"{self.name}: a learning_rate given as a function cannot be saved (saved files hold no "
                "code). Use a float or a LearningRateSchedule subclass with get_config()."
            )
        return {"name": self.name, "learning_rate": rate, "weight_decay": self.weight_decay,
                "clipnorm": self.clipnorm, "global_clipnorm": self.global_clipnorm,
                "clipvalue": self.clipvalue}

    @classmethod
    def from_config(cls, config: dict, custom_objects: dict | None = None) -> "Optimizer":
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            config["learning_rate"] = deserialize_schedule(config["learning_rate"], custom_objects)
        return cls(**config)

    def save_own_variables(self, store: dict) -> None:
        """Writes the state arrays into `store` under "0", "1", ... (the order of `variables`)."""
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store: dict) -> None:
        """Restores the state written by save_own_variables (build the optimizer first)."""
        variables = self.variables
        if len(store) != len(variables):
            hint = " It is not built yet: call optimizer.build(model.trainable_variables) first." \
                if not self.built else ""
            raise ValueError(
                f"{self.name}: the saved state has {len(store)} arrays, this optimizer has "
                f"{len(variables)} variables.{hint}"
            )
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def __repr__(self) -> str:
        return (f"<{type(self).__name__} name={self.name!r} learning_rate={self._current_learning_rate():.6g} "
                f"iterations={int(self._iterations.data)}>")


def _same_objects(a: list, b: list) -> bool:
    """Whether two lists hold the same objects in the same order (by identity: Tensors compare by value)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x is not y:
            return False
    return True


def _as_views(slots: list[Variable]) -> Any:
    """Copies the slots (one dtype and device) into one flat array and makes each slot's data a view
    of its part; returns the flat array."""
    xp = backend.array_module(slots[0].data)
    flat = xp.empty(sum(slot.size for slot in slots), dtype=slots[0].dtype)
    start = 0
    for slot in slots:
        view = flat[start:start + slot.size].reshape(slot.shape)
        view[...] = slot.data
        slot.data = view
        start += slot.size
    return flat


class _Holder:
    """Holds an array as `.data`, as a slot Variable does."""

    __slots__ = ("data",)

    def __init__(self, data: Any):
        self.data = data


class _FlatState:
    """All variables of an optimizer as one: flat gradient and weight arrays, and each slot kind's
    flat array, which update_step receives in place of one variable and its slots.

    The weights stay the layers' own arrays: they are copied in before the pass and back after
    it, so code holding a weight's array keeps seeing its values.
    """

    def __init__(self, variables: list[Variable], slots: dict[str, Any]):
        self.variables = list(variables)
        xp = backend.array_module(variables[0].data)
        size = sum(v.size for v in variables)
        self.data = xp.empty(size, dtype=variables[0].dtype)  # the weights, during a pass
        self.gradient = xp.empty(size, dtype=variables[0].dtype)
        self.weight_views, self.gradient_views, start = [], [], 0
        for v in variables:
            self.weight_views.append(self.data[start:start + v.size].reshape(v.shape))
            self.gradient_views.append(self.gradient[start:start + v.size].reshape(v.shape))
            start += v.size
        # Each slot kind's flat array, found by optimizer._slot(self, name) during a pass.
        self.slots = {name: _Holder(flat) for name, flat in slots.items()}

    def covers(self, variables: list[Variable]) -> bool:
        """Whether this step updates exactly these variables, in this order (no gradient was None)."""
        return _same_objects(variables, self.variables)

    def gather(self, grads: list) -> None:
        for view, gradient, v, weights in zip(self.gradient_views, grads, self.variables, self.weight_views):
            view[...] = gradient
            weights[...] = v.data

    def scatter(self) -> None:
        for v, weights in zip(self.variables, self.weight_views):
            v.data[...] = weights
