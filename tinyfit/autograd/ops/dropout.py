"""Dropout: multiply by a random mask that the op draws itself.

The mask is drawn inside forward, not by the layer beforehand, so that the op
is the whole story: a step that is recorded once and replayed (tinyfit's
compiled step, see autograd/recorder.py) draws a fresh mask on every replay,
from the same generator and in the same order as eager code would.
"""

from __future__ import annotations

from typing import Any, Callable

from ... import backend
from ..function import Function, unbroadcast


class Dropout(Function):
    """x * mask, the mask drawn by `draw_mask(mask_shape, dtype)` (kept values already scaled).

    `draw_mask` returns the mask on the CPU (random draws come from NumPy's
    generator on every backend, so a seed gives the same masks on CPU and GPU);
    the op moves it to x's device. `mask_shape` broadcasts against x.
    """

    name = "dropout"

    def forward(self, x: Any, draw_mask: Callable[[tuple, Any], Any], mask_shape: tuple) -> Any:
        self.mask = backend.to_device(draw_mask(mask_shape, x.dtype), backend.device_of(x))
        self.shape = x.shape
        return x * self.mask

    def backward(self, grad: Any) -> Any:
        return unbroadcast(grad * self.mask, self.shape)
