"""Every lesson that trains gives the same histories and weights with the compiled step
(jit_compile="auto", the default) as with the eager one (jit_compile=False).

Each lesson runs in-process twice, once as written and once with every compile() forced to
jit_compile=False; every fit() records its history and the model's final weights.
"""

from pathlib import Path

import numpy as np
import pytest

from tinyfit.trainers.trainer import Trainer

LESSONS = sorted(path for path in (Path(__file__).resolve().parents[2] / "lessons").glob("*.ipynb")
                 if ".fit(" in path.read_text())


def fits_of(run, path, monkeypatch, jit_compile, replayed=None):
    """[(history, final weights)] of every fit() the lesson makes, compiled as given (None: as written).
    `replayed` (a list) gets, for each fit, whether any of its steps were replayed."""
    fits = []
    compile_, fit = Trainer.compile, Trainer.fit

    def forced_compile(self, *args, **kwargs):
        if jit_compile is not None:
            kwargs["jit_compile"] = jit_compile
        return compile_(self, *args, **kwargs)

    def recorded_fit(self, *args, **kwargs):
        history = fit(self, *args, **kwargs)
        fits.append((dict(history.history), [np.array(w) for w in self.get_weights()]))
        if replayed is not None:
            step = getattr(self, "_compiled_step", None)
            replayed.append(step is not None and "replayed" in step.describe().values())
        return history

    with monkeypatch.context() as patch:
        patch.setattr(Trainer, "compile", forced_compile)
        patch.setattr(Trainer, "fit", recorded_fit)
        run(path)
    return fits


@pytest.mark.slow
@pytest.mark.parametrize("path", LESSONS, ids=[path.stem for path in LESSONS])
def test_compiled_and_eager_training_agree(path, lesson_runner, monkeypatch):
    replayed = []
    compiled = fits_of(lesson_runner, path, monkeypatch, None, replayed)
    eager = fits_of(lesson_runner, path, monkeypatch, False)
    assert len(compiled) == len(eager) > 0
    LESSONS_REPLAYED[path.stem] = any(replayed)
    for index, ((history, weights), (eager_history, eager_weights)) in enumerate(zip(compiled, eager)):
        assert history.keys() == eager_history.keys(), f"fit #{index}"
        for name in history:
            np.testing.assert_allclose(history[name], eager_history[name], rtol=1e-5, atol=1e-6,
                                       err_msg=f"fit #{index}: {name}")
        for got, want in zip(weights, eager_weights):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"fit #{index}: weights")


LESSONS_REPLAYED: dict[str, bool] = {}


def test_the_lessons_that_train_are_found():
    assert {path.stem[:2] for path in LESSONS} >= {"00", "08", "11", "12", "15"}


@pytest.mark.slow
def test_the_comparison_saw_replayed_steps():
    # Runs after the lessons (file order): the compiled runs did replay, so the comparison compared something.
    if len(LESSONS_REPLAYED) < len(LESSONS):
        pytest.skip("the lesson comparisons did not all run in this session")
    assert sum(LESSONS_REPLAYED.values()) >= len(LESSONS) // 2, LESSONS_REPLAYED
