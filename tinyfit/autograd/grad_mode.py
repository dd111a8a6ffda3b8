"""Whether ops record a graph: `with no_grad():` turns recording off."""

from __future__ import annotations

import contextlib

_enabled = True


def is_grad_enabled() -> bool:
    """True when new ops record the graph that backward() walks."""
    return _enabled


class _GradMode(contextlib.ContextDecorator):
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._previous: list[bool] = []

    def __enter__(self):
        global _enabled
        self._previous.append(_enabled)
        _enabled = self.enabled
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self._previous.pop()
        return False


def no_grad(fn=None):
    """Context manager (or decorator, with or without parentheses) under which ops build no graph.

    Use it for evaluation and for parameter updates: nothing computed inside
    needs a gradient, so nothing is kept for backward and memory stays low.

    >>> with no_grad():
    ...     y = x * 2   # y.requires_grad is False
    """
    mode = _GradMode(False)
    return mode(fn) if fn is not None else mode


def enable_grad(fn=None):
    """Context manager (or decorator) that turns graph recording back on."""
    mode = _GradMode(True)
    return mode(fn) if fn is not None else mode
