"""plot_model: a picture of a model's layers and how they connect, with no system program.

Keras draws with graphviz (the `dot` program). tinyfit reads the model's graph
(diagram.py), computes the layout itself (layout.py, arrange.py), writes SVG as
text (svg.py) and, for PNG, draws the same picture with matplotlib (figure.py),
so it works on any machine with Python.
"""

from __future__ import annotations

import os
from typing import Any

from .arrange import arrange
from .diagram import Options, model_diagram
from .svg import to_svg

RANKDIRS = ("TB", "LR")
_FORMATS = (".png", ".svg", ".pdf")


def plot_model(model: Any, to_file: str | os.PathLike | None = "model.png", show_shapes: bool = False,
               show_dtype: bool = False, show_layer_names: bool = True, rankdir: str = "TB",
               expand_nested: bool = False, dpi: int = 200, show_layer_activations: bool = False,
               show_trainable: bool = False) -> Any:
    """Draws the model's graph: a box per layer, arrows from each layer to those it feeds.

    Args:
        model: a functional, Sequential or subclassed model (a subclassed model has
            no graph to draw: it is one box).
        to_file: where to write the picture: ".png" (needs matplotlib), ".svg"
            (needs nothing) or ".pdf" (matplotlib); None writes no file.
        show_shapes: add each layer's input and output shapes (None for the batch axis).
        show_dtype: add the dtypes of its inputs and outputs.
        show_layer_names: title boxes "name (Class)" rather than "Class".
        rankdir: "TB" draws top to bottom, "LR" left to right.
        expand_nested: draw the layers of nested models, framed, instead of one box each.
        dpi: dots per inch of a PNG.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: add whether each layer is trainable.

    Returns:
        An object a notebook shows inline (IPython's SVG or Image) when IPython is
        installed, else a ModelPlot whose `.svg` is the SVG text.
    """
    if rankdir not in RANKDIRS:
        raise ValueError(
            f"plot_model: rankdir={rankdir!r} is not one of {', '.join(map(repr, RANKDIRS))} "
            "(\"TB\": top to bottom, \"LR\": left to right)."
        )
    if not hasattr(model, "layers") or not hasattr(model, "name"):
        raise TypeError(f"plot_model: expected a Model, got {type(model).__name__}: {model!r}.")
    suffix = _suffix(to_file)
    options = Options(show_shapes=show_shapes, show_dtype=show_dtype, show_layer_names=show_layer_names,
                      expand_nested=expand_nested, show_layer_activations=show_layer_activations,
                      show_trainable=show_trainable)
    drawing = arrange(model_diagram(model, options), rankdir)
    svg = to_svg(drawing)
    if suffix == ".svg":
        with open(to_file, "w", encoding="utf-8") as f:
            f.write(svg)
    elif suffix is not None:
        _write_with_matplotlib(drawing, to_file, dpi)
    return _displayable(svg, to_file if suffix == ".png" else None)


def _suffix(to_file: Any) -> str | None:
    if to_file is None:
        return None
    suffix = os.path.splitext(os.fspath(to_file))[1].lower()
    if suffix not in _FORMATS:
        raise ValueError(
            f"plot_model: cannot write {os.fspath(to_file)!r}: the file name must end in "
            f"{', '.join(_FORMATS)} (or pass to_file=None to write no file)."
        )
    return suffix


def _write_with_matplotlib(drawing: Any, to_file: Any, dpi: int) -> None:
    try:
        import matplotlib  # noqa: F401  (only to say clearly when it is missing)
    except ImportError:
        raise ImportError(
            f"plot_model: writing {os.fspath(to_file)!r} needs matplotlib: pip install matplotlib. "
            "An .svg file needs nothing: plot_model(model, to_file=\"model.svg\")."
        ) from None
    from .figure import to_figure

    to_figure(drawing).savefig(to_file, dpi=dpi)


class ModelPlot:
    """The picture when IPython is not installed: `.svg` holds the SVG text (a notebook shows it)."""

    def __init__(self, svg: str):
        self.svg = svg

    def _repr_svg_(self) -> str:
        return self.svg


def _displayable(svg: str, png_file: Any) -> Any:
    try:
        from IPython.display import SVG, Image
    except ImportError:
        return ModelPlot(svg)
    return Image(filename=os.fspath(png_file)) if png_file is not None else SVG(data=svg)
