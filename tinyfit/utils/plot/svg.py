"""A Drawing as SVG text: no library, no system program.

Drawn in this order: the frames of expanded models (dashed, titled), the
arrows, then the boxes with their text in a monospace font (the box sizes
assume one), the first line in bold. figure.py draws the same at the same
coordinates with matplotlib, for PNG and PDF files.
"""

from __future__ import annotations

from html import escape as _html_escape

from .arrange import Drawing
from .diagram import FONT_SIZE, LINE_HEIGHT, PAD_X, PAD_Y

ARROW = 7.0  # the arrowhead's length
BOX_FILL, FRAME_STROKE, INK = "#eef3fb", "#7a869a", "#1f2937"
FONTS = "DejaVu Sans Mono, Menlo, Consolas, monospace"


def escape(text: str) -> str:
    """Text for an SVG element: &, < and > escaped.

    html's escape, not xml.sax.saxutils, whose import brings urllib and http along.
    """
    return _html_escape(text, quote=False)


def quoteattr(text: str) -> str:
    """An attribute value, quoted, with quotes and markup escaped."""
    return '"' + _html_escape(text, quote=True) + '"'


def baseline(top: float, line: int) -> float:
    """The y of the baseline of a box's `line`-th line of text."""
    return top + PAD_Y + (line + 0.75) * LINE_HEIGHT


def to_svg(drawing: Drawing) -> str:
    """The SVG document of the drawing."""
    width, height = drawing.width, drawing.height
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.1f} {height:.1f}" font-family="{FONTS}" font-size="{FONT_SIZE:g}">',
        f'<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="{ARROW:g}" '
        f'markerHeight="{ARROW:g}" orient="auto"><path d="M 0 0 L 10 5 L 0 10 z" fill="{INK}"/></marker></defs>',
        f'<rect width="{width:.1f}" height="{height:.1f}" fill="white"/>',
    ]
    for f in drawing.frames:
        out.append(f'<g class="frame" id={quoteattr(f.name)}><rect x="{f.x:.1f}" y="{f.y:.1f}" '
                   f'width="{f.width:.1f}" height="{f.height:.1f}" rx="6" fill="none" stroke="{FRAME_STROKE}" '
                   f'stroke-dasharray="5,3"/><text x="{f.x + 6:.1f}" y="{f.y + LINE_HEIGHT - 2:.1f}" '
                   f'fill="{FRAME_STROKE}">{escape(f.name)}</text></g>')
    for arrow in drawing.arrows:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in arrow.points)
        out.append(f'<polyline class="edge" data-source={quoteattr(arrow.source)} '
                   f'data-target={quoteattr(arrow.target)} points="{coords}" fill="none" stroke="{INK}" '
                   'marker-end="url(#arrow)"/>')
    for box in drawing.boxes:
        out.append(f'<g class="layer" id={quoteattr(box.name)}><rect x="{box.x:.1f}" y="{box.y:.1f}" '
                   f'width="{box.width:.1f}" height="{box.height:.1f}" rx="4" fill="{BOX_FILL}" stroke="{INK}"/>')
        for i, line in enumerate(box.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            out.append(f'<text x="{box.x + PAD_X:.1f}" y="{baseline(box.y, i):.1f}" fill="{INK}" '
                       f'xml:space="preserve"{weight}>{escape(line)}</text>')
        out.append("</g>")
    out.append("</svg>")
    return "\n".join(out) + "\n"
