"""Metric: a running statistic over many batches, kept in Variables.

A loss answers "how wrong is this batch?"; a metric answers "how well are we
doing this epoch?". It therefore keeps state between batches:

    update_state(y_true, y_pred, sample_weight)   fold one batch into the state
    result()                                      the value so far (a 0-d Tensor)
    reset_state()                                 start over (each epoch)

The state lives in non-trainable Variables made by `add_variable`. The built-in
metrics update it in place on the backend arrays (`add_to_state`), so the numbers
stay on the device (NumPy or CuPy), and neither a Tensor op nor a graph node is
made for them: a metric runs at every step, where that bookkeeping would cost
more than the sums themselves. Your own metrics may use `assign_add`.
"""

from __future__ import annotations

from typing import Any

from .. import backend
from ..autograd.tensor import Tensor, as_dtype
from ..autograd.variable import Variable
from ..losses.loss import to_snake_case

_INITIALIZERS = ("zeros", "ones")


def _initial_value(initializer: Any, shape: tuple[int, ...], dtype: str, where: str) -> Any:
    """The starting array of a metric variable."""
    xp = backend.xp()
    if isinstance(initializer, str):
        if initializer not in _INITIALIZERS:
            raise ValueError(
                f"{where}: unknown initializer {initializer!r}; metric variables accept "
                f"{', '.join(map(repr, _INITIALIZERS))}, a number, an array, or a function (shape, dtype)."
            )
        return xp.full(shape, 0 if initializer == "zeros" else 1, dtype=dtype)
    if callable(initializer) and not isinstance(initializer, Tensor):
        return initializer(shape, dtype)
    if isinstance(initializer, (int, float)):
        return xp.full(shape, initializer, dtype=dtype)
    return initializer


class Metric:
    """Base class of metrics: subclasses write `update_state` and `result`.

    Args:
        name: the metric's name, the key it is logged under (defaults to the
            class name in snake_case).
        dtype: the dtype of the state and the result (float32 by default).

    A subclass creates its state in `__init__` with `self.add_variable(...)`;
    the default `reset_state` sets every such variable back to zero.
    """

    # True for metrics that read their targets only as class indices, so that int64 labels give
    # the same figures: fit() may then check the labels once and pass them on as int64
    # (trainers/compile_utils.class_index_outputs). Each class says so in its own body, since a
    # subclass may read its targets otherwise; one that says nothing gets the targets as given.
    class_index_targets = False

    def __init__(self, name: str | None = None, dtype: Any = None):
        self.name = name or to_snake_case(type(self).__name__)
        self._dtype = as_dtype(dtype or "float32", type(self).__name__).name
        self._variables: list[Variable] = []

    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: str | None = None) -> Variable:
        """Creates a non-trainable state Variable owned by this metric.

        Args:
            shape: its shape (() for a single number).
            initializer: "zeros", "ones", a number, an array, or a function (shape, dtype).
            dtype: defaults to the metric's dtype.
            aggregation: how replicas would combine it (kept for Keras compatibility).
            name: a readable name, e.g. "total".

        Returns:
            The Variable; update it with `assign`, `assign_add`, `assign_sub`.
        """
        if "_variables" not in self.__dict__:
            raise RuntimeError(
                f"{type(self).__name__}: call super().__init__(...) at the start of __init__, "
                "before add_variable()."
            )
        shape = (shape,) if isinstance(shape, int) else tuple(shape or ())
        dtype = as_dtype(dtype or self._dtype, "add_variable").name
        name = name or f"variable_{len(self._variables)}"
        value = _initial_value(initializer, shape, dtype, f"{self.name}.add_variable({name!r})")
        variable = Variable(value, shape=shape, dtype=dtype, trainable=False, name=name)
        variable.path = f"{self.name}/{name}"
        variable.aggregation = aggregation
        self._variables.append(variable)
        return variable

    def add_weight(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                   name: str | None = None) -> Variable:
        """The same as `add_variable` (the older Keras name)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> list[Variable]:
        """This metric's state variables, then those of any metrics it holds as attributes."""
        found = list(self.__dict__.get("_variables", []))
        for value in self.__dict__.values():
            if isinstance(value, Metric) and value is not self:
                found += [v for v in value.variables if all(v is not f for f in found)]
        return found

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Folds one batch into the state."""
        raise NotImplementedError(f"{type(self).__name__} must implement update_state(...).")

    def result(self) -> Tensor:
        """The metric's value so far."""
        raise NotImplementedError(f"{type(self).__name__} must implement result().")

    def reset_state(self) -> None:
        """Sets every state variable back to zero."""
        for v in self.variables:
            v.assign(0)

    def __call__(self, *args: Any, **kwargs: Any) -> Tensor:
        """update_state(...) then result(): the value including this batch."""
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        """The arguments that rebuild this metric with `from_config`."""
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r}>"


def add_to_state(variable: Variable, value: Any) -> None:
    """`variable += value` on its array, in place (a metric's state update).

    Metric state is not a weight: no compiled step records its updates (the step
    feeds the metrics itself after its replay), and a layer's probe puts back the
    state of the metrics it holds. So the checks of `assign_add` are skipped; only
    a value from another device is moved first.

    Args:
        variable: a state Variable of a metric.
        value: an array or number of the variable's shape (or one that broadcasts to it).
    """
    data = variable.data
    if backend.is_array(value) and backend.device_of(value) != backend.device_of(data):
        value = backend.to_device(value, backend.device_of(data))
    data += value


def divide_no_nan(x: Tensor, y: Tensor) -> Tensor:
    """x / y, with 0 wherever y is 0 (a metric that has seen nothing reports 0, not nan).

    Works on the arrays directly: results are read every step, and need no graph.
    """
    xp = backend.array_module(x.data)
    if y.data.ndim == 0 and backend.device_of(y.data) == "cpu":
        # One number on the CPU (a mean's total / count, read at every step): plain division.
        value = x.data / y.data if y.data != 0 else xp.zeros_like(x.data)
        return Tensor._make(xp.asarray(value, dtype=x.dtype), False)
    is_zero = y.data == 0
    quotient = x.data / xp.where(is_zero, 1, y.data)
    return Tensor._make(xp.where(is_zero, 0, quotient).astype(x.dtype, copy=False), False)
