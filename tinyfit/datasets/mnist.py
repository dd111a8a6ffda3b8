"""MNIST handwritten digits, with the same arrays as `keras.datasets.mnist`."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy

FILENAME = "mnist.npz"
URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
# Two files hold the same four arrays: Keras's download, and the copy shipped in
# this checkout (rebuilt from the original IDX files; see datasets/README.md).
KNOWN_SHA256 = {
    "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",  # Keras's mnist.npz
    "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64",  # datasets/mnist.npz
}


def search_paths(filename: str = FILENAME) -> list[Path]:
    """Where load_data looks for the file, in order."""
    places = []
    if os.environ.get("TINYFIT_DATASETS"):
        places.append(Path(os.environ["TINYFIT_DATASETS"]).expanduser() / filename)
    places.append(cache_dir() / filename)
    places.append(Path(__file__).resolve().parents[2] / "datasets" / filename)  # a source checkout
    return places


def cache_dir() -> Path:
    """The per-user cache (XDG_CACHE_HOME, default ~/.cache) tinyfit downloads into."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "tinyfit" / "datasets"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_data(path: str = FILENAME):
    """Loads MNIST: 60,000 training and 10,000 test images of 28x28 uint8 pixels.

    Looks in $TINYFIT_DATASETS, then the user cache, then the checkout's
    `datasets/` folder; when the file is in none of them, downloads it into the
    cache and checks its sha256.

    Returns:
        `(x_train, y_train), (x_test, y_test)`: uint8 arrays of shapes
        (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).
    """
    filename = Path(path).name
    for candidate in ([Path(path)] if Path(path).is_absolute() else []) + search_paths(filename):
        if candidate.is_file():
            return _read(candidate)
    return _read(_download(filename))


def _read(path: Path):
    with numpy.load(path, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])


def _download(filename: str) -> Path:
    import urllib.request  # here, not at the top: it costs ~25 ms of every `import tinyfit` and is rarely needed

    target = cache_dir() / filename
    where = "\n".join(f"  {p}" for p in search_paths(filename))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        # Download beside the target, then rename: an interrupted download never
        # leaves a truncated file where the next run would find it.
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(URL, timeout=30) as response:
            while block := response.read(1 << 20):
                out.write(block)
    except OSError as exc:
        if "tmp" in locals():
            Path(tmp).unlink(missing_ok=True)
        raise FileNotFoundError(
            f"mnist.load_data: {filename} was not found and could not be downloaded from {URL} ({exc}).\n"
            f"Put a copy of mnist.npz in one of these places (searched in this order):\n{where}\n"
            "or set TINYFIT_DATASETS to the folder that holds it."
        ) from None
    digest = sha256(Path(tmp))
    if digest not in KNOWN_SHA256:
        Path(tmp).unlink(missing_ok=True)
        raise OSError(
            f"mnist.load_data: the file downloaded from {URL} has sha256 {digest}, which is not a known "
            "MNIST file; it was deleted. Try again, or place a copy by hand (see datasets/README.md)."
        )
    os.replace(tmp, target)
    return target
