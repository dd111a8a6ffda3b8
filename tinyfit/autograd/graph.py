"""The one graph walk both engines share: a topological order, found without recursion.

Scalar and Tensor differ in how a node names its inputs, so each passes a
`parents(node)` function; the walk itself is the same. Backward then visits the
order in reverse, so every node's gradient is complete before it is pushed on.
"""

from __future__ import annotations

from typing import Callable, Sequence, TypeVar

Node = TypeVar("Node")


def topological_order(root: Node, parents: Callable[[Node], Sequence[Node]]) -> list[Node]:
    """Every node `root` depends on (itself included), each after all of its parents.

    An explicit stack instead of recursion, so a graph 100,000 ops deep does not
    hit Python's recursion limit. Each stack entry is (node, expanded): a node is
    appended to the order only once all of its parents have been. Parents are
    visited in the order given, so the result is the same on every run.
    """
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for p in reversed(parents(node)):  # reversed, so the first parent is popped first
            if id(p) not in seen:
                stack.append((p, False))
    return order
