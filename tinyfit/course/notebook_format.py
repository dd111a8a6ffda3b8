"""The nbgrader markers a lesson carries, read and validated.

A lesson is the teacher's source in nbgrader's format:
- an exercise's answer cell has `metadata.nbgrader` with `solution: true` and a
  `grade_id`; the reference answer sits between `### BEGIN SOLUTION` and
  `### END SOLUTION` (a cell may hold several such regions, one per method);
- its check is the next graded cell: `grade: true`, `locked: true`, `points` above
  zero, a `grade_id`; cases that would give the answer away sit between
  `### BEGIN HIDDEN TESTS` and `### END HIDDEN TESTS`;
- grade ids are unique in the notebook.

`problems(notebook, path)` lists every rule a notebook breaks, each naming the cell and
the fix; `exercises(notebook)` pairs each answer cell with its check.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

BEGIN_SOLUTION, END_SOLUTION = "### BEGIN SOLUTION", "### END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
GRADE_ID = re.compile(r"^[A-Za-z0-9_-]+$")
SCHEMA_VERSION = 3


@dataclasses.dataclass(frozen=True)
class Problem:
    """One broken rule: where it is and how to mend it."""

    path: Path
    cell: int | None  # index of the cell, or None for the whole notebook
    message: str

    def __str__(self) -> str:
        where = f"{self.path}" if self.cell is None else f"{self.path}, cell {self.cell}"
        return f"{where}: {self.message}"


@dataclasses.dataclass(frozen=True)
class Exercise:
    """An answer cell and the graded check cells that follow it."""

    answer: int
    checks: tuple[int, ...]
    grade_id: str
    points: float


def nbgrader(cell: Any) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def is_answer(cell: Any) -> bool:
    return bool(nbgrader(cell).get("solution"))


def is_check(cell: Any) -> bool:
    return bool(nbgrader(cell).get("grade")) and not is_answer(cell)


def regions(source: str, begin: str, end: str) -> list[tuple[int, int]] | str:
    """The (begin line, end line) pairs of a cell's marked regions, or what is wrong with them."""
    found, start = [], None
    for number, line in enumerate(source.split("\n")):
        if begin in line:
            if start is not None:
                return f"'{begin}' on line {number + 1} comes before the '{end}' of line {start + 1}'s region"
            start = number
        elif end in line:
            if start is None:
                return f"'{end}' on line {number + 1} has no '{begin}' above it"
            found.append((start, number))
            start = None
    if start is not None:
        return f"'{begin}' on line {start + 1} is never closed: add '{end}' after the region"
    return found


def exercises(notebook: Any) -> list[Exercise]:
    """Each answer cell with the check cells between it and the next answer cell."""
    found: list[Exercise] = []
    cells = notebook["cells"]
    answers = [i for i, cell in enumerate(cells) if is_answer(cell)]
    for n, index in enumerate(answers):
        stop = answers[n + 1] if n + 1 < len(answers) else len(cells)
        checks = tuple(i for i in range(index + 1, stop) if is_check(cells[i]))
        points = sum(float(nbgrader(cells[i]).get("points") or 0) for i in checks)
        found.append(Exercise(index, checks, str(nbgrader(cells[index]).get("grade_id")), points))
    return found


def problems(notebook: Any, path: Path) -> list[Problem]:
    """Every rule of the format that `notebook` (read from `path`) breaks."""
    found: list[Problem] = []
    cells = notebook.get("cells", [])
    seen_ids: dict[str, int] = {}

    def problem(index: int | None, message: str) -> None:
        found.append(Problem(path, index, message))

    for index, cell in enumerate(cells):
        meta, source = nbgrader(cell), "".join(cell.get("source", ""))
        for begin, end, allowed, kind in ((BEGIN_SOLUTION, END_SOLUTION, is_answer(cell), "an answer cell"),
                                          (BEGIN_HIDDEN, END_HIDDEN, is_check(cell), "a graded check cell")):
            marked = regions(source, begin, end)
            if isinstance(marked, str):
                problem(index, f"unbalanced markers: {marked}")
            elif marked and not allowed:
                problem(index, f"has '{begin}' but is not {kind}; mark it in the metadata "
                               f"(metadata.nbgrader, as nbgrader's Create Assignment toolbar does) or remove the markers")
        if not meta:
            continue
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or not GRADE_ID.match(grade_id):
            problem(index, f"grade_id {grade_id!r} is missing or not made of letters, digits, '_' and '-'; "
                           "give the cell a unique grade_id")
        elif grade_id in seen_ids:
            problem(index, f"grade_id {grade_id!r} is already used by cell {seen_ids[grade_id]}; "
                           "grade ids must be unique in a notebook")
        else:
            seen_ids[grade_id] = index
        if meta.get("schema_version") != SCHEMA_VERSION:
            problem(index, f"nbgrader schema_version is {meta.get('schema_version')!r}; set it to {SCHEMA_VERSION}")
        if is_answer(cell):
            if cell.get("cell_type") != "code":
                problem(index, "an answer cell must be a code cell")
            elif not regions(source, BEGIN_SOLUTION, END_SOLUTION):
                problem(index, f"answer cell without a solution region: put the reference answer between "
                               f"'{BEGIN_SOLUTION}' and '{END_SOLUTION}'")
        if is_check(cell):
            points = meta.get("points")
            if not isinstance(points, (int, float)) or isinstance(points, bool) or points <= 0:
                problem(index, f"graded check with points {points!r}; give it a number of points above 0")
            if not meta.get("locked"):
                problem(index, "graded check is not locked; set metadata.nbgrader.locked to true so a "
                               "student cannot edit it")
            if cell.get("cell_type") != "code":
                problem(index, "a graded check must be a code cell")
    answers = [i for i, cell in enumerate(cells) if is_answer(cell)]
    for exercise in exercises(notebook):
        if not exercise.checks:
            problem(exercise.answer, "answer cell with no graded check after it: add a graded, locked "
                                     "check cell (with points) before the next exercise")
    first_answer = answers[0] if answers else len(cells)
    for index in range(first_answer):
        if is_check(cells[index]):
            problem(index, "graded check with no answer cell above it: mark the cell the student fills in "
                           "as an answer cell (solution: true) or make this cell ungraded")
    return found
