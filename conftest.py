"""Test-run settings shared by the unit tests and the lesson notebooks.

nbval starts each notebook's kernel as a child of the pytest process, and the
kernel inherits this process's environment. Setting variables here, when pytest
imports this file and before any kernel starts, therefore fixes the behaviour of
the lessons under test as well as that of the tests.
"""

import os
from pathlib import Path

import pytest

# setdefault: a value the caller exported on purpose (say TINYFIT_PROGRESS=off) still wins.
# Text progress: widget outputs carry changing model ids and do not compare under nbval.
os.environ.setdefault("TINYFIT_PROGRESS", "text")
# No GUI windows and no inline PNGs: plots render off-screen.
os.environ.setdefault("MPLBACKEND", "Agg")
# Kernels get a fixed hash seed, so set and dict-of-set orders in outputs are stable.
os.environ.setdefault("PYTHONHASHSEED", "0")
# One BLAS thread, set before NumPy loads. tinyfit's matrices are small, and on a shared
# 2-core machine OpenBLAS's threads wait on each other: the guide's (64, 784) @ (784, 64)
# product took 0.07 ms with one thread and 6-30 ms with two while other jobs ran.
for _blas_threads in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_blas_threads, "1")

ROOT = Path(__file__).resolve().parent
LESSONS = ROOT / "lessons"


def pytest_configure(config: pytest.Config) -> None:
    # nbval opens the sanitize file relative to the working directory; resolve it
    # against the repository root so `pytest` also works when run from lessons/.
    opt = getattr(config.option, "nbval_sanitize_with", None)
    if opt and not os.path.isabs(opt) and not os.path.exists(opt):
        candidate = ROOT / opt
        if candidate.exists():
            config.option.nbval_sanitize_with = str(candidate)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    # Notebooks are tests only under lessons/; a notebook passed by path is still run.
    if collection_path.suffix == ".ipynb" and LESSONS not in collection_path.parents:
        return True
    return None


def _cuda_available() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # CuPy missing, or installed without a driver or device
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if gpu_items and not _cuda_available():
        skip = pytest.mark.skip(reason="needs a CUDA GPU and CuPy")
        for item in gpu_items:
            item.add_marker(skip)
