"""A layered drawing of a directed graph (the Sugiyama recipe, small and plain).

A model's graph flows one way, inputs to outputs, so it is drawn in layers
(ranks): every edge points from a lower rank to a higher one. Four steps:

1. Ranks by longest path: a node sits one rank below the lowest of its
   predecessors, so each input starts at rank 0 and each edge points down.
2. An edge that skips ranks gets a chain of invisible "dummy" points, one per
   rank it crosses, so that it can be routed between the boxes of those ranks.
3. The order within each rank is improved by barycenter sweeps: going down,
   each node moves to the average position of its predecessors; going up, of its
   successors. The order with the fewest edge crossings seen is kept, so the
   sweeps never make the drawing worse than the order the nodes came in.
4. Coordinates: ranks one after another along the main axis (down for "TB",
   right for "LR"); within a rank, each box is placed near the average position
   of its neighbours, keeping the order and a gap between boxes.

Nodes are any hashable keys; sizes are (width, height) of their boxes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Hashable

RANK_GAP = 40.0  # between the boxes of consecutive ranks, along the main axis
NODE_GAP = 24.0  # between neighbouring boxes of one rank
MARGIN = 16.0
SWEEPS = 4  # down-and-up barycenter passes


@dataclass
class Dummy:
    """An invisible point on an edge that skips ranks (one per rank crossed)."""

    edge: tuple
    step: int

    def __hash__(self) -> int:
        return hash((self.edge, self.step))


@dataclass
class Layout:
    """Where everything goes.

    Attributes:
        ranks: node -> rank (0 for the inputs).
        order: per rank, the nodes (dummies included) from left to right (top to bottom for "LR").
        centers: node -> (x, y) of its box's center; dummies too.
        paths: edge (a, b) -> the points of its line, from a's box to b's box; through each rank
            it skips, the line runs straight along the flow, between the boxes of that rank.
        bands: per rank, where it starts and ends along the main axis.
        width, height: the size of the whole drawing.
    """

    ranks: dict[Hashable, int]
    order: list[list[Any]]
    centers: dict[Any, tuple[float, float]]
    paths: dict[tuple, list[tuple[float, float]]] = field(default_factory=dict)
    bands: list[tuple[float, float]] = field(default_factory=list)
    width: float = 0.0
    height: float = 0.0


def longest_path_ranks(nodes: list[Hashable], edges: list[tuple]) -> dict[Hashable, int]:
    """Each node's rank: 0 without predecessors, else one more than its highest predecessor.

    Edges that close a cycle (a layer fed by its own later output) are left out of
    the ranking, so it always finishes.
    """
    preds: dict[Hashable, list] = {n: [] for n in nodes}
    succs: dict[Hashable, list] = {n: [] for n in nodes}
    for a, b in edges:
        if a != b:
            preds[b].append(a)
            succs[a].append(b)
    waiting = {n: len(preds[n]) for n in nodes}
    ranks: dict[Hashable, int] = {}
    ready = [n for n in nodes if waiting[n] == 0]
    while len(ranks) < len(nodes):
        if not ready:  # a cycle: rank the first unranked node from the predecessors known so far
            ready = [next(n for n in nodes if n not in ranks)]
        node = ready.pop(0)
        if node in ranks:
            continue
        ranks[node] = max((ranks[p] + 1 for p in preds[node] if p in ranks), default=0)
        for s in succs[node]:
            waiting[s] -= 1
            if waiting[s] == 0 and s not in ranks:
                ready.append(s)
    return ranks


def crossings(order: list[list[Any]], links: list[tuple]) -> int:
    """How many pairs of links cross, links joining consecutive ranks (a in rank r, b in rank r + 1)."""
    position = {node: i for rank in order for i, node in enumerate(rank)}
    by_rank: dict[int, list[tuple[int, int]]] = {}
    rank_of = {node: r for r, rank in enumerate(order) for node in rank}
    for a, b in links:
        by_rank.setdefault(rank_of[a], []).append((position[a], position[b]))
    total = 0
    for pairs in by_rank.values():
        for i, (a1, b1) in enumerate(pairs):
            for a2, b2 in pairs[i + 1:]:
                if (a1 - a2) * (b1 - b2) < 0:
                    total += 1
    return total


def reduce_crossings(order: list[list[Any]], links: list[tuple], sweeps: int = SWEEPS) -> list[list[Any]]:
    """The order after barycenter sweeps, or the given one if no sweep crossed fewer edges."""
    preds: dict[Any, list] = {}
    succs: dict[Any, list] = {}
    for a, b in links:
        preds.setdefault(b, []).append(a)
        succs.setdefault(a, []).append(b)
    best, best_count = [list(rank) for rank in order], crossings(order, links)
    current = [list(rank) for rank in order]
    for _ in range(sweeps):
        if best_count == 0:
            break
        for ranks, neighbours in ((range(1, len(current)), preds), (range(len(current) - 2, -1, -1), succs)):
            for r in ranks:
                current[r] = _by_barycenter(current[r], neighbours, current)
            count = crossings(current, links)
            if count < best_count:
                best, best_count = [list(rank) for rank in current], count
    return best


def _by_barycenter(rank: list[Any], neighbours: dict[Any, list], order: list[list[Any]]) -> list[Any]:
    """The rank sorted by the average position of each node's neighbours (a node without any keeps its place)."""
    position = {node: i for layer in order for i, node in enumerate(layer)}

    def key(item):
        i, node = item
        around = neighbours.get(node, [])
        return (sum(position[n] for n in around) / len(around) if around else float(i), i)

    return [node for _, node in sorted(enumerate(rank), key=key)]


