"""fit/evaluate/predict progress in a real Jupyter kernel (nbclient), as a student's notebook shows it.

Each test runs a notebook in a fresh kernel with TINYFIT_PROGRESS set in the
kernel's environment, counts the kernel's messages as they arrive (the saved
notebook keeps only their result) and reads the saved outputs.
"""

import json
import os
import textwrap

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from tinyfit.utils.bar_figures import _format_value  # noqa: E402  (after the skips: needs the kernel packages)

INTERVAL = 0.1
EPOCHS = 4
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

SETUP_CELL = """
import json, time
import numpy as np
import tinyfit as keras
from tinyfit import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(640, 4)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64")
model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
# A few milliseconds a step, so that the bar has something to throttle.
slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.01))
"""
FIT_CELL = f"""
started = time.monotonic()
history = model.fit(x, y, epochs={EPOCHS}, batch_size=16, validation_split=0.25, callbacks=[slow])
fit_seconds = time.monotonic() - started
"""
REPORT_CELL = "print(json.dumps({'seconds': fit_seconds, 'history': history.history}))"
EVALUATE_CELL = "scores = model.evaluate(x, y, batch_size=64)"
PREDICT_CELL = "predictions = model.predict(x, batch_size=64)"
FAILING_FIT_CELL = """
def stop(epoch, logs):
    if epoch == 1:
        raise KeyboardInterrupt  # as Ctrl-C does, in the second epoch
try:
    model.fit(x, y, epochs=4, batch_size=64, callbacks=[keras.callbacks.LambdaCallback(on_epoch_end=stop)])
except KeyboardInterrupt:
    pass
"""

# Started before anything else, this makes `import ipywidgets` fail in the kernel, as where it is not installed.
NO_WIDGETS_SHIM = """
import sys

class _NoWidgets:
    def find_spec(self, name, path=None, target=None):
        if name == "ipywidgets" or name.startswith("ipywidgets."):
            raise ModuleNotFoundError("No module named 'ipywidgets'", name="ipywidgets")
        return None

sys.meta_path.insert(0, _NoWidgets())
"""


