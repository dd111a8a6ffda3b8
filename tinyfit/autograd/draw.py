"""Drawing a Scalar graph: SVG via Graphviz when `dot` exists, else matplotlib, else text.

A missing system program or extra never raises here: each backend reports why it
cannot draw (a RuntimeError) and Scalar.draw() moves on to the next.
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING, Iterator

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .scalar import Scalar

class GraphSVG:
    """An SVG drawing of a graph; Jupyter displays it inline."""

    def __init__(self, svg: str, dot: str) -> None:
        self.svg = svg
        self.dot = dot

    def _repr_svg_(self) -> str:
        return self.svg

    def __repr__(self) -> str:
        return f"<GraphSVG: {len(self.svg)} characters of SVG>"


class GraphText:
    """A plain-text drawing of a graph; its repr is the drawing itself."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text

    __str__ = __repr__


def _edges(order: list[Scalar]) -> Iterator[tuple[Scalar, Scalar]]:
    for node in order:
        for parent in node._parents:
            yield parent, node


def _dot_escape(text: str) -> str:
    # Characters that mean something inside a Graphviz record label.
    for ch in '\\{}|<>"':
        text = text.replace(ch, "\\" + ch)
    return text


def _dot_source(root: Scalar) -> str:
    order = root._topological_order()
    ids = {id(node): f"n{i}" for i, node in enumerate(order)}
    lines = ["digraph scalar {", "  rankdir=LR;", '  node [fontname="Helvetica", fontsize=11];']
    for node in order:
        nid = ids[id(node)]
        fields = [f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
        if node.label:
            fields.insert(0, node.label)
        record = " | ".join(_dot_escape(f) for f in fields)
        lines.append(f'  {nid} [shape=record, label="{{ {record} }}"];')
        if node._op:
            lines.append(f'  {nid}_op [shape=circle, label="{_dot_escape(node._op)}"];')
            lines.append(f"  {nid}_op -> {nid};")
    for parent, child in _edges(order):
        lines.append(f"  {ids[id(parent)]} -> {ids[id(child)]}_op;")
    lines.append("}")
    return "\n".join(lines) + "\n"


def draw_svg(root: Scalar) -> GraphSVG:
    dot = shutil.which("dot")
    if dot is None:
        raise RuntimeError("the Graphviz `dot` program is not on PATH")
    source = _dot_source(root)
    try:
        done = subprocess.run(
            [dot, "-Tsvg"], input=source, capture_output=True, text=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise RuntimeError(f"running `dot -Tsvg` failed ({err})") from err
    return GraphSVG(done.stdout, source)


def _layers(order: list[Scalar]) -> dict[int, int]:
    """Column of each node: leaves at 0, every other node one right of its deepest parent."""
    depth: dict[int, int] = {}
    for node in order:  # parents come first in a topological order
        depth[id(node)] = 1 + max((depth[id(p)] for p in node._parents), default=-1)
    return depth


def draw_matplotlib(root: Scalar) -> Figure:
    import matplotlib.pyplot as plt  # an optional extra: imported only when drawing

    order = root._topological_order()
    depth = _layers(order)
    columns: dict[int, list[Scalar]] = {}
    for node in order:
        columns.setdefault(depth[id(node)], []).append(node)
    n_cols = max(columns) + 1
    n_rows = max(len(col) for col in columns.values())

    # One data unit is one inch, so text boxes keep their size whatever the graph.
    col_gap, row_gap = 3.6, 0.8
    fig, ax = plt.subplots(figsize=(col_gap * n_cols, row_gap * n_rows + 0.6))
    ax.set_xlim(-1.7, col_gap * (n_cols - 1) + 1.7)
    ax.set_ylim(-row_gap * n_rows / 2 - 0.3, row_gap * n_rows / 2 + 0.3)
    ax.axis("off")
    fig.subplots_adjust(left=0, right=1, bottom=0, top=1)

    boxes, circles = {}, {}
    for c, col in columns.items():
        for r, node in enumerate(col):
            x = c * col_gap
            y = (len(col) - 1) / 2 * row_gap - r * row_gap
            fields = [f"data {node.data:.4f}", f"grad {node.grad:.4f}"]
            if node.label:
                fields.insert(0, node.label)
            boxes[id(node)] = ax.text(
                x, y, " | ".join(fields), ha="center", va="center", fontsize=9,
                family="monospace", bbox=dict(boxstyle="round,pad=0.3", fc="#e8f0fe", ec="#3c5a99"),
            )
            if node._op:
                # The op sits midway between its inputs' column and its output.
                circles[id(node)] = ax.text(
                    x - col_gap / 2, y, node._op, ha="center", va="center", fontsize=9,
                    bbox=dict(boxstyle="circle,pad=0.3", fc="#fff4d6", ec="#a07a10"),
                )

    def arrow(src, dst) -> None:
        # Anchored to the text artists' boxes, so arrows start and end at their edges.
        ax.annotate("", xy=(0, 0.5), xycoords=dst, xytext=(1, 0.5), textcoords=src,
                    arrowprops=dict(arrowstyle="->", color="#555555", shrinkA=2, shrinkB=2))

    for node in order:
        if node._op:
            arrow(circles[id(node)], boxes[id(node)])
    for parent, child in _edges(order):
        arrow(boxes[id(parent)], circles[id(child)])

    # Closed so Jupyter shows only the returned figure, not a second copy from pyplot.
    plt.close(fig)
    return fig


def _text_line(node: Scalar) -> str:
    name = node.label
    if node._op:
        name = f"{name} = {node._op}" if name else node._op
    return f"{name or '·'}  data={node.data:.4f}  grad={node.grad:.4f}"


def draw_text(root: Scalar) -> GraphText:
    lines: list[str] = []
    shown: set[int] = set()
    # (node, prefix for this line, prefix for its children); a stack, not recursion.
    stack: list[tuple[Scalar, str, str]] = [(root, "", "")]
    while stack:
        node, lead, child_lead = stack.pop()
        if id(node) in shown and node._parents:
            # Print a shared subgraph once; later uses point back to it.
            lines.append(f"{lead}{_text_line(node)}  (inputs shown above)")
            continue
        shown.add(id(node))
        lines.append(lead + _text_line(node))
        last = len(node._parents) - 1
        for i, parent in reversed(list(enumerate(node._parents))):
            branch, more = ("└── ", "    ") if i == last else ("├── ", "│   ")
            stack.append((parent, child_lead + branch, child_lead + more))
    return GraphText("\n".join(lines))
