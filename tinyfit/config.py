"""Process-wide settings: how many BLAS threads the maths may use.

By default tinyfit chooses the number of BLAS threads for each fit, evaluate
and predict by timing a few of its steps (see tinyfit.utils.blas_threads):
a small model runs fastest on one thread, and on a shared machine extra
threads only fight each other for cores; a large one gains from more.

You take the choice over with `set_num_threads(n)`, or before starting
Python with the variable TINYFIT_NUM_THREADS=n. Setting a BLAS library's own
variable (OPENBLAS_NUM_THREADS, OMP_NUM_THREADS, MKL_NUM_THREADS,
BLIS_NUM_THREADS) also counts as your choice: tinyfit then leaves the
threads alone.
"""

from __future__ import annotations

import os
from typing import Mapping

__all__ = ["get_num_threads", "set_num_threads", "thread_setting"]

ENV_VARIABLE = "TINYFIT_NUM_THREADS"
BLAS_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS")

_num_threads: int | None = None  # set_num_threads(); None: not set in code


def _check_count(value, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{where} must be a whole number of threads, 1 or more (or None to let tinyfit "
                         f"choose); got {value!r}.")
    return value


def set_num_threads(n: int | None) -> None:
    """Uses `n` BLAS threads in fit/evaluate/predict from now on; None lets tinyfit choose again.

    Example: `tinyfit.config.set_num_threads(1)` on a machine several students share.
    """
    global _num_threads
    _num_threads = None if n is None else _check_count(n, "set_num_threads(n): n")


def get_num_threads() -> int | None:
    """The number of BLAS threads you chose (set_num_threads, then TINYFIT_NUM_THREADS), or None."""
    setting = thread_setting()
    return setting[1] if setting[0] in ("set_num_threads", ENV_VARIABLE) else None


def thread_setting(environ: Mapping[str, str] | None = None) -> tuple[str, int | None]:
    """Who decides the BLAS threads, and how many: ("set_num_threads", n), (TINYFIT_NUM_THREADS, n),
    (a BLAS variable's name, None) when one is set (the library reads it itself), or ("tinyfit", None)."""
    environ = os.environ if environ is None else environ
    if _num_threads is not None:
        return "set_num_threads", _num_threads
    value = environ.get(ENV_VARIABLE, "").strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            count = value
        return ENV_VARIABLE, _check_count(count, f"The variable {ENV_VARIABLE}={value!r}")
    for name in BLAS_VARIABLES:
        if environ.get(name, "").strip():
            return name, None
    return "tinyfit", None
