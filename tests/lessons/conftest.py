"""Runs a lesson's code cells in-process, the way a student runs them top to bottom.

Each check-test module names its notebook in a module-level `NOTEBOOK` path; the
fixtures below then give it the lesson's namespace after the student's cells (`ns`)
and a way to run one reference answer, then its checks, on a copy of it (`run_solution`).

The lessons are in nbgrader's format: the student's run replaces every answer cell's
solution regions with nbgrader's stub, as the student release does, while the check
cells keep their hidden tests, so `ns["check_..."]` is the whole check a grader runs.
An unanswered check raises `NotDone`, which is what the student sees; any other
error fails the run.
"""

import contextlib
import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pytest  # noqa: E402

from tinyfit.course import checks, notebook_format, release  # noqa: E402


def _source(cell) -> str:
    # IPython magics and shell escapes are not Python.
    return "\n".join(line for line in cell.source.splitlines() if not line.lstrip().startswith(("%", "!")))


@contextlib.contextmanager
def _in_lesson_folder(path: Path):
    cwd, show = os.getcwd(), plt.show
    plt.show = lambda *args, **kwargs: plt.close("all")  # Agg cannot show; drop the figures instead
    os.chdir(path.parent)  # lessons open their data by relative path
    try:
        yield
    finally:
        os.chdir(cwd)
        plt.show = show
        plt.close("all")
        import tinyfit

        tinyfit.config.set_num_threads(None)  # a lesson may fix the thread count: not for the tests after it


def run_code_cells(path: Path) -> tuple[dict, list[tuple[str, list[str]]]]:
    """Runs the notebook's code cells in one namespace, answers stubbed, from its own folder.

    Returns:
        (the namespace after the last cell, [(reference answer cell, [its check cells])]).
    """
    teacher = nbformat.read(path, as_version=4)
    student = release.student_version(teacher)
    namespace: dict = {"__name__": f"lesson_{path.stem.split('_')[0]}"}
    with _in_lesson_folder(path):
        for index, (cell, stubbed) in enumerate(zip(teacher.cells, student.cells)):
            if cell.cell_type != "code":
                continue
            code = compile(_source(stubbed if notebook_format.is_answer(cell) else cell),
                           f"<{path.name} cell {index}>", "exec")
            if notebook_format.is_check(cell):
                with pytest.raises(checks.NotDone):
                    exec(code, namespace)
            else:
                exec(code, namespace)
    answers = [(_source(teacher.cells[e.answer]), [_source(teacher.cells[i]) for i in e.checks])
               for e in notebook_format.exercises(teacher)]
    return namespace, answers


@pytest.fixture(scope="module")
def lesson(request):
    """(namespace after the student's cells, reference answers with their checks) of the module's NOTEBOOK."""
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
    """run_solution(marker): runs the one reference answer whose source contains `marker`
    (say "def max_pool("), then its check cells, on a copy of the lesson's namespace, and
    returns that copy."""

    def run(marker: str) -> dict:
        namespace, answers = lesson
        scratch = dict(namespace)
        (found,) = [(answer, checks) for answer, checks in answers if marker in answer]
        answer, check_cells = found
        exec(compile(answer, f"<answer {marker}>", "exec"), scratch)
        for number, check in enumerate(check_cells):
            exec(compile(check, f"<check {number} of {marker}>", "exec"), scratch)
        return scratch

    return run


@pytest.fixture
def released_check(request, ns):
    """released_check(grade_id, name): (the check cell's source as the student release shows it, hidden
    tests removed; the check function it defines, in a copy of the lesson's namespace)."""

    def released(grade_id: str, name: str):
        notebook = release.student_version(nbformat.read(Path(request.module.NOTEBOOK), as_version=4))
        source = next(c.source for c in notebook.cells if notebook_format.nbgrader(c).get("grade_id") == grade_id)
        namespace = dict(ns)
        exec(source.split(f"\n\n{name}(")[0], namespace)  # the definition, not the call
        return source, namespace[name]

    return released


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
