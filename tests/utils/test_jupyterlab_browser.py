"""What a student sees in JupyterLab after stopping fit() by restarting or killing the kernel.

A real JupyterLab (this environment's, its kernel importing tinyfit) in a real
browser (the system's Chromium through Playwright): a cell trains slowly, the
kernel is restarted from the Kernel menu or killed with SIGKILL mid-run, the
notebook is saved and opened again in a fresh page. The reopened cell must
still show the finished epochs as text, and no widget that can no longer be
displayed. JupyterLab drops the messages of a kernel being restarted, so
whatever fit() shows must already be right when the kernel stops.

Run it with `pip install -e ".[browser]"` and Debian's `chromium` package;
screenshots of the reopened notebooks are left in pytest's tmp folder.
"""

from __future__ import annotations

import os
import re
import shutil
import signal

import pytest

from .jupyterlab_page import CHROMIUM, CHROMIUM_ARGS, NOT_RUNNING, JupyterLabServer, NotebookPage

nbformat = pytest.importorskip("nbformat")
playwright_sync = pytest.importorskip("playwright.sync_api", reason="needs playwright: pip install -e '.[browser]'")
if not CHROMIUM.exists():
    pytest.skip(f"needs Chromium at {CHROMIUM} (Debian: apt-get install chromium)", allow_module_level=True)

pytestmark = pytest.mark.slow

EPOCHS = 50
TRAINING_CELL = f"""
import os, time
import numpy as np
import tinyfit as keras
from tinyfit import layers

print(os.getpid())
x = np.random.default_rng(0).normal(size=(256, 4)).astype("float32")
y = (x[:, 0] > 0).astype("int64")
model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
# About a second an epoch: the run is always under way when the kernel is stopped.
slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.05))
model.fit(x, y, epochs={EPOCHS}, batch_size=16, validation_split=0.25, callbacks=[slow])
"""
# An epoch's finished line, as the text bar writes it: "12/12 1s 52ms/step - accuracy: 0.5 - loss: 0.69 ...".
FINISHED_EPOCH = r"Epoch {n}/{epochs}\s*\n[^\n]*\bloss: \d"
WIDGET_ERRORS = ("Error displaying widget", "Loading widget...")
SCREENSHOT_COPIES = {"restart": "/tmp/jlab_restart.png", "kill": "/tmp/jlab_kill.png"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("notebooks")
    lab = JupyterLabServer(root, tmp_path_factory.mktemp("jupyter_state"))
    try:
        lab.start()
        yield lab
    finally:
        lab.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def new_page(browser):
    """Opens pages in a fresh browser context each (no shared storage), closed after the test."""
    contexts = []

    def open_page():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _write_notebook(server, name: str):
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(nbformat.v4.new_code_cell(TRAINING_CELL.strip()))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}
    path = server.root / name
    nbformat.write(notebook, path)
    return path


def _saved_outputs(path) -> str:
    """The saved cell's outputs as `output_type[mimetypes]`, for the assertion messages."""
    notebook = nbformat.read(path, as_version=4)
    described = []
    for output in notebook.cells[0].get("outputs", []):
        kinds = output.get("name") or ", ".join(sorted(output.get("data", {})))
        described.append(f"{output['output_type']}[{kinds}]")
    return "; ".join(described) or "no outputs"


def _start_training(page: NotebookPage) -> int:
    """Runs the cell once the kernel is idle and waits until two epochs finished; returns the kernel's pid."""
    page.open()
    page.wait_for_status(("idle",))
    page.run_all()
    shown = page.wait_for_output(f"Epoch 3/{EPOCHS}")
    return int(re.search(r"^\s*(\d+)\s*$", shown, re.MULTILINE).group(1))


def _reopen_and_check(server, new_page, tmp_path, path, variant: str) -> None:
    reopened = NotebookPage(new_page(), server, path.name)
    reopened.open()
    reopened.wait_for_output(f"Epoch 1/{EPOCHS}", *WIDGET_ERRORS, timeout=30)
    # A widget view says "Loading widget..." until its model is looked for in the new kernel.
    reopened.page.wait_for_timeout(3000)
    screenshot = tmp_path / f"reopened_{variant}.png"
    reopened.page.screenshot(path=str(screenshot), full_page=True)
    shutil.copyfile(screenshot, SCREENSHOT_COPIES[variant])

    shown = reopened.output_text()
    page_text = reopened.page.locator("body").inner_text()
    saved = _saved_outputs(path)
    facts = f"saved outputs: {saved}\nscreenshot: {screenshot}\nthe cell shows:\n{shown}"
    shown_errors = [error for error in WIDGET_ERRORS if error in page_text]
    assert not shown_errors, f"the reopened notebook shows {shown_errors}\n{facts}"
    for epoch in (1, 2):
        finished = FINISHED_EPOCH.format(n=epoch, epochs=EPOCHS)
        assert re.search(finished, shown), f"epoch {epoch}'s finished line is not shown as text\n{facts}"


def test_restarting_the_kernel_mid_fit_leaves_the_finished_epochs(server, new_page, tmp_path):
    path = _write_notebook(server, "restart.ipynb")
    page = NotebookPage(new_page(), server, path.name)
    _start_training(page)

    page.watch_status()
    page.restart_kernel()
    page.wait_for_status_seen(NOT_RUNNING, timeout=10)
    page.wait_for_status(("idle",))
    page.save(path)

    _reopen_and_check(server, new_page, tmp_path, path, "restart")


def test_killing_the_kernel_mid_fit_leaves_the_finished_epochs(server, new_page, tmp_path):
    path = _write_notebook(server, "kill.ipynb")
    page = NotebookPage(new_page(), server, path.name)
    pid = _start_training(page)

    page.watch_status()
    os.kill(pid, signal.SIGKILL)
    # The server's restarter notices within a few seconds and starts a new kernel, which the page reconnects to.
    page.wait_for_status_seen(NOT_RUNNING, timeout=20)
    page.wait_for_status(("idle",))
    page.accept_dialogs()
    page.save(path)

    _reopen_and_check(server, new_page, tmp_path, path, "kill")
