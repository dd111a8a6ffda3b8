"""Every saved lesson renders without a kernel (GitHub, nbviewer, a reopened notebook).

A widget lives only while its kernel does: saved, its view shows "Error displaying
widget" and its state bloats the file. An error output means the lesson was saved
after a failing run. So a saved lesson holds neither.
"""

from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).resolve().parents[2] / "lessons").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def problems(notebook) -> list[str]:
    """What keeps the saved notebook from rendering cleanly, one line per problem."""
    found = []
    if "widgets" in notebook.metadata:
        found.append("notebook metadata holds widget state (metadata.widgets)")
    for index, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                found.append(f"cell {index} has a widget-view output")
            if output.get("output_type") == "error":
                found.append(f"cell {index} has an error output ({output.get('ename')}: {output.get('evalue')})")
    return found


def test_there_are_lessons_to_check():
    assert len(LESSONS) >= 10


@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_saved_lesson_has_no_widget_state_views_or_errors(path):
    assert problems(nbformat.read(path, as_version=4)) == [], (
        f"{path.name}: clear the widget outputs (or close the widgets and show static output), uncheck "
        "Settings > Save Widget State Automatically, rerun the lesson and save it again."
    )


def test_the_check_finds_widget_state_views_and_errors():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                                  "text/plain": "IntProgress(value=3)"})]),
        nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
    ])
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert problems(notebook) == [
        "notebook metadata holds widget state (metadata.widgets)",
        "cell 0 has a widget-view output",
        "cell 1 has an error output (ZeroDivisionError: division by zero)",
    ]
    del notebook.metadata["widgets"]
    notebook.cells = notebook.cells[2:]
    assert problems(notebook) == []
