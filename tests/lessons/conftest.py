"""Runs a lesson's code cells in-process, the way a student runs them top to bottom.

Each check-test module names its notebook in a module-level `NOTEBOOK` path; the
fixtures below then give it the lesson's namespace after the student's cells (`ns`)
and a way to run one folded reference solution on a copy of it (`run_solution`).
The folded cells (collapsed source) hold the reference solutions, so they are left
out of the student's run: each check must first see no answer at all.
"""

import contextlib
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402


def _is_solution(cell) -> bool:
    return bool(cell.metadata.get("jupyter", {}).get("source_hidden", False))


def run_code_cells(path: Path) -> tuple[dict, list[str]]:
    """Runs the notebook's unfolded code cells in one namespace, from its own folder.

    Returns:
        (the namespace after the last cell, the sources of the folded solution cells).
    """
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": f"lesson_{path.stem.split('_')[0]}"}
    cwd, show = os.getcwd(), plt.show
    plt.show = lambda *args, **kwargs: plt.close("all")  # Agg cannot show; drop the figures instead
    os.chdir(path.parent)  # lessons open their data by relative path
    try:
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or _is_solution(cell):
                continue
            # IPython magics and shell escapes are not Python.
            lines = [line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!"))]
            exec(compile("\n".join(lines), f"<{path.name} cell {index}>", "exec"), namespace)
    finally:
        os.chdir(cwd)
        plt.show = show
        plt.close("all")
        import tinyfit

        tinyfit.config.set_num_threads(None)  # a lesson may fix the thread count: not for the tests after it
    solutions = [cell.source for cell in nb.cells if cell.cell_type == "code" and _is_solution(cell)]
    return namespace, solutions


@pytest.fixture(scope="module")
def lesson(request):
    """(namespace after the student's cells, sources of the folded solutions) of the module's NOTEBOOK."""
    path = getattr(request.module, "NOTEBOOK", None)
    if path is None:
        raise pytest.UsageError(f"{request.module.__name__} uses the lesson fixtures but sets no NOTEBOOK path; "
                                "add NOTEBOOK = <path of the lesson's .ipynb> at its top")
    return run_code_cells(Path(path))


@pytest.fixture
def ns(lesson):
    """The lesson's namespace after the student's cells (shared by the module's tests)."""
    return lesson[0]


@pytest.fixture
def run_solution(lesson):
    """run_solution(marker): runs the one folded solution whose source contains `marker`
    (say "def max_pool(") on a copy of the lesson's namespace, and returns that copy.
    Each solution cell calls its own check."""

    def run(marker: str) -> dict:
        namespace, solutions = lesson
        scratch = dict(namespace)
        (source,) = [s for s in solutions if marker in s]
        exec(compile(source, f"<solution {marker}>", "exec"), scratch)
        return scratch

    return run


@contextlib.contextmanager
def class_restored(cls: type):
    """Yields `cls`, then puts its attributes back as they were: exercises attach answers to a
    lesson's class (a `Node.exp`, an `Array.__matmul__`), and one test's must not reach the next."""
    saved = dict(cls.__dict__)
    try:
        yield cls
    finally:
        for name in [name for name in cls.__dict__ if name not in saved]:
            delattr(cls, name)
        for name, value in saved.items():
            if cls.__dict__.get(name) is not value:
                setattr(cls, name, value)


@pytest.fixture
def restored_class():
    """restored_class(cls) returns `cls`, whose attributes are put back after the test."""
    with contextlib.ExitStack() as stack:
        yield lambda cls: stack.enter_context(class_restored(cls))


@pytest.fixture
def lesson_runner():
    """run(path) runs a lesson's unfolded code cells as the `lesson` fixture does; returns its namespace."""
    return lambda path: run_code_cells(Path(path))[0]
