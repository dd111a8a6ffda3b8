"""The state of an optimizer: the variables it updates, its slots (momentums, velocities...) and its step count.

`build(variables)` records the variables to update; a subclass then makes one slot per
variable with `add_variable_from_reference` and reads it in `update_step` with
`self._slot(variable, name)`. `variables` lists all of the state in a fixed order
(iterations, the learning rate when a float, the slots), which is the order
`save_own_variables` writes and `load_own_variables` reads.
"""

from __future__ import annotations

from typing import Any, Iterable

from .. import backend
from ..autograd.variable import Variable
from .flat_state import FlatState


class OptimizerVariables:
    """The state half of Optimizer: building, slots, `variables`, `iterations`, saving the arrays.

    Optimizer.__init__ sets the fields read here (`_trainable_variables`, `_index`,
    `_slots`, `_slot_of`, `_iterations`, `built`, `name`).
    """

    @property
    def iterations(self) -> Variable:
        """How many updates this optimizer has applied (an int64 Variable)."""
        return self._iterations

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
        if isinstance(variable, FlatState):
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

