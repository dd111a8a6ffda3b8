"""The drawing of svg.py on a matplotlib Figure, for PNG (and PDF) files.

The coordinates are svg.py's, one unit to a point (72 to the inch), so a file
written at `dpi` has dpi / 72 pixels per SVG pixel. The Figure is made without
pyplot: nothing opens a window or joins a notebook's list of figures.
"""

from __future__ import annotations

from typing import Any

from .arrange import Drawing
from .diagram import FONT_SIZE, LINE_HEIGHT, PAD_X
from .svg import BOX_FILL, FRAME_STROKE, INK, baseline


def to_figure(drawing: Drawing) -> Any:
    """A matplotlib Figure holding the drawing."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch
    from matplotlib.path import Path

    figure = Figure(figsize=(drawing.width / 72, drawing.height / 72))
    axes = figure.add_axes((0, 0, 1, 1))
    axes.set_xlim(0, drawing.width)
    axes.set_ylim(drawing.height, 0)  # y grows downwards, as in SVG
    axes.axis("off")
    text = {"family": "monospace", "size": FONT_SIZE, "va": "baseline", "ha": "left"}
    for f in drawing.frames:
        axes.add_patch(FancyBboxPatch((f.x, f.y), f.width, f.height, boxstyle="round,pad=0,rounding_size=6",
                                      fill=False, edgecolor=FRAME_STROKE, linestyle="--"))
        axes.text(f.x + 6, f.y + LINE_HEIGHT - 2, f.name, color=FRAME_STROKE, **text)
    for arrow in drawing.arrows:
        codes = [Path.MOVETO] + [Path.LINETO] * (len(arrow.points) - 1)
        axes.add_patch(FancyArrowPatch(path=Path(arrow.points, codes), arrowstyle="-|>", mutation_scale=10,
                                       color=INK, linewidth=1, shrinkA=0, shrinkB=0))
    for box in drawing.boxes:
        axes.add_patch(FancyBboxPatch((box.x, box.y), box.width, box.height, boxstyle="round,pad=0,rounding_size=4",
                                      facecolor=BOX_FILL, edgecolor=INK))
        for i, line in enumerate(box.lines):
            axes.text(box.x + PAD_X, baseline(box.y, i), line, color=INK, weight="bold" if i == 0 else "normal",
                      **text)
    return figure
