"""Padding and cropping layers: ZeroPadding1D/2D/3D add zeros around the spatial axes,
Cropping1D/2D/3D cut values off them.

Each spatial axis gets a (before, after) pair: rows at the top and bottom, columns
at the left and right, steps at the start and end. The batch and channel axes are
left as they are, and so is the dtype. Padding is the engine's `pad` op, cropping
a slice: both pass gradients back to where the values came from.
"""

from __future__ import annotations

from typing import Any

from .. import ops
from .convolutional import check_data_format, check_rank
from .layer import Layer
from .output_spec import ShapeByArithmetic

_AXES = {1: ("steps",), 2: ("height", "width"), 3: ("depth", "height", "width")}
_FORMS = {
    1: "an int (the same at both ends) or a tuple of 2 ints (start, end)",
    2: "an int, a tuple of 2 ints (symmetric height, symmetric width), or a tuple of 2 tuples of "
       "2 ints ((top, bottom), (left, right))",
    3: "an int, a tuple of 3 ints (symmetric on each spatial axis), or a tuple of 3 tuples of 2 ints "
       "((before, after) on each spatial axis)",
}


def _pair(value: Any) -> tuple[int, int] | None:
    """(v, v) for an int, (a, b) for two ints; None for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (tuple, list)) and len(value) == 2 \
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        return (value[0], value[1])
    return None


def spatial_pairs(layer: str, name: str, value: Any, rank: int) -> tuple[tuple[int, int], ...]:
    """`value` in any of Keras's forms as one (before, after) pair of ints >= 0 per spatial axis."""
    if rank == 1:
        pairs = (_pair(value),)
    elif isinstance(value, int) and not isinstance(value, bool):
        pairs = (_pair(value),) * rank
    elif isinstance(value, (tuple, list)) and len(value) == rank:
        pairs = tuple(_pair(v) for v in value)
    else:
        pairs = (None,)
    if None in pairs:
        raise ValueError(f"{layer}: {name} must be {_FORMS[rank]}; got {value!r}.")
    negative = [v for pair in pairs for v in pair if v < 0]
    if negative:
        raise ValueError(f"{layer}: {name} cannot be negative; got {value!r}, which holds {negative[0]}.")
    return pairs


class _Spatial(ShapeByArithmetic, Layer):
    """Shared by the padding and cropping layers: `rank` spatial axes, channels last."""

    rank = 1

    def build(self, input_shape: tuple) -> None:
        check_rank(self, input_shape, self.rank)
        self.built = True

    def output_dtype(self, inputs: Any):
        return inputs.dtype  # values are only moved: integers stay integers

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        raise NotImplementedError


class _ZeroPadding(_Spatial):
    def __init__(self, padding: Any, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        what = type(self).__name__
        pairs = spatial_pairs(what, "padding", padding, self.rank)
        self.padding = pairs[0] if self.rank == 1 else pairs
        self.data_format = check_data_format(what, data_format)

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return (self.padding,) if self.rank == 1 else self.padding

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        return ops.pad(inputs, ((0, 0), *self._pairs(), (0, 0)))

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        sizes = tuple(None if n is None else n + before + after
                      for n, (before, after) in zip(input_shape[1:-1], self._pairs()))
        return (input_shape[0],) + sizes + (input_shape[-1],)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "padding": self.padding, "data_format": self.data_format}


class ZeroPadding1D(_ZeroPadding):
    """Adds zeros at the start and end of the steps axis: (batch, steps, channels).

    Args:
        padding: an int (that many zeros at each end) or a tuple (start, end); default 1.
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    rank = 1

    def __init__(self, padding: Any = 1, data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding2D(_ZeroPadding):
    """Adds rows and columns of zeros around images: (batch, height, width, channels).

    Args:
        padding: an int (the same on all four sides), a tuple (symmetric height,
            symmetric width), or ((top, bottom), (left, right)); default (1, 1).
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    rank = 2

    def __init__(self, padding: Any = (1, 1), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class ZeroPadding3D(_ZeroPadding):
    """Adds zeros around volumes: (batch, depth, height, width, channels).

    Args:
        padding: an int (the same on every side), a tuple of 3 ints (symmetric on
            each spatial axis), or 3 tuples of 2 ints ((before, after) on each axis);
            default ((1, 1), (1, 1), (1, 1)).
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    rank = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(padding, data_format, **kwargs)


class _Cropping(_Spatial):
    def _kept(self, input_shape: tuple) -> tuple:
        """The size left on each spatial axis (None where unknown); refuses to crop an axis away."""
        kept = []
        for axis, n, (before, after) in zip(_AXES[self.rank], input_shape[1:-1], self._pairs()):
            if n is not None and before + after >= n:
                raise ValueError(
                    f"{type(self).__name__} {self.name!r}: cropping {before} + {after} = {before + after} "
                    f"from the {axis} axis leaves nothing of its {n} (inputs of shape {tuple(input_shape)}). "
                    f"Crop fewer than {n} in all from that axis."
                )
            kept.append(None if n is None else n - before - after)
        return tuple(kept)

    def call(self, inputs):
        check_rank(self, inputs.shape, self.rank)
        self._kept(inputs.shape)
        middle = tuple(slice(before, n - after) for n, (before, after) in zip(inputs.shape[1:-1], self._pairs()))
        return inputs[(slice(None),) + middle]

    def compute_output_shape(self, input_shape: tuple) -> tuple:
        check_rank(self, input_shape, self.rank)
        return (input_shape[0],) + self._kept(input_shape) + (input_shape[-1],)


class Cropping1D(_Cropping):
    """Cuts values off the start and end of the steps axis: (batch, steps, channels).

    Args:
        cropping: an int (that many at each end) or a tuple (start, end); default (1, 1).
    """
    supports_jit = True

    rank = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = spatial_pairs("Cropping1D", "cropping", cropping, 1)[0]

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return (self.cropping,)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping}


class Cropping2D(_Cropping):
    """Cuts rows and columns off the edges of images: (batch, height, width, channels).

    Args:
        cropping: an int (the same on all four sides), a tuple (symmetric height,
            symmetric width), or ((top, bottom), (left, right)); default no cropping.
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    rank = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = spatial_pairs("Cropping2D", "cropping", cropping, 2)
        self.data_format = check_data_format("Cropping2D", data_format)

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return self.cropping

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}


class Cropping3D(_Cropping):
    """Cuts values off the edges of volumes: (batch, depth, height, width, channels).

    Args:
        cropping: an int (the same on every side), a tuple of 3 ints (symmetric on
            each spatial axis), or 3 tuples of 2 ints ((before, after) on each axis);
            default ((1, 1), (1, 1), (1, 1)).
        data_format: None or "channels_last" (the only layout supported).
    """
    supports_jit = True

    rank = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.cropping = spatial_pairs("Cropping3D", "cropping", cropping, 3)
        self.data_format = check_data_format("Cropping3D", data_format)

    def _pairs(self) -> tuple[tuple[int, int], ...]:
        return self.cropping

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "cropping": self.cropping, "data_format": self.data_format}
