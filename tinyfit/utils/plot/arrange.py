"""From a Diagram to a Drawing: every box, frame and arrow at its place on the page.

An expanded nested model is laid out first, on its own; the frame around it
then counts as one big box in the layout of the model around it, so nothing
outside a frame ever lands inside it. Arrows into a frame go on to the box of
the nested model's input, arrows out of it start at the box making the output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .diagram import LINE_HEIGHT, Box, Diagram, Frame
from .layout import layered_layout

FRAME_PAD = 10.0


@dataclass
class Placed:
    """A box or a frame on the page: its top-left corner and size. A frame has no lines."""

    name: str
    x: float
    y: float
    width: float
    height: float
    lines: list[str] = field(default_factory=list)


@dataclass
class Arrow:
    """An arrow from the box `source` to the box `target` (layer names), through `points`."""

    source: str
    target: str
    points: list[tuple[float, float]]


@dataclass
class Drawing:
    boxes: list[Placed] = field(default_factory=list)
    frames: list[Placed] = field(default_factory=list)
    arrows: list[Arrow] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0
    places: dict[int, Placed] = field(default_factory=dict)  # box key -> its box


def arrange(diagram: Diagram, rankdir: str = "TB") -> Drawing:
    """Places everything of `diagram`, drawn downwards ("TB") or rightwards ("LR")."""
    inner: dict[int, Drawing] = {}
    sizes: dict[int, tuple[float, float]] = {}
    for item in diagram.items:
        if isinstance(item, Frame):
            inner[item.key] = drawn = arrange(item.diagram, rankdir)
            sizes[item.key] = (drawn.width + 2 * FRAME_PAD, drawn.height + 2 * FRAME_PAD + LINE_HEIGHT)
        else:
            sizes[item.key] = item.size
    links = [(edge.source, edge.target) for edge in diagram.edges]
    layout = layered_layout([item.key for item in diagram.items], sizes, links, rankdir)
    drawing = Drawing(width=layout.width, height=layout.height)
    for item in diagram.items:
        (cx, cy), (w, h) = layout.centers[item.key], sizes[item.key]
        left, top = cx - w / 2, cy - h / 2
        if isinstance(item, Box):
            drawing.boxes.append(place := Placed(item.name, left, top, w, h, item.lines))
            drawing.places[item.key] = place
        else:
            drawing.frames.append(Placed(item.name, left, top, w, h))
            _take_in(drawing, inner[item.key], left + FRAME_PAD, top + FRAME_PAD + LINE_HEIGHT)
    for edge in diagram.edges:
        path = layout.paths.get((edge.source, edge.target))
        if path is None:
            continue  # a layer fed by its own output: no arrow drawn
        source, target = drawing.places[edge.source_box], drawing.places[edge.target_box]
        points = [_side(source, rankdir, leaving=True)] + path[1:-1] + [_side(target, rankdir, leaving=False)]
        drawing.arrows.append(Arrow(source.name, target.name, points))
    _spread_ports(drawing.arrows[len(drawing.arrows) - len(diagram.edges):], drawing, rankdir)
    return drawing


PORT_GAP = 14.0  # between the ends of arrows meeting one side of a box


def _spread_ports(arrows: list[Arrow], drawing: Drawing, rankdir: str) -> None:
    """Arrows meeting one side of a box end side by side (in the order they come from), not on one point."""
    across = 0 if rankdir == "TB" else 1
    boxes = {box.name: box for box in drawing.boxes}
    for end, neighbour in ((-1, -2), (0, 1)):  # arrow heads at targets, then tails at sources
        groups: dict[str, list[Arrow]] = {}
        for arrow in arrows:
            groups.setdefault(arrow.target if end == -1 else arrow.source, []).append(arrow)
        for name, group in groups.items():
            if len(group) < 2:
                continue
            box = boxes[name]
            length = box.width if across == 0 else box.height
            gap = min(PORT_GAP, 0.8 * length / len(group))
            middle = (box.x + box.width / 2, box.y + box.height / 2)[across]
            group.sort(key=lambda a: a.points[neighbour][across])
            for i, arrow in enumerate(group):
                point = list(arrow.points[end])
                point[across] = middle + (i - (len(group) - 1) / 2) * gap
                arrow.points[end] = (point[0], point[1])


def _take_in(drawing: Drawing, inner: Drawing, dx: float, dy: float) -> None:
    """Adds a nested model's drawing, moved by (dx, dy)."""
    moved: dict[int, Placed] = {}
    for key, box in inner.places.items():
        moved[key] = Placed(box.name, box.x + dx, box.y + dy, box.width, box.height, box.lines)
    by_identity = {id(box): moved[key] for key, box in inner.places.items()}
    drawing.boxes += [by_identity[id(box)] for box in inner.boxes]
    drawing.frames += [Placed(f.name, f.x + dx, f.y + dy, f.width, f.height) for f in inner.frames]
    drawing.arrows += [Arrow(a.source, a.target, [(x + dx, y + dy) for x, y in a.points]) for a in inner.arrows]
    drawing.places.update(moved)


def _side(box: Placed, rankdir: str, leaving: bool) -> tuple[float, float]:
    """Where an arrow leaves a box (its bottom, or right side for "LR") or enters it (top, or left)."""
    if rankdir == "TB":
        return box.x + box.width / 2, box.y + (box.height if leaving else 0.0)
    return box.x + (box.width if leaving else 0.0), box.y + box.height / 2
