"""LivePlot in a real Jupyter kernel (nbclient): the cell ends with one image, updated in place."""

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

MIN_INTERVAL = 0.5

SETUP_CELL = """
import numpy as np
import tinyfit as keras
from tinyfit import layers

rng = np.random.default_rng(0)
x = rng.normal(size=(512, 4)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("int64")
model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"), layers.Dense(2, activation="softmax")])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
"""
FIT_CELL = f"""
import time
started = time.monotonic()
history = model.fit(x, y, epochs=8, batch_size=32, validation_split=0.25, verbose=0,
                    callbacks=[keras.callbacks.LivePlot(every_n_batches=2, min_interval={MIN_INTERVAL})])
fit_seconds = time.monotonic() - started
"""


class CountingClient(nbclient.NotebookClient):
    """Counts the kernel's display messages as they arrive (the notebook keeps only their result)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.message_types = []

    def process_message(self, msg, cell, cell_index):
        self.message_types.append(msg["msg_type"])
        return super().process_message(msg, cell, cell_index)


@pytest.mark.slow
def test_the_fit_cell_ends_with_one_png_updated_in_place_at_a_bounded_rate(tmp_path):
    cells = [nbformat.v4.new_code_cell(source) for source in (SETUP_CELL, FIT_CELL, "print(fit_seconds)")]
    notebook = nbformat.v4.new_notebook(cells=cells)
    client = CountingClient(notebook, timeout=240, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    elapsed = float(notebook.cells[2].outputs[0].text)

    assert notebook.cells[0].outputs == []
    outputs = notebook.cells[1].outputs
    assert [output.output_type for output in outputs] == ["display_data"]
    assert "image/png" in outputs[0].data
    assert client.message_types.count("display_data") == 1
    assert "clear_output" not in client.message_types
    updates = client.message_types.count("update_display_data")
    assert updates >= 1  # 8 epochs: at least the last state was drawn after the first
    assert 1 + updates <= elapsed / MIN_INTERVAL + 2  # throttled: at most one drawing per MIN_INTERVAL, plus the last
    assert not (tmp_path / "live_plot.png").exists()  # a notebook shows the plot; it writes no file
