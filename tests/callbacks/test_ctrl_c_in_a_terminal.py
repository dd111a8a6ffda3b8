"""Ctrl-C during fit in a real terminal: the bar's line ends with "(stopped)" and the traceback starts below it.

The script runs in a pseudo-terminal (so tinyfit draws its live bar), gets SIGINT mid-epoch as
Ctrl-C sends it, and what it printed is replayed on a terminal emulator (pyte) to see the screen
as the student does.
"""

import os
import pty
import select
import signal
import subprocess
import sys
import time

import pytest

pyte = pytest.importorskip("pyte")

COLUMNS = 80
SCRIPT = """
import time
import numpy as np
import tinyfit as keras

model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
model.compile(optimizer="adam", loss="mse", metrics=["mean_absolute_error"])
x = np.random.default_rng(0).normal(size=(4000, 4)).astype("float32")
slow = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: time.sleep(0.005))
print("training", flush=True)
model.fit(x, x[:, :1], batch_size=8, epochs=5, validation_split=0.2, callbacks=[slow])
"""


def read_until(fd, predicate, timeout):
    text, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline and not predicate(text):
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            text += chunk
    return text


@pytest.mark.slow
def test_ctrl_c_ends_the_bar_with_stopped_and_the_traceback_starts_on_a_row_of_its_own():
    parent, child = pty.openpty()
    env = dict(os.environ, COLUMNS=str(COLUMNS), LINES="24", TERM="xterm")
    for name in ("CI", "TINYFIT_PROGRESS"):
        env.pop(name, None)  # with CI set, tinyfit would not draw a live bar
    process = subprocess.Popen([sys.executable, "-c", SCRIPT], stdin=child, stdout=child, stderr=child, env=env,
                               close_fds=True)
    os.close(child)
    try:
        # Wait for the second epoch's bar to be under way, then press Ctrl-C.
        text = read_until(parent, lambda t: b"Epoch 2/5" in t and t.rsplit(b"Epoch 2/5", 1)[1].count(b"\r") > 3, 60)
        assert b"Epoch 2/5" in text, text.decode(errors="replace")
        process.send_signal(signal.SIGINT)
        text += read_until(parent, lambda t: b"KeyboardInterrupt" in t, 30)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
        os.close(parent)
    screen = pyte.Screen(COLUMNS, 200)
    pyte.Stream(screen).feed(text.decode("utf-8", errors="replace").replace("\n", "\r\n"))
    rows = [row.rstrip() for row in screen.display]
    stopped = [i for i, row in enumerate(rows) if row.endswith("(stopped)")]
    assert len(stopped) == 1, "\n".join(rows[:40])
    # The bar's text ends with "(stopped)"; the first thing after it, on the next row, at column 0, is the traceback.
    after = [row for row in rows[stopped[0] + 1:] if row]
    assert after and after[0].startswith("Traceback (most recent call last):"), "\n".join(rows[:40])
    assert after[-1] == "KeyboardInterrupt"
    # Epoch 1 finished whole: its line names every figure in full, wrapped if it must be.
    first = rows[rows.index("Epoch 1/5") + 1:rows.index("Epoch 2/5")]
    for name in ("loss:", "mean_absolute_error:", "val_loss:", "val_mean_absolute_error:"):
        assert any(name in row for row in first), (name, first)
    assert all(len(row) <= COLUMNS for row in rows)
