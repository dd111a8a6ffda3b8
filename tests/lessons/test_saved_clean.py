"""Every saved lesson renders without a kernel (GitHub, nbviewer, a reopened notebook).

A widget lives only while its kernel does: saved, its view shows "Error displaying
widget" and its state bloats the file. An error output means the lesson was saved
after a failing run. A lesson that draws saves its figures as images, or the payoff is
invisible in the file (a run under a non-rendering backend saves none). Execution
timestamps change on every run, and a kernelspec other than the one Jupyter reports
marks the notebook as modified the moment it is opened. So a saved lesson holds none
of these.
"""

import ast
import re
from pathlib import Path

import nbformat
import pytest

LESSONS = sorted((Path(__file__).resolve().parents[2] / "lessons").glob("*.ipynb"))
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Source that draws a figure: pyplot, a matplotlib import, or tinyfit's plot helpers.
DRAWS = re.compile(r"\bplt\.|\bmatplotlib\b|\bplot_history\(")


def _shows_a_figure(source: str) -> bool:
    """True if the cell itself runs plt.show() (not merely defines a function that does)."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:  # IPython magics: judge by the text
        return bool(re.search(r"\bplt\.show\(", source))
    for statement in statements:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            continue
        for node in ast.walk(statement):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "show"
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "plt"):
                return True
    return False


def _has_image(cell) -> bool:
    return any("image/png" in output.get("data", {}) for output in cell.get("outputs", []))


def problems(notebook) -> list[str]:
    """What keeps the saved notebook from rendering cleanly, one line per problem."""
    found = []
    if "widgets" in notebook.metadata:
        found.append("notebook metadata holds widget state (metadata.widgets)")
    kernelspec = dict(notebook.metadata.get("kernelspec", {}))
    if kernelspec != KERNELSPEC:
        found.append(f"kernelspec is {kernelspec}, not {KERNELSPEC}")
    draws = False
    for index, cell in enumerate(notebook.cells):
        if "execution" in cell.get("metadata", {}):
            found.append(f"cell {index} keeps execution timestamps (metadata.execution)")
        if cell.cell_type != "code":
            continue
        draws = draws or bool(DRAWS.search(cell.source))
        if _shows_a_figure(cell.source) and not _has_image(cell):
            found.append(f"cell {index} calls plt.show() but saved no image/png output")
        for output in cell.get("outputs", []):
            if WIDGET_VIEW in output.get("data", {}):
                found.append(f"cell {index} has a widget-view output")
            if output.get("output_type") == "error":
                found.append(f"cell {index} has an error output ({output.get('ename')}: {output.get('evalue')})")
    if draws and not any(_has_image(cell) for cell in notebook.cells if cell.cell_type == "code"):
        found.append("the lesson draws figures but saved no image/png output")
    return found


def test_there_are_lessons_to_check():
    assert len(LESSONS) >= 10


@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_saved_lesson_is_clean(path):
    assert problems(nbformat.read(path, as_version=4)) == [], (
        f"{path.name}: rerun it top to bottom with the inline backend (`env -u MPLBACKEND jupyter nbconvert "
        "--to notebook --execute --inplace`), then drop each cell's metadata.execution and metadata.widgets, "
        f"set the kernelspec to {KERNELSPEC}, and keep widget outputs out (close widgets into static output)."
    )


def _clean_notebook():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# A lesson"),
        nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()", outputs=[
            nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"})]),
        nbformat.v4.new_code_cell("print(1)", outputs=[nbformat.v4.new_output("stream", name="stdout", text="1\n")]),
    ])
    notebook.metadata["kernelspec"] = dict(KERNELSPEC)
    return notebook


def test_a_clean_notebook_passes():
    assert problems(_clean_notebook()) == []


def test_the_check_finds_widget_state_views_and_errors():
    notebook = _clean_notebook()
    notebook.cells += [
        nbformat.v4.new_code_cell("w", outputs=[nbformat.v4.new_output(
            "display_data", data={WIDGET_VIEW: {"model_id": "abc", "version_major": 2, "version_minor": 0},
                                  "text/plain": "IntProgress(value=3)"})]),
        nbformat.v4.new_code_cell("1/0", outputs=[nbformat.v4.new_output(
            "error", ename="ZeroDivisionError", evalue="division by zero", traceback=[])]),
    ]
    notebook.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    assert problems(notebook) == [
        "notebook metadata holds widget state (metadata.widgets)",
        "cell 3 has a widget-view output",
        "cell 4 has an error output (ZeroDivisionError: division by zero)",
    ]


@pytest.mark.parametrize("kernelspec", [
    {"display_name": "Python 3", "language": "python", "name": "python3"},
    {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "tinyfit"},
    None,
])
def test_the_check_finds_another_kernelspec(kernelspec):
    notebook = _clean_notebook()
    if kernelspec is None:
        del notebook.metadata["kernelspec"]
    else:
        notebook.metadata["kernelspec"] = kernelspec
    (problem,) = problems(notebook)
    assert problem.startswith("kernelspec is ") and "Python 3 (ipykernel)" in problem


def test_the_check_finds_execution_timestamps():
    notebook = _clean_notebook()
    notebook.cells[2].metadata["execution"] = {"iopub.status.busy": "2026-11-22T02:48:49.330182Z"}
    notebook.cells[0].metadata["execution"] = {}
    assert problems(notebook) == [
        "cell 0 keeps execution timestamps (metadata.execution)",
        "cell 2 keeps execution timestamps (metadata.execution)",
    ]


def test_the_check_finds_a_figure_saved_without_its_image():
    notebook = _clean_notebook()
    # What a run under the Agg backend saves: plt.show() draws nothing, so the cell has no output at all.
    notebook.cells[1].outputs = []
    assert problems(notebook) == [
        "cell 1 calls plt.show() but saved no image/png output",
        "the lesson draws figures but saved no image/png output",
    ]


def test_the_check_finds_a_lesson_that_draws_without_plt_show_and_saves_no_image():
    notebook = _clean_notebook()
    notebook.cells[1] = nbformat.v4.new_code_cell(
        "keras.utils.plot_history(history)",
        outputs=[nbformat.v4.new_output("display_data", data={"text/plain": "<Figure size 640x480 with 1 Axes>"})])
    assert problems(notebook) == ["the lesson draws figures but saved no image/png output"]


def test_a_cell_that_only_defines_a_drawing_function_needs_no_image():
    notebook = _clean_notebook()
    notebook.cells.insert(1, nbformat.v4.new_code_cell("def draw(path):\n    plt.plot(path)\n    plt.show()"))
    assert problems(notebook) == []
    notebook.cells[2].outputs = []  # the cell that calls it saved nothing
    assert problems(notebook) == ["cell 2 calls plt.show() but saved no image/png output",
                                  "the lesson draws figures but saved no image/png output"]