class CountingClient(nbclient.NotebookClient):
    """Keeps every kernel message with the index of the cell that sent it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.messages = []

    def process_message(self, msg, cell, cell_index):
        self.messages.append((cell_index, msg["msg_type"], msg.get("content", {})))
        return super().process_message(msg, cell, cell_index)

    def count(self, cell_index, msg_type):
        return sum(1 for index, kind, _ in self.messages if index == cell_index and kind == msg_type)


def run_notebook(tmp_path, mode, sources, extra_env=None):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    client = CountingClient(notebook, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    env = dict(os.environ, TINYFIT_PROGRESS=mode, MPLBACKEND="Agg")
    env.pop("CI", None)
    env.update(extra_env or {})
    client.execute(env=env)
    return notebook, client


def all_outputs(notebook):
    return [output for cell in notebook.cells for output in cell.outputs]


def assert_clean(notebook, client):
    """No error output, no widget view, no widget left open: the saved notebook renders anywhere.

    (nbclient keeps the state of every widget it saw, closed or not, in the notebook's metadata;
    JupyterLab saves only the open ones. So the test checks that every widget was closed.)
    """
    outputs = all_outputs(notebook)
    assert [o for o in outputs if o.output_type == "error"] == []
    assert [o for o in outputs if WIDGET_VIEW in o.get("data", {})] == []
    opened = {c["comm_id"] for _, kind, c in client.messages if kind == "comm_open"}
    closed = {c["comm_id"] for _, kind, c in client.messages if kind == "comm_close"}
    assert opened - closed == set()


def assert_summary_of_every_epoch(output, history):
    assert output.output_type == "display_data"
    text = output.data["text/plain"]
    assert "<pre" in output.data["text/html"] and "<progress" not in output.data["text/html"]
    for epoch in range(EPOCHS):
        assert f"Epoch {epoch + 1}/{EPOCHS}" in text
        for name, values in history.items():
            assert f"{name}: {_format_value(values[epoch])}" in text, (name, epoch, text)
    assert "validation" not in text  # the validation bar is shown while it runs, not kept


@pytest.mark.slow
def test_widget_bar_updated_in_place_then_a_static_summary(tmp_path):
    notebook, client = run_notebook(tmp_path, "widget", [SETUP_CELL, FIT_CELL, REPORT_CELL, EVALUATE_CELL,
                                                          PREDICT_CELL, FAILING_FIT_CELL])
    report = json.loads(notebook.cells[2].outputs[0].text)

    # While fit ran: one widget view, whose widgets were updated at a bounded rate, and the finished lines,
    # shown when the first epoch ended and updated at each later one; at the end the summary and the
    # emptied widget's place.
    displays = [c for i, kind, c in client.messages if i == 1 and kind == "display_data"]
    assert len(displays) == 2 and WIDGET_VIEW in displays[0]["data"]
    assert client.count(1, "update_display_data") == EPOCHS - 1 + 2
    widget_updates = client.count(1, "comm_msg")
    # Each throttled redraw sends two messages (the bar, the figures); each epoch a dozen more at most
    # (reset, the validation bar, the finished line).
    assert 2 * EPOCHS < widget_updates <= 2 * report["seconds"] / INTERVAL + 12 * EPOCHS + 10
    assert client.count(1, "clear_output") == 0

    # Two outputs: the widget's place, emptied at the end, and the finished lines, updated at each epoch's end.
    outputs = notebook.cells[1].outputs
    assert len(outputs) == 2 and outputs[0].data == {}
    assert_summary_of_every_epoch(outputs[1], report["history"])
    for index, line in ((3, "10/10"), (4, "10/10")):  # evaluate and predict: the same style, one line each
        assert [o.output_type for o in notebook.cells[index].outputs] == ["display_data"]
        assert notebook.cells[index].outputs[0].data["text/plain"].startswith(line)
    # Stopped in its second epoch: the widget was closed when the cell ended, the first epoch listed.
    stopped = [o for o in notebook.cells[5].outputs if o.data]
    assert [o.output_type for o in stopped] == ["display_data"]
    assert "Epoch 1/4" in stopped[0].data["text/plain"] and "(stopped)" in stopped[0].data["text/plain"]
    assert_clean(notebook, client)


@pytest.mark.slow
def test_html_bar_updated_in_place_at_a_bounded_rate(tmp_path):
    notebook, client = run_notebook(tmp_path, "html", [SETUP_CELL, FIT_CELL, REPORT_CELL])
    report = json.loads(notebook.cells[2].outputs[0].text)

    assert client.count(1, "display_data") == 1
    assert client.count(1, "comm_open") == 0  # no widget at all
    updates = [c for i, kind, c in client.messages if i == 1 and kind == "update_display_data"]
    assert any("<progress" in c["data"]["text/html"] for c in updates)  # the live bar
    # One redraw per INTERVAL at most, plus the four each epoch brings (its bar, its validation bar, their ends).
    assert EPOCHS < len(updates) <= report["seconds"] / INTERVAL + 4 * EPOCHS + 3
    outputs = notebook.cells[1].outputs
    assert len(outputs) == 1
    assert_summary_of_every_epoch(outputs[0], report["history"])
    assert [o for o in all_outputs(notebook) if o.output_type == "stream" and o.name == "stderr"] == []
    assert_clean(notebook, client)


@pytest.mark.slow
def test_widget_asked_for_without_ipywidgets_gives_the_html_bar_and_one_warning(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(textwrap.dedent(NO_WIDGETS_SHIM))
    check = "import importlib\ntry:\n    import ipywidgets\nexcept ImportError:\n    print('no ipywidgets')"
    notebook, client = run_notebook(tmp_path, "widget", [check, SETUP_CELL, FIT_CELL, EVALUATE_CELL],
                                    extra_env={"PYTHONPATH": str(shim)})
    assert notebook.cells[0].outputs[0].text == "no ipywidgets\n"

    warnings = [o for o in all_outputs(notebook) if o.output_type == "stream" and o.name == "stderr"]
    assert len(warnings) == 1 and warnings[0].text.count("Warning") == 1
    assert "pip install ipywidgets" in warnings[0].text and "IProgress" not in warnings[0].text
    fit_outputs = [o for o in notebook.cells[2].outputs if o.output_type != "stream"]
    assert len(fit_outputs) == 1 and "Epoch 4/4" in fit_outputs[0].data["text/plain"]
    updates = [c for i, kind, c in client.messages if i == 2 and kind == "update_display_data"]
    assert any("<progress" in c["data"]["text/html"] for c in updates)
    assert client.count(2, "comm_open") == 0
    assert_clean(notebook, client)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["widget", "html"])
def test_a_callbacks_prints_and_csv_logger_survive_the_notebook_bar(tmp_path, mode):
    fit_cell = """
csv = keras.callbacks.CSVLogger("log.csv")
say = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: print(f"callback saw epoch {epoch}"))
history = model.fit(x, y, epochs=3, batch_size=64, validation_split=0.25, callbacks=[csv, say])
"""
    notebook, client = run_notebook(tmp_path, mode, [SETUP_CELL, fit_cell])
    outputs = notebook.cells[1].outputs
    printed = "".join(o.text for o in outputs if o.output_type == "stream")
    for epoch in range(3):
        assert f"callback saw epoch {epoch}" in printed  # in the cell, beside the bar, not lost
    summaries = [o for o in outputs if o.output_type == "display_data" and o.data]
    assert len(summaries) == 1 and "Epoch 3/3" in summaries[0].data["text/plain"]
    rows = (tmp_path / "log.csv").read_text().splitlines()
    assert rows[0].split(",")[0] == "epoch" and "val_loss" in rows[0] and len(rows) == 4
    assert_clean(notebook, client)
