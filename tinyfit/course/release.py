"""The student versions of the lessons, as `nbgrader generate_assignment` writes them.

Each solution region becomes nbgrader's stub (`# YOUR CODE HERE` and
`raise NotImplementedError()`, indented like the region), hidden tests are removed,
the outputs of answer and check cells are cleared, and checks are locked against
editing and deleting. Every other cell keeps its outputs: the figures are the lesson.
"""

from __future__ import annotations

import copy
import os
import tempfile
from pathlib import Path
from typing import Any

from tinyfit.course import notebook_format as fmt

STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]


class CourseError(ValueError):
    """Lessons that cannot be released, with every problem found."""

    def __init__(self, problems: list):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def _read(path: Path) -> Any:
    import nbformat  # an extra (`pip install "tinyfit[teach]"`): only the course tools need it

    try:
        return nbformat.read(path, as_version=4)
    except Exception as error:  # nbformat raises several kinds for a file that is not a notebook
        raise CourseError([fmt.Problem(path, None, f"cannot be read as a notebook ({error})")]) from None


def lessons_in(folder: Path) -> list[Path]:
    """The notebooks of a lesson folder, in order; a folder with none is an error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise CourseError([fmt.Problem(folder, None, "is not a folder; give the folder that holds the lessons")])
    found = sorted(p for p in folder.glob("*.ipynb"))
    if not found:
        raise CourseError([fmt.Problem(folder, None, "holds no notebooks (*.ipynb); give the folder that holds "
                                                     "the lessons")])
    return found


def check(folder: Path) -> list[Path]:
    """Validates every lesson of `folder`; raises `CourseError` listing every problem."""
    paths = lessons_in(folder)
    problems = [p for path in paths for p in fmt.problems(_read(path), path)]
    if problems:
        raise CourseError(problems)
    return paths


def _strip(source: str, begin: str, end: str, replacement: list[str]) -> str:
    lines, kept, inside = source.split("\n"), [], False
    for line in lines:
        if begin in line:
            inside = True
            indent = line[: len(line) - len(line.lstrip())]
            kept.extend(indent + r for r in replacement)
        elif end in line:
            inside = False
        elif not inside:
            kept.append(line)
    return "\n".join(kept)


def student_version(notebook: Any) -> Any:
    """A copy of a teacher's notebook as a student receives it."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        answer, graded = fmt.is_answer(cell), fmt.is_check(cell)
        if answer:
            cell.source = _strip(cell.source, fmt.BEGIN_SOLUTION, fmt.END_SOLUTION, STUB)
        if graded:
            cell.source = _strip(cell.source, fmt.BEGIN_HIDDEN, fmt.END_HIDDEN, [])
        if (answer or graded) and cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        if fmt.nbgrader(cell).get("locked"):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    return notebook


def release(folder: Path, to: Path) -> list[Path]:
    """Writes the student version of every lesson in `folder` into `to`; returns the files written.

    Nothing is written unless every lesson is valid.
    """
    import nbformat

    folder, to = Path(folder).resolve(), Path(to).resolve()
    if to == folder or folder in to.parents:
        raise CourseError([fmt.Problem(to, None, f"is inside the lessons folder {folder}; release to a folder "
                                                 "outside it, so the teacher's source is never overwritten")])
    paths = check(folder)
    versions = [(path, student_version(_read(path))) for path in paths]
    to.mkdir(parents=True, exist_ok=True)
    written = []
    for path, notebook in versions:
        target = to / path.name
        # Written beside the target, then renamed: a release never leaves half a notebook.
        handle, temporary = tempfile.mkstemp(dir=to, prefix=f".{path.stem}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                nbformat.write(notebook, stream)
            os.replace(temporary, target)
        except BaseException:
            os.unlink(temporary)
            raise
        written.append(target)
    return written
