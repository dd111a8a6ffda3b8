"""`python -m tinyfit.course check` and `release`: the markers validated, the student version written.

Each bad input a teacher can make (a folder without notebooks, an answer without a graded
check, duplicate grade ids, unbalanced markers) is a clear error that names the file,
the cell and the fix, and nothing is written.
"""

import contextlib
import io
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tinyfit.course import release as course
from tinyfit.course.__main__ import main

ANSWER = '''def double(x):
    """Twice x."""
    ### BEGIN SOLUTION
    return 2 * x
    ### END SOLUTION'''

CHECK = '''def check_double(fn):
    assert fn(3) == 6
    ### BEGIN HIDDEN TESTS
    assert fn(-2.5) == -5.0
    ### END HIDDEN TESTS


check_double(double)'''


def _meta(kind, grade_id, points=2):
    meta = {"grade_id": grade_id, "schema_version": 3, "solution": kind == "answer", "grade": kind == "check",
            "locked": kind != "answer", "task": False}
    if kind == "check":
        meta["points"] = points
    return {"nbgrader": meta}


def _lesson(answer=ANSWER, check=CHECK, answer_id="ex1_double", check_id="ex1_double_check", **check_meta):
    cells = [new_markdown_cell("# A lesson"), new_code_cell("x = 1", outputs=[]),
             new_code_cell(answer, metadata=_meta("answer", answer_id)),
             new_code_cell(check, metadata=_meta("check", check_id, **check_meta),
                           outputs=[nbformat.v4.new_output("stream", name="stdout", text="ok\n")])]
    return new_notebook(cells=cells)


def _write(folder: Path, name: str, notebook) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, folder / name)
    return folder / name


class _Run:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def _cli(*args):
    """`python -m tinyfit.course ARGS`, run in this process (one test runs the real command)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return _Run(code, out.getvalue(), err.getvalue())


def test_python_dash_m_runs_the_command(tmp_path):
    _write(tmp_path / "lessons", "01_a.ipynb", _lesson())
    result = subprocess.run([sys.executable, "-m", "tinyfit.course", "check", str(tmp_path / "lessons")],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "1 lessons" in result.stdout, result.stderr
    result = subprocess.run([sys.executable, "-m", "tinyfit.course", "release", str(tmp_path / "nothing"),
                             "--to", str(tmp_path / "out")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "is not a folder" in result.stderr and "nothing was written" in result.stderr


def test_a_valid_lesson_passes_the_check(tmp_path):
    _write(tmp_path / "lessons", "01_a.ipynb", _lesson())
    result = _cli("check", str(tmp_path / "lessons"))
    assert result.returncode == 0, result.stderr
    assert "1 lessons" in result.stdout


def test_the_student_version_has_stubs_no_hidden_tests_and_locked_checks(tmp_path):
    _write(tmp_path / "lessons", "01_a.ipynb", _lesson())
    result = _cli("release", str(tmp_path / "lessons"), "--to", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    cells = nbformat.read(tmp_path / "out" / "01_a.ipynb", as_version=4).cells
    answer, check = cells[2], cells[3]
    assert answer.source == 'def double(x):\n    """Twice x."""\n    # YOUR CODE HERE\n    raise NotImplementedError()'
    assert "HIDDEN" not in check.source and "-2.5" not in check.source and "fn(3) == 6" in check.source
    assert check.outputs == [] and check.metadata["editable"] is False and check.metadata["deletable"] is False
    assert "editable" not in answer.metadata
    namespace: dict = {}
    exec(answer.source, namespace)  # the stubbed answer cell runs; calling the answer is what fails
    with pytest.raises(NotImplementedError):
        namespace["double"](1)


BROKEN = {
    "duplicate grade ids": (lambda: _lesson(check_id="ex1_double"), "is already used by cell 2"),
    "an unclosed solution region": (lambda: _lesson(answer=ANSWER.replace("    ### END SOLUTION", "")),
                                    "is never closed"),
    "an end marker with no begin": (lambda: _lesson(check=CHECK.replace("    ### BEGIN HIDDEN TESTS\n", "")),
                                    "has no '### BEGIN HIDDEN TESTS' above it"),
    "an answer cell without a solution region": (lambda: _lesson(answer="def double(x):\n    return 2 * x"),
                                                 "answer cell without a solution region"),
    "a check worth no points": (lambda: _lesson(points=0), "points 0"),
}


def _no_check_lesson():
    notebook = _lesson()
    notebook.cells[3].metadata = {}
    return notebook


BROKEN["an answer with no graded check"] = (_no_check_lesson, "answer cell with no graded check")


@pytest.mark.parametrize("kind", list(BROKEN))
def test_a_broken_lesson_is_named_with_its_cell_and_nothing_is_written(tmp_path, kind):
    make, says = BROKEN[kind]
    _write(tmp_path / "lessons", "01_good.ipynb", _lesson())
    _write(tmp_path / "lessons", "02_bad.ipynb", make())
    for args in (("check", str(tmp_path / "lessons")),
                 ("release", str(tmp_path / "lessons"), "--to", str(tmp_path / "out"))):
        result = _cli(*args)
        assert result.returncode == 2, result.stdout
        assert "02_bad.ipynb, cell" in result.stderr and says in result.stderr, result.stderr
        assert "01_good" not in result.stderr
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_folder_without_notebooks_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = _cli("release", str(tmp_path / "empty"), "--to", str(tmp_path / "out"))
    assert result.returncode == 2 and "holds no notebooks" in result.stderr
    assert not (tmp_path / "out").exists()
    result = _cli("check", str(tmp_path / "missing"))
    assert result.returncode == 2 and "is not a folder" in result.stderr


def test_a_file_that_is_not_a_notebook_is_named(tmp_path):
    (tmp_path / "lessons").mkdir()
    (tmp_path / "lessons" / "01_a.ipynb").write_text("{ not json")
    result = _cli("check", str(tmp_path / "lessons"))
    assert result.returncode == 2 and "01_a.ipynb: cannot be read as a notebook" in result.stderr


def test_release_refuses_to_write_into_the_lessons_folder(tmp_path):
    _write(tmp_path / "lessons", "01_a.ipynb", _lesson())
    for target in (tmp_path / "lessons", tmp_path / "lessons" / "student"):
        with pytest.raises(course.CourseError, match="inside the lessons folder"):
            course.release(tmp_path / "lessons", target)
    assert [p.name for p in (tmp_path / "lessons").iterdir()] == ["01_a.ipynb"]


def test_markers_in_an_unmarked_cell_are_reported(tmp_path):
    notebook = _lesson()
    notebook.cells[1].source = "### BEGIN SOLUTION\nx = 1\n### END SOLUTION"
    _write(tmp_path / "lessons", "01_a.ipynb", notebook)
    with pytest.raises(course.CourseError, match=r"cell 1: has '### BEGIN SOLUTION' but is not an answer cell"):
        course.check(tmp_path / "lessons")


def test_the_repositorys_lessons_pass_the_check():
    lessons = Path(__file__).resolve().parents[2] / "lessons"
    assert len(course.check(lessons)) >= 16
