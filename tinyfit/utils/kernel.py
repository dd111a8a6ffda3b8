"""Are we inside a Jupyter kernel? Asked without importing IPython (a script never pays for it)."""

from __future__ import annotations

import sys
from typing import Any


def ipython_shell() -> Any:
    """The running IPython shell, or None (IPython not loaded, or loaded but not running)."""
    ipython = sys.modules.get("IPython")  # a kernel has imported it; never import it just to ask
    return ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None


def in_notebook_kernel() -> bool:
    """True inside a running Jupyter kernel: an IPython shell that has a kernel (a terminal IPython has none)."""
    return hasattr(ipython_shell(), "kernel")
