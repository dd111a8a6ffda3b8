"""The layered layout behind plot_model: ranks, dummies, crossing reduction, coordinates."""

import random

import pytest

from tinyfit.utils.plot.layout import (
    NODE_GAP, RANK_GAP, Dummy, _chains, crossings, layered_layout, longest_path_ranks, reduce_crossings,
)


def random_dag(seed, n=9, p=0.3):
    rng = random.Random(seed)
    nodes = [f"n{i}" for i in range(n)]
    edges = [(nodes[i], nodes[j]) for i in range(n) for j in range(i + 1, n) if rng.random() < p]
    rng.shuffle(nodes)  # the layout must not depend on getting the nodes in order
    return nodes, edges


def sizes_for(nodes, width=60.0, height=30.0):
    return {n: (width + 10 * (i % 3), height + 8 * (i % 2)) for i, n in enumerate(nodes)}


def test_longest_path_ranks_put_each_node_below_its_lowest_predecessor():
    edges = [("a", "b"), ("b", "c"), ("c", "d"), ("a", "d"), ("x", "c")]
    assert longest_path_ranks(["a", "b", "c", "d", "x"], edges) == {"a": 0, "b": 1, "c": 2, "d": 3, "x": 0}


def test_a_cycle_still_gets_ranks():
    ranks = longest_path_ranks(["a", "b", "c"], [("a", "b"), ("b", "c"), ("c", "b")])
    assert set(ranks) == {"a", "b", "c"} and ranks["a"] == 0


@pytest.mark.parametrize("seed", range(8))
def test_every_edge_goes_from_a_lower_to_a_higher_rank_one_rank_per_step(seed):
    nodes, edges = random_dag(seed)
    layout = layered_layout(nodes, sizes_for(nodes), edges)
    assert all(layout.ranks[a] < layout.ranks[b] for a, b in edges)
    rank_of = {node: r for r, rank in enumerate(layout.order) for node in rank}
    for a, b in edges:
        points = layout.paths[(a, b)]
        span = layout.ranks[b] - layout.ranks[a]
        assert len(points) == 2 * span  # the two ends, and for every rank skipped, where it enters and leaves
        dummies = [d for d in rank_of if isinstance(d, Dummy) and d.edge == (a, b)]
        assert sorted(rank_of[d] for d in dummies) == list(range(layout.ranks[a] + 1, layout.ranks[b]))
        ys = [y for _, y in points]
        assert ys == sorted(ys) and ys[0] < ys[-1]  # drawn downwards
        for rank in range(layout.ranks[a] + 1, layout.ranks[b]):  # straight down through a skipped rank
            top, bottom = layout.bands[rank]
            (x1, y1), (x2, y2) = [p for p in points if top - 1e-9 <= p[1] <= bottom + 1e-9]
            assert x1 == x2 and (y1, y2) == (top, bottom)


def test_barycenter_sweeps_remove_the_crossing_of_the_given_order():
    # Given in this order, a -> d and b -> c cross; swapping c and d (or a and b) uncrosses them.
    nodes = ["a", "b", "c", "d"]
    edges = [("a", "d"), ("b", "c")]
    assert crossings([["a", "b"], ["c", "d"]], edges) == 1
    layout = layered_layout(nodes, sizes_for(nodes), edges)
    assert crossings(layout.order, edges) == 0
    x = {n: layout.centers[n][0] for n in nodes}
    assert (x["a"] < x["b"]) == (x["d"] < x["c"])


def test_a_crossing_through_a_dummy_is_removed_too():
    # a -> e skips a rank; in the given order its dummy sits right of c, under b's edge.
    nodes = ["a", "b", "c", "d", "e"]
    edges = [("a", "c"), ("b", "c"), ("c", "d"), ("b", "e"), ("d", "e"), ("a", "e")]
    ranks = longest_path_ranks(nodes, edges)
    given = [[n for n in nodes if ranks[n] == r] for r in range(4)]
    _, given_links = _chains(edges, ranks, given)  # adds the dummies in the order the edges come
    assert crossings(given, given_links) == 2
    layout = layered_layout(nodes, sizes_for(nodes), edges)
    assert crossings(layout.order, list(_links(layout, edges))) == 0


@pytest.mark.parametrize("seed", range(20))
def test_sweeps_never_add_crossings(seed):
    rng = random.Random(seed)
    order = [[f"r{r}n{i}" for i in range(rng.randint(1, 5))] for r in range(4)]
    links = [(a, b) for r in range(3) for a in order[r] for b in order[r + 1] if rng.random() < 0.4]
    assert crossings(reduce_crossings(order, links), links) <= crossings(order, links)


@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_boxes_of_a_rank_keep_their_gap_and_ranks_do_not_overlap(rankdir):
    nodes, edges = random_dag(3)
    sizes = sizes_for(nodes)
    layout = layered_layout(nodes, sizes, edges, rankdir=rankdir)
    across, along = (0, 1) if rankdir == "TB" else (1, 0)
    for rank in layout.order:
        boxes = [n for n in rank if not isinstance(n, Dummy)]
        for a, b in zip(boxes, boxes[1:]):
            a_end = layout.centers[a][across] + sizes[a][across] / 2
            b_start = layout.centers[b][across] - sizes[b][across] / 2
            gap = b_start - a_end
            assert gap >= NODE_GAP - 1e-6
    ends = [max(layout.centers[n][along] + sizes[n][along] / 2 for n in rank if not isinstance(n, Dummy))
            for rank in layout.order]
    starts = [min(layout.centers[n][along] - sizes[n][along] / 2 for n in rank if not isinstance(n, Dummy))
              for rank in layout.order]
    assert all(starts[r + 1] - ends[r] >= RANK_GAP - 1e-6 for r in range(len(ends) - 1))
    for n in nodes:  # everything inside the drawing
        (cx, cy), (w, h) = layout.centers[n], sizes[n]
        assert cx - w / 2 >= 0 and cy - h / 2 >= 0 and cx + w / 2 <= layout.width and cy + h / 2 <= layout.height


def _links(layout, edges):
    """The links between consecutive ranks, through the dummies, as the layout made them."""
    rank_of = {node: r for r, rank in enumerate(layout.order) for node in rank}
    for a, b in edges:
        chain = [a] + sorted((d for d in rank_of if isinstance(d, Dummy) and d.edge == (a, b)),
                             key=lambda d: d.step) + [b]
        yield from zip(chain, chain[1:])
