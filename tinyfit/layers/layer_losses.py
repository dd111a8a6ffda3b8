"""What a layer's call adds besides its outputs: losses (add_loss) and metric values (add_metric).

Both are kept per outermost call (see call_context.py): a call's additions replace
those of the previous call, so `losses` always describes the latest forward pass.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .call_context import LayerCall, current_call, owned_by
from .symbolic import KerasTensor
from .tracking import unique

# How add_metric() may fold a value into its epoch figure.
METRIC_AGGREGATIONS = ("mean",)


class LossesAndMetrics:
    """The part of Layer that collects added losses and metric values (see Layer for the whole class)."""

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
        return [(name, value) for _, name, value in owned_by(call, call.metric_values, self._gathered().layers)]

    def _held_metrics(self) -> list[Any]:
        """Metric objects (anything with update_state, reset_state and variables) held as attributes
        by this layer or a layer inside it."""
        found = []
        for layer in self._flatten_layers():
            for value in layer.__dict__.values():
                kind = type(value)
                if hasattr(kind, "update_state") and hasattr(kind, "reset_state") and hasattr(value, "variables"):
                    found.append(value)
        return unique(found)

    @property
    def losses(self) -> list[Tensor]:
        """The losses of the last call (add_loss, activity regularizers, this layer and those inside)
        followed by the weight regularization penalties (computed now)."""
        tree = self._gathered()
        call = self._last_call
        found = []
        if call is not None and call.losses:  # added by a layer of this tree whose latest call this is
            ids = tree.layer_ids
            found = [loss for layer, loss in call.losses if id(layer) in ids and layer._last_call is call]
        if tree.regularized:
            found += [regularizer(v) for v, regularizer in tree.regularized]
        return found


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