def layered_layout(nodes: list[Hashable], sizes: dict[Hashable, tuple[float, float]], edges: list[tuple],
                   rankdir: str = "TB") -> Layout:
    """Ranks, order and coordinates for a directed graph, drawn downwards ("TB") or rightwards ("LR")."""
    edges = list(dict.fromkeys((a, b) for a, b in edges if a != b))
    ranks = longest_path_ranks(nodes, edges)
    order: list[list[Any]] = [[] for _ in range(max(ranks.values(), default=-1) + 1)]
    for node in nodes:
        order[ranks[node]].append(node)
    chains, links = _chains(edges, ranks, order)
    order = reduce_crossings(order, links)
    layout = Layout(ranks=ranks, order=order, centers={})
    _place(layout, sizes, links, rankdir)
    for edge, chain in chains.items():
        layout.paths[edge] = _route(chain, layout, sizes, rankdir)
    return layout


def _chains(edges: list[tuple], ranks: dict, order: list[list[Any]]) -> tuple[dict[tuple, list], list[tuple]]:
    """Each edge as a chain of nodes through its dummies, and the links between consecutive ranks.

    An edge drawn against the flow (one closing a cycle) gets no dummies: it is drawn straight.
    """
    chains: dict[tuple, list] = {}
    links: list[tuple] = []
    for a, b in edges:
        span = ranks[b] - ranks[a]
        chain = [a] + [Dummy((a, b), step) for step in range(1, span)] + [b]
        for step, dummy in enumerate(chain[1:-1], start=1):
            order[ranks[a] + step].append(dummy)
        if span >= 1:
            links += list(zip(chain, chain[1:]))
        chains[(a, b)] = chain
    return chains, links


def _place(layout: Layout, sizes: dict, links: list[tuple], rankdir: str) -> None:
    """Fills layout.centers, width and height."""
    across = 0 if rankdir == "TB" else 1  # which of (width, height) lies along a rank

    def extent(node, axis):
        return 0.0 if isinstance(node, Dummy) else sizes[node][axis]

    # Main axis: each rank as thick as its thickest box.
    depth, main = MARGIN, []
    for rank in layout.order:
        thickness = max((extent(n, 1 - across) for n in rank), default=0.0)
        main.append(depth + thickness / 2)
        layout.bands.append((depth, depth + thickness))
        depth += thickness + RANK_GAP
    # Cross axis: packed in order, then pulled towards the neighbours, rank by rank, down then up.
    cross: dict[Any, float] = {}
    for rank in layout.order:
        _pack(rank, {n: 0.0 for n in rank}, cross, extent, across)
    neighbours: dict[Any, list] = {}
    for a, b in links:
        neighbours.setdefault(b, []).append(a)
        neighbours.setdefault(a, []).append(b)
    for ranks in (layout.order[1:], layout.order[-2::-1], layout.order[1:]):
        for rank in ranks:
            wanted = {n: (sum(cross[m] for m in neighbours[n]) / len(neighbours[n]) if neighbours.get(n)
                          else cross[n]) for n in rank}
            _pack(rank, wanted, cross, extent, across)
    low = min((cross[n] - extent(n, across) / 2 for n in cross), default=0.0)
    high = max((cross[n] + extent(n, across) / 2 for n in cross), default=0.0)
    for r, rank in enumerate(layout.order):
        for n in rank:
            c = cross[n] - low + MARGIN
            layout.centers[n] = (c, main[r]) if rankdir == "TB" else (main[r], c)
    size_across, size_along = high - low + 2 * MARGIN, depth - RANK_GAP + MARGIN
    layout.width, layout.height = ((size_across, size_along) if rankdir == "TB" else (size_along, size_across))


def _pack(rank: list[Any], wanted: dict[Any, float], cross: dict[Any, float], extent: Any, across: int) -> None:
    """Positions along the rank as near `wanted` as the order and the gaps allow (on average)."""
    placed: list[float] = []
    for i, node in enumerate(rank):
        x = wanted[node]
        if i:
            previous = rank[i - 1]
            x = max(x, placed[-1] + (extent(previous, across) + extent(node, across)) / 2 + NODE_GAP)
        placed.append(x)
    shift = (sum(wanted[n] for n in rank) - sum(placed)) / len(rank) if rank else 0.0
    for node, x in zip(rank, placed):
        cross[node] = x + shift


def _route(chain: list, layout: Layout, sizes: dict, rankdir: str) -> list[tuple[float, float]]:
    """The points of one edge: from the side of the first box facing the flow, across each
    skipped rank at its dummy's place, to the facing side of the last box."""
    points = [layout.centers[chain[0]]]
    for dummy in chain[1:-1]:
        x, y = layout.centers[dummy]
        start, end = layout.bands[layout.ranks[chain[0]] + dummy.step]
        points += [(x, start), (x, end)] if rankdir == "TB" else [(start, y), (end, y)]
    points.append(layout.centers[chain[-1]])
    (x0, y0), (x1, y1) = points[0], points[-1]
    head, tail = chain[0], chain[-1]
    forward = layout.ranks[tail] > layout.ranks[head]
    sign = 1 if forward else -1
    if rankdir == "TB":
        points[0] = (x0, y0 + sign * sizes[head][1] / 2)
        points[-1] = (x1, y1 - sign * sizes[tail][1] / 2)
    else:
        points[0] = (x0 + sign * sizes[head][0] / 2, y0)
        points[-1] = (x1 - sign * sizes[tail][0] / 2, y1)
    return points
