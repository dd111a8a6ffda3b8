"""Atomic file writes: a reader (or a crash) sees the old file or the new one, never half of one.

The bytes go to a temporary file in the target's own folder (os.replace is only atomic within
one file system), are flushed and fsynced, then renamed over the target, and the folder itself
is fsynced so the rename survives a power cut. A write killed midway leaves only its temporary
file behind; the next write of the same path removes it.
"""

from __future__ import annotations

import os
import tempfile
from typing import BinaryIO, Callable

__all__ = ["atomic_write"]

_TMP_MARK = ".tmp-"


def _temp_prefix(path: str) -> str:
    # The writer's pid is part of the name, so a later write can tell a temporary of a dead
    # process (safe to delete) from one that another live process is still filling.
    return f".{os.path.basename(path)}.{os.getpid()}{_TMP_MARK}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _remove_stray_temporaries(path: str) -> None:
    """Deletes temporaries that earlier, killed writes of `path` left in its folder."""
    folder = os.path.dirname(path)
    lead = f".{os.path.basename(path)}."
    for entry in os.listdir(folder):
        if not entry.startswith(lead):
            continue
        pid_text, mark, _ = entry[len(lead):].partition(_TMP_MARK)
        if not mark or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        # Our own temporaries belong to a write still running in another thread (a finished
        # or failed write removes its own); a live process's likewise.
        if pid == os.getpid() or _pid_alive(pid):
            continue
        try:
            os.remove(os.path.join(folder, entry))
        except FileNotFoundError:
            pass


def _fsync_folder(folder: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return  # Windows: a folder cannot be opened for fsync; os.replace is still atomic there.
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _new_file_mode(path: str) -> int:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: str | os.PathLike, content: bytes | Callable[[BinaryIO], object]) -> None:
    """Writes a file so that it is replaced whole or not at all.

    Args:
        path: the file to create or replace. Its folder must exist.
        content: the bytes to write, or a function called with the open binary file (seekable)
            that writes the content itself, e.g. `lambda f: numpy.save(f, array)`.
    """
    path = os.path.abspath(os.fspath(path))
    folder = os.path.dirname(path)
    if not os.path.isdir(folder):
        raise ValueError(f"Cannot write '{path}': the folder '{folder}' does not exist. "
                         f"Create it first, e.g. os.makedirs({folder!r}, exist_ok=True).")
    if os.path.isdir(path):
        raise ValueError(f"Cannot write '{path}': it is a folder. Pass a file path inside it, "
                         f"e.g. {os.path.join(path, 'model.tinyfit')!r}.")
    if not (callable(content) or isinstance(content, (bytes, bytearray, memoryview))):
        raise TypeError(f"atomic_write() takes bytes or a function that writes to a binary file, "
                        f"got {type(content).__name__}.")
    _remove_stray_temporaries(path)
    mode = _new_file_mode(path)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            if callable(content):
                content(f)
            else:
                f.write(content)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise
    _fsync_folder(folder)
