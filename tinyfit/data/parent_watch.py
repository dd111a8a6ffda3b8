"""Worker processes that end when the process that started them ends.

When the training process dies (killed, or its notebook kernel restarted),
nothing is left to tell its worker processes to stop, so each worker watches
its parent itself, in two ways:

- A pipe whose write end only the parent holds. When the parent ends, however
  it ends, the system closes that end; a thread in the worker reads the end of
  the pipe and ends the worker at once, even inside a `__getitem__`. This works
  on every platform and with every start method. A process forked from the
  parent while the workers run inherits a copy of the write end and delays
  this until it ends too.
- On Linux, also the kernel's parent-death signal (prctl PR_SET_PDEATHSIG): the
  worker receives SIGTERM as soon as its parent dies, whoever else holds the
  pipe. The kernel sends it when the thread that started the worker ends, so
  the workers must live no longer than that thread (a pool is opened and
  closed by the same thread).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from typing import Any

_PR_SET_PDEATHSIG = 1  # from <sys/prctl.h>
_ORPHANED = 70  # the exit status of a worker whose parent had already gone (unseen: nobody waits for it)
# Whether workers ask the kernel for the parent-death signal where it has one; the pipe watch
# alone does the same job, a little later at worst.
USE_PARENT_DEATH_SIGNAL = True


class ParentWatch:
    """The parent's side: the pipe's write end, held for as long as the workers may live."""

    def __init__(self, context: Any):
        self._reader, self._writer = context.Pipe(duplex=False)
        method = context.get_start_method()
        self._fork = method == "fork"
        # A worker started through the fork server is that server's child, not ours.
        self._parent = os.getpid() if method in ("fork", "spawn") else None

    def for_worker(self) -> tuple:
        """What a worker needs to watch this process: pass it to `watch_parent` in the worker."""
        # A forked worker inherits the write end too and must close it; spawned ones never receive it.
        return self._reader, (self._writer if self._fork else None), self._parent

    def workers_started(self) -> None:
        """Drops this process's read end once every worker holds its own copy."""
        self._reader.close()

    def release(self) -> None:
        """Closes the write end: every worker still running ends at once."""
        self._writer.close()


def watch_parent(watch: tuple) -> None:
    """In a worker: ends this process as soon as the parent that made `watch` ends."""
    reader, inherited_writer, parent = watch
    if inherited_writer is not None:
        inherited_writer.close()  # while any copy is open, the parent's end never closes
    if parent is not None:
        _ask_for_parent_death_signal()
        if os.getppid() != parent:  # it died before we asked: no signal will come
            os._exit(_ORPHANED)
    threading.Thread(target=_exit_when_closed, args=(reader,), name="tinyfit-parent-watch", daemon=True).start()


def _exit_when_closed(reader: Any) -> None:
    try:
        reader.recv_bytes()  # the parent never writes: this returns only when its end closes
    except (EOFError, OSError):
        pass
    os._exit(_ORPHANED)


def _ask_for_parent_death_signal() -> None:
    if not USE_PARENT_DEATH_SIGNAL or not sys.platform.startswith("linux"):
        return
    try:
        # CDLL(None): the symbols already loaded, libc's among them (no search for the library).
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError):
        pass  # a libc without prctl: the pipe still watches
