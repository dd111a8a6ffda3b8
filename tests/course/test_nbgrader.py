"""Real nbgrader releases every lesson and grades three kinds of submission.

A teacher copies lessons/ into a course's source/ folder beside lessons/nbgrader_config.py,
runs `nbgrader generate_assignment`, hands out release/, collects into submitted/ and runs
`nbgrader autograde`. This test does exactly that, once, for:
- the teacher's own notebooks: every check gets full marks;
- the untouched student release: every check gets zero, and the only errors in the
  graded notebooks are the checks' "not done yet";
- a submission with one wrong answer, in several lessons: zero on that exercise only.
It also checks that `python -m tinyfit.course release` writes what nbgrader writes.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tinyfit.course import notebook_format as fmt
from tinyfit.course import release as course

ROOT = Path(__file__).resolve().parents[2]
LESSONS = sorted((ROOT / "lessons").glob("*.ipynb"))
ASSIGNMENT = "lessons"

# One wrong answer each: (lesson, answer cell's grade_id, the wrong code for its solution region).
WRONG = {
    "06_metrics": ("ex1_epoch_accuracy", "return float(np.mean(batch_accuracies))  # every batch counts once"),
    "07_optimizers_and_schedules": ("ex2_adagrad", "accumulator = accumulator + g**2\n"
                                    "return w - learning_rate * g / (np.sqrt(accumulator) + epsilon), accumulator"),
    "10_weights_and_many_outputs": ("ex2_weighted_batch_loss",
                                    "return float(np.sum(per_sample_losses * sample_weight) / np.sum(sample_weight))"),
    "14_checkpoints_and_saving": ("ex3_pick_checkpoint",  # the newest name as text: "ckpt-9" after "ckpt-10"
                                  "names = [n for n in os.listdir(folder_path) if re.fullmatch(r'ckpt-\\d+\\.keras', n)]\n"
                                  "return os.path.join(folder_path, max(names)) if names else None"),
}

pytestmark = pytest.mark.slow


def _nbgrader(course: Path, *args: str) -> None:
    # nbgrader runs `alembic` and kernels by name: this environment's scripts come first, as when it is activated.
    env = dict(os.environ, PATH=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, capture_output=True, text=True,
                            timeout=1500, env=env)
    assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"


def _with_wrong_answer(notebook, grade_id: str, wrong: str):
    notebook = nbformat.from_dict(notebook)
    (cell,) = [c for c in notebook.cells if fmt.nbgrader(c).get("grade_id") == grade_id]
    cell.source = course._strip(cell.source, fmt.BEGIN_SOLUTION, fmt.END_SOLUTION, wrong.split("\n"))
    return notebook


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The course folder after generate_assignment and one autograde of every submission."""
    root = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "lessons" / "nbgrader_config.py", root / "nbgrader_config.py")
    source = root / "source" / ASSIGNMENT
    source.mkdir(parents=True)
    for path in LESSONS:
        shutil.copy(path, source / path.name)
    _nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    released = root / "release" / ASSIGNMENT
    for student, folder in (("teacher", source), ("untouched", released)):
        shutil.copytree(folder, root / "submitted" / student / ASSIGNMENT)
    for lesson, (grade_id, wrong) in WRONG.items():
        student = f"wrong-{lesson.split('_')[0]}"
        target = root / "submitted" / student / ASSIGNMENT
        target.mkdir(parents=True)
        notebook = nbformat.read(source / f"{lesson}.ipynb", as_version=4)
        nbformat.write(_with_wrong_answer(notebook, grade_id, wrong), target / f"{lesson}.ipynb")
    _nbgrader(root, "autograde", ASSIGNMENT, "--create", "--force")
    return root


def _grades(root: Path, student: str, lesson: str) -> dict[str, tuple[float, float]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gradebook:
        notebook = gradebook.find_submission_notebook(lesson, ASSIGNMENT, student)
        return {grade.name: (grade.score, grade.max_score) for grade in notebook.grades
                if grade.cell_type == "code" and not grade.name.endswith("_answer")}


def test_every_lesson_has_graded_exercises():
    for path in LESSONS:
        notebook = nbformat.read(path, as_version=4)
        assert fmt.exercises(notebook), f"{path.name} has no nbgrader exercise"


@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_the_teachers_notebook_gets_full_marks(graded, lesson):
    grades = _grades(graded, "teacher", lesson)
    assert grades, f"{lesson}: no graded check"
    lost = {name: score for name, score in grades.items() if score[0] != score[1]}
    assert lost == {}, f"{lesson}: the reference answers lose points on {lost}"


@pytest.mark.parametrize("lesson", [p.stem for p in LESSONS])
def test_the_untouched_release_gets_zero_and_fails_nowhere_else(graded, lesson):
    grades = _grades(graded, "untouched", lesson)
    scored = {name: score for name, score in grades.items() if score[0] != 0}
    assert scored == {}, f"{lesson}: an unanswered exercise scores points: {scored}"
    notebook = nbformat.read(graded / "autograded" / "untouched" / ASSIGNMENT / f"{lesson}.ipynb", as_version=4)
    for index, cell in enumerate(notebook.cells):
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        if fmt.is_check(cell):
            assert [e.ename for e in errors] == ["NotDone"], (
                f"{lesson} cell {index}: an unanswered check should fail only with NotDone, got "
                f"{[(e.ename, e.evalue) for e in errors]}")
            assert "is not done yet" in errors[0].evalue
        else:
            assert errors == [], f"{lesson} cell {index} fails in the student release: " \
                                 f"{[(e.ename, e.evalue) for e in errors]}"
            stderr = [o.text for o in cell.get("outputs", []) if o.get("name") == "stderr"]
            assert not any(re.search(r"Traceback|Error", text) for text in stderr), (lesson, index, stderr)


@pytest.mark.parametrize("lesson", sorted(WRONG))
def test_one_wrong_answer_loses_that_exercise_only(graded, lesson):
    grade_id, _ = WRONG[lesson]
    student = f"wrong-{lesson.split('_')[0]}"
    grades = _grades(graded, student, lesson)
    exercise = [e for e in fmt.exercises(nbformat.read(ROOT / "lessons" / f"{lesson}.ipynb", as_version=4))
                if e.grade_id == grade_id]
    assert exercise, f"{lesson} has no answer cell {grade_id}"
    notebook = nbformat.read(ROOT / "lessons" / f"{lesson}.ipynb", as_version=4)
    wrong_checks = {fmt.nbgrader(notebook.cells[i])["grade_id"] for i in exercise[0].checks}
    for name, (score, max_score) in grades.items():
        expected = 0 if name in wrong_checks else max_score
        assert score == expected, f"{lesson}: {name} scored {score} of {max_score}, expected {expected}"


def test_tinyfit_course_release_writes_what_nbgrader_writes(graded, tmp_path):
    course.release(graded / "source" / ASSIGNMENT, tmp_path)
    for path in LESSONS:
        ours = nbformat.read(tmp_path / path.name, as_version=4)
        theirs = nbformat.read(graded / "release" / ASSIGNMENT / path.name, as_version=4)
        assert [c.source for c in ours.cells] == [c.source for c in theirs.cells], path.name
        for mine, nbgraders in zip(ours.cells, theirs.cells):
            if fmt.is_answer(mine) or fmt.is_check(mine):
                assert mine.get("outputs", []) == [] and nbgraders.get("outputs", []) == []
