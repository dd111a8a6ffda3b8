"""What a saved notebook keeps of fit's progress when the kernel is killed or restarted mid-run.

A front end builds a cell's outputs from the kernel's messages. JupyterLab, when it restarts a
kernel, forgets the running cell and drops every message of the old kernel from the moment the
user clicks, before the restart request even leaves (its kernel connection's restart() clears its
pending requests first); a kernel killed outright sends nothing more either. So the saved cell
holds what had arrived before, and nothing tinyfit could do at the end. These tests run a real
kernel with jupyter_client, keep the outputs as a front end does (display updates in place), stop
listening at the kill or the restart, then write the notebook, read it back and look: the finished
epochs must be there as text, every figure under its name, and by default no widget at all
(a widget view left in a saved notebook shows "Error displaying widget" once reopened).
"""

import os
import re
import signal
import time

import pytest

nbformat = pytest.importorskip("nbformat")
jupyter_client = pytest.importorskip("jupyter_client")
pytest.importorskip("ipykernel")

EPOCHS = 50  # far more than the test waits for: the run is always mid-way when stopped
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

FIT_CELL = f"""
import time
import numpy as np
import tinyfit as keras
from tinyfit import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(256, 4)).astype("float32")
y = (x[:, 0] > 0).astype("int64")
model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.02))
model.fit(x, y, epochs={EPOCHS}, batch_size=16, validation_split=0.25, callbacks=[slow])
"""
# Two finished epochs, each a header and a line with its figures.
TWO_EPOCHS_DONE = re.compile(rf"Epoch 2/{EPOCHS}\n\S+/\S+ .*val_loss: ")


class Kernel:
    """A kernel, and one cell's outputs kept as a notebook front end keeps them."""

    def __init__(self, mode):
        self.mode = mode
        env = dict(os.environ, TINYFIT_PROGRESS=mode, MPLBACKEND="Agg")
        env.pop("CI", None)  # with CI set, tinyfit shows text progress in a notebook
        self.manager = jupyter_client.KernelManager(kernel_name="python3")
        self.manager.start_kernel(env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=60)
        self.outputs = []
        self.comm_opened = False
        self._displays = {}  # display_id -> indices of the outputs it shows

    def pid(self):
        reply = self.client.execute_interactive("import os; print(os.getpid(), end='')", timeout=60,
                                                output_hook=self._keep_pid)
        assert reply["content"]["status"] == "ok"
        return self._pid

    def _keep_pid(self, msg):
        if msg["msg_type"] == "stream":
            self._pid = int(msg["content"]["text"])

    def run_until(self, source, done, timeout=60):
        """Runs `source` and keeps its outputs until `done(outputs)`; then listens no more."""
        msg_id = self.client.execute(source)
        deadline = time.monotonic() + timeout
        while not done(self.outputs):
            assert time.monotonic() < deadline, f"timed out; outputs so far: {self.outputs}"
            msg = self.client.get_iopub_msg(timeout=max(deadline - time.monotonic(), 1))
            if msg["parent_header"].get("msg_id") == msg_id:
                self._keep(msg)

    def _keep(self, msg):
        kind, content = msg["msg_type"], msg["content"]
        assert kind != "error", "\n".join(content["traceback"])
        if kind in ("display_data", "execute_result", "stream"):
            display_id = content.get("transient", {}).get("display_id")
            if display_id:
                self._displays.setdefault(display_id, []).append(len(self.outputs))
            self.outputs.append(nbformat.v4.output_from_msg(msg))
        elif kind == "update_display_data":
            for index in self._displays.get(content["transient"]["display_id"], []):
                self.outputs[index] = nbformat.v4.new_output("display_data", data=content["data"],
                                                             metadata=content["metadata"])
        elif kind == "comm_open":
            self.comm_opened = True

    def close(self):
        self.client.stop_channels()
        if self.manager.has_kernel:
            self.manager.shutdown_kernel(now=True)


def texts(outputs):
    return [output.get("data", {}).get("text/plain", "") for output in outputs] + \
           [output.get("text", "") for output in outputs]


def two_epochs_done(outputs):
    return any(TWO_EPOCHS_DONE.search(text) for text in texts(outputs))


def saved_and_reopened(tmp_path, outputs):
    cell = nbformat.v4.new_code_cell(FIT_CELL)
    cell.outputs = outputs
    path = tmp_path / "stopped.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[cell]), str(path))
    notebook = nbformat.read(str(path), as_version=4)
    nbformat.validate(notebook)
    return notebook.cells[0].outputs


def assert_finished_epochs_as_text(outputs):
    lines = "\n".join(texts(outputs)).splitlines()
    for epoch in (1, 2):
        header = lines.index(f"Epoch {epoch}/{EPOCHS}")
        figures = lines[header + 1]
        for name in ("loss", "accuracy", "val_loss", "val_accuracy"):
            assert re.search(rf"(^| - ){name}: \d\.\d{{4}}", figures), (name, figures)


@pytest.fixture
def kernel(request):
    started = Kernel(request.param)
    yield started
    started.close()


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["auto", "widget"], indirect=True)
def test_a_kernel_killed_mid_fit_leaves_the_finished_epochs_as_text(kernel, tmp_path):
    pid = kernel.pid()
    kernel.run_until(FIT_CELL, two_epochs_done)
    os.kill(pid, signal.SIGKILL)  # no chance to run anything: what the cell holds now is what stays
    outputs = saved_and_reopened(tmp_path, kernel.outputs)
    assert_finished_epochs_as_text(outputs)
    widget_views = [o for o in outputs if WIDGET_VIEW in o.get("data", {})]
    if kernel.mode == "auto":  # the HTML bar, the default: no widget anywhere
        assert widget_views == [] and not kernel.comm_opened
    else:  # the widget bar's view stays, its kernel gone; the finished lines are an output of their own
        assert len(widget_views) == 1 and WIDGET_VIEW not in outputs[-1].data


@pytest.mark.slow
@pytest.mark.parametrize("kernel", ["auto"], indirect=True)
def test_a_kernel_restarted_mid_fit_leaves_the_finished_epochs_and_no_widget(kernel, tmp_path):
    kernel.run_until(FIT_CELL, lambda outputs: two_epochs_done(outputs) and any(
        f"Epoch 3/{EPOCHS} " in text for text in texts(outputs)))  # the third epoch's bar under way
    # As JupyterLab does: the old kernel's messages are no longer heard, then the restart is asked for
    # (a shutdown request, then SIGTERM and SIGKILL if the kernel, busy in fit, has not exited).
    kernel.manager.restart_kernel(now=False)
    outputs = saved_and_reopened(tmp_path, kernel.outputs)
    assert_finished_epochs_as_text(outputs)
    assert [o for o in outputs if WIDGET_VIEW in o.get("data", {})] == [] and not kernel.comm_opened
    # The bar under way is kept as the page last drew it.
    assert any("<progress" in o.get("data", {}).get("text/html", "") for o in outputs)
