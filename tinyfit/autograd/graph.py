"""The one graph walk both engines share: a topological order, found without recursion.

Scalar and Tensor differ in how a node names its inputs, so each passes a
`parents(node)` function; the walk itself is the same. Backward then visits the
order in reverse, so every node's gradient is complete before it is pushed on.
"""

from __future__ import annotations

from typing import Callable, Iterable, Iterator, TypeVar

Node = TypeVar("Node")


def topological_order(root: Node, parents: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node `root` depends on (itself included), each after all of its parents.

    An explicit stack instead of recursion, so a graph 100,000 ops deep does not
    hit Python's recursion limit. Each stack entry is a node and an iterator over
    its parents not looked at yet: the walk goes down into the first unseen
    parent, and a node joins the order once none is left. Parents are visited in
    the order given, so the result is the same on every run.
    """
    order: list[Node] = []
    seen: set[int] = {id(root)}
    stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(parents(root)))]
    while stack:
        node, rest = stack[-1]
        for p in rest:
            if id(p) not in seen:
                seen.add(id(p))
                stack.append((p, iter(parents(p))))
                break
        else:  # every parent is in the order already
            stack.pop()
            order.append(node)
    return order
