"""The layer call in progress: the training flag inner layers inherit, and who owns the losses.

Calling a model calls the layers inside it, and those call theirs. Two facts
travel down from the outermost call to every inner one:

- the `training` flag in force (an inner layer called without one inherits it);
- the outermost call itself, a `LayerCall`: it collects the losses (`add_loss`)
  and metric values (`add_metric`) every layer adds during it, so that
  `model.losses` after `model(x)` are exactly that call's losses.

They travel through a `contextvars.ContextVar`, not a module-level list: every
thread (and every asyncio task) sees only its own calls, so two models called
at the same time in two threads never mix up their losses or training flags.
`Layer.__call__` sets the variable for the duration of its `call` and resets it
afterwards, whatever happens.

Shape inference (calling a layer on `keras.Input` tensors) runs `call` on
made-up data inside a LayerCall that holds a `no_trace` scope (probe.py):
whatever is added during it is dropped, since it says nothing about real data,
and a layer that builds itself during it does so through that scope.
"""

from __future__ import annotations

from contextvars import ContextVar
from typing import Any


class LayerCall:
    """One outermost layer call and what the layers add during it.

    Attributes:
        owner: the layer whose call this is (the outermost one).
        no_trace: for a call on made-up data (shape inference), the probe's NoTrace
            scope; such a call is `discard`ed: nothing added during it is kept.
        losses: (layer, loss tensor) pairs, in the order add_loss() got them.
        metric_values: (layer, name, value) triples, in the order add_metric() got them.
    """

    __slots__ = ("owner", "no_trace", "losses", "metric_values")

    def __init__(self, owner: Any, no_trace: Any = None):
        self.owner = owner
        self.no_trace = no_trace
        self.losses: list[tuple[Any, Any]] = []
        self.metric_values: list[tuple[Any, str, Any]] = []

    @property
    def discard(self) -> bool:
        return self.no_trace is not None

    def __repr__(self) -> str:
        name = getattr(self.owner, "name", self.owner)
        return (f"<LayerCall of {name}: {len(self.losses)} loss(es), {len(self.metric_values)} metric value(s)"
                f"{', discarded' if self.discard else ''}>")


class CallContext:
    """What one layer call hands to the calls inside it: the training flag and the outermost call."""

    __slots__ = ("training", "call")

    def __init__(self, training: bool | None, call: LayerCall):
        self.training = training
        self.call = call


# The innermost layer call running in this thread or task (None outside any call).
current_call: ContextVar[CallContext | None] = ContextVar("tinyfit_layer_call", default=None)


def owned_by(call: LayerCall, entries: list[tuple], layers: list[Any]) -> list[tuple]:
    """The entries of `call` (losses or metric values; the layer first in each) added by one of
    `layers` whose latest call is `call`: a layer called again on its own since then has
    started afresh, and its earlier values belong to nobody."""
    if not entries:
        return []
    ids = {id(layer) for layer in layers}
    return [entry for entry in entries if id(entry[0]) in ids and entry[0]._last_call is call]
