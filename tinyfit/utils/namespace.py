"""What tab completion shows of a public namespace: its API, not the files it is written in."""

from __future__ import annotations

from typing import Any, Callable


def api_dir(namespace: dict[str, Any]) -> Callable[[], list[str]]:
    """A module-level `__dir__` (PEP 562) that lists the module's `__all__` and nothing else.

    `dir()`, and with it a notebook's tab completion, would otherwise offer every file the
    package is written in and every helper those files import. The modules stay reachable
    by name (`tinyfit.layers.core`); they are only left out of the listing.

    Usage, at the end of a package's `__init__.py`: `__dir__ = api_dir(globals())`.
    """
    def __dir__() -> list[str]:
        return sorted(namespace["__all__"])
    return __dir__
