"""Lesson 13's exercise checks reject typical wrong answers and accept the reference solutions.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write. The hand-built progress bars are tested as a user would drive them.
"""

import os
from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "13_watching_training.ipynb"


def test_the_lesson_ran_and_its_runs_show_their_problems(ns):
    histories = ns["histories"]
    over, under, high = histories["overfitting"], histories["underfitting"], histories["learning rate too high"]
    assert over["loss"][-1] < 0.1 and np.argmin(over["val_loss"]) < len(over["val_loss"]) - 5
    assert over["val_loss"][-1] > min(over["val_loss"])
    assert under["loss"][-1] > 1.0 and np.all(np.diff(under["loss"]) < 0)
    assert high["loss"][0] > 5 and high["val_accuracy"][-1] < 0.3
    # TensorBoard's files, read back with EventAccumulator, hold the History's numbers.
    np.testing.assert_allclose(ns["train_loss"], ns["tb_history"]["loss"], rtol=1e-5)
    np.testing.assert_allclose(ns["val_loss"], ns["tb_history"]["val_loss"], rtol=1e-5)
    assert sorted(os.listdir(ns["log_dir"])) == ["train", "validation"]


def test_outside_a_kernel_the_live_plot_went_to_the_temporary_file(ns):
    assert not ns["IN_KERNEL"]
    assert os.path.isfile(ns["live_file"]) and os.path.dirname(ns["live_file"]) == ns["scratch"].name


def test_outside_a_kernel_the_demos_draw_no_bar_and_do_not_wait(ns):
    assert ns["SHOW_BAR"] is False and ns["PAUSE"] == 0.0 and ns["watch"] == []


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_diagnose", "check_should_stop", "check_best_epoch"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("name", ["diagnose", "should_stop", "best_epoch"])
def test_the_reference_solutions_pass(run_solution, name, capsys):
    run_solution(f"def {name}(")  # then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ the hand-built bars
def test_text_bar_keeps_its_length_and_fills(ns):
    text_bar = ns["text_bar"]
    lines = [text_bar(step, 137, width=30) for step in range(138)]
    assert len({len(line) for line in lines}) == 1
    assert lines[0].endswith("[" + "." * 30 + "]") and lines[-1].endswith("[" + "=" * 30 + "]")
    assert lines[70].startswith(" 70/137 [") and ">" in lines[70]


class _Handle:
    def __init__(self, shown):
        self.shown = [shown]

    def update(self, obj):
        self.shown.append(obj)


def test_widget_bar_redraws_at_most_every_interval_and_ends_static(ns, monkeypatch):
    handles = []

    def display(obj, display_id=False):
        assert display_id is True, "the bar must be shown through a display handle"
        handles.append(_Handle(obj))
        return handles[-1]

    monkeypatch.setitem(ns, "display", display)
    clock = iter(np.arange(0, 10, 0.01))  # a step every 10 ms
    monkeypatch.setitem(ns, "time", type("Clock", (), {"monotonic": staticmethod(lambda: float(next(clock)))}))
    bar = ns["WidgetBar"](total=100, min_interval=0.1)
    for step in range(1, 101):
        bar.update(step, f"loss: {1 / step:.4f}")
    assert len(handles) == 1  # one display, never a new one
    assert 9 <= bar.redraws <= 12  # 1 s of steps at 10 redraws a second, plus the last step
    assert bar.bar.value == 100 and bar.count.value == "100/100" and bar.metrics.value == "loss: 0.0100"
    bar.close("<pre>Epoch 1/1 - loss: 0.0100</pre>")
    (shown, final) = handles[0].shown
    assert shown is bar.box
    assert type(final).__name__ == "HTML" and "Epoch 1/1" in final.data
    assert all(widget.comm is None for widget in (bar.box, bar.bar, bar.count, bar.metrics))  # closed


def test_train_with_bar_leaves_a_static_summary_even_when_interrupted(ns, monkeypatch):
    handles = []
    monkeypatch.setitem(ns, "SHOW_BAR", True)
    monkeypatch.setitem(ns, "display", lambda obj, display_id=False: handles.append(_Handle(obj)) or handles[-1])
    model = ns["make_mlp"](4)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    calls = []
    real_step = model.train_on_batch

    def step_then_interrupt(x, y):
        calls.append(1)
        if len(calls) == 25:  # in the second epoch
            raise KeyboardInterrupt
        return real_step(x, y)

    monkeypatch.setattr(model, "train_on_batch", step_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        ns["train_with_bar"](model, epochs=3)
    (handle,) = handles
    final = handle.shown[-1]
    assert type(final).__name__ == "HTML" and "Epoch 1/3 - loss:" in final.data and "Epoch 2/3" not in final.data


def _saved_outputs(marker):
    import nbformat

    (cell,) = [c for c in nbformat.read(NOTEBOOK, as_version=4).cells if c.cell_type == "code" and marker in c.source]
    return cell.outputs


def test_the_saved_widget_demo_is_one_static_summary(ns):
    # Saved from a live kernel: the widget's one display was replaced by HTML listing every epoch.
    (output,) = _saved_outputs("summary = train_with_bar(")
    assert output.output_type == "display_data" and set(output.data) == {"text/html", "text/plain"}
    assert all(f"Epoch {epoch}/3 - loss:" in output.data["text/html"] for epoch in (1, 2, 3))


def test_the_saved_live_plot_is_one_image(ns):
    (output,) = _saved_outputs("callbacks=[live]")
    assert "image/png" in output.data


# ------------------------------------------------------------ exercise 1
def _too_high_if_it_ends_high(history):
    loss = np.array(history["loss"])
    if loss[-1] > 1.5:
        return "learning rate too high"
    return "overfitting" if history["val_loss"][-1] > history["val_loss"][0] * 0.5 else "underfitting"


def _gap_means_overfitting(history):
    loss, val = np.array(history["loss"]), np.array(history["val_loss"])
    if not np.all(np.isfinite(loss)) or np.any(np.diff(loss) > 0.05):
        return "learning rate too high"
    return "overfitting" if val[-1] > loss[-1] else "underfitting"


def _rising_from_the_start(history):
    loss, val = np.array(history["loss"]), np.array(history["val_loss"])
    if not loss[-1] < loss[0]:  # misses the huge first epoch, and nan compares False
        return "learning rate too high"
    return "overfitting" if np.argmin(val) < len(val) - 3 else "underfitting"


def _swapped(history):
    loss, val = np.array(history["loss"]), np.array(history["val_loss"])
    if not np.all(np.isfinite(loss)) or np.any(np.diff(loss) > 0.05):
        return "learning rate too high"
    return "underfitting" if np.argmin(val) < len(val) - 3 else "overfitting"


def _first_two_metrics(history):  # takes the History's first two lists for loss and val_loss
    loss, val = (np.array(values) for values in list(history.values())[:2])
    if not np.all(np.isfinite(loss)) or np.any(np.diff(loss) > 0.05):
        return "learning rate too high"
    if np.argmin(val) < len(val) - 3 and val[-1] > 1.05 * val.min():
        return "overfitting"
    return "underfitting"


def _sorts_the_losses(history):  # sorts the caller's lists in place, then reads them
    loss, val = history["loss"], history["val_loss"]
    unsorted = not np.all(np.isfinite(loss)) or np.any(np.diff(loss) > 0.05)
    low = int(np.argmin(val))
    val.sort()
    if unsorted:
        return "learning rate too high"
    return "overfitting" if low < len(val) - 3 and history["val_loss"][-1] > 0 else "underfitting"


def _lesson_runs_by_name(history):  # looks the lesson's runs up by their first value
    for name, h in LESSON_HISTORIES.items():
        if history["loss"][0] == h["loss"][0]:
            return name
    return "underfitting"


def _nan_unseen(history):  # the right rule for jumps, but never looks for nan (nan compares as False)
    loss, val = np.array(history["loss"]), np.array(history["val_loss"])
    if np.any(np.diff(loss) > 0.05):
        return "learning rate too high"
    if np.argmin(val) < len(val) - 3 and val[-1] > 1.05 * val.min():
        return "overfitting"
    return "underfitting"


def _overfitting_when_training_loss_ends_near_zero(history):
    loss = np.array(history["loss"])
    if not np.all(np.isfinite(loss)) or np.any(np.diff(loss) > 0.05):
        return "learning rate too high"
    return "overfitting" if loss[-1] < 0.3 else "underfitting"


LESSON_HISTORIES = {}

WRONG_DIAGNOSES = {
    "always overfitting": lambda history: "overfitting",
    "reads the History's first two lists": _first_two_metrics,
    "sorts the caller's val_loss": _sorts_the_losses,
    "the lesson's runs looked up": _lesson_runs_by_name,
    "too high whenever the loss ends high": _too_high_if_it_ends_high,
    "any gap between validation and training is overfitting": _gap_means_overfitting,
    "a rising loss compared from the first epoch only": _rising_from_the_start,
    "overfitting and underfitting swapped": _swapped,
    "a misspelled diagnosis": lambda history: "over-fitting",
    "nan never looked for": _nan_unseen,
    "overfitting only when the training loss ends near 0": _overfitting_when_training_loss_ends_near_zero,
}


@pytest.mark.parametrize("mistake", list(WRONG_DIAGNOSES))
def test_diagnose_check_rejects(ns, mistake):
    LESSON_HISTORIES.update(ns["histories"])
    with pytest.raises(AssertionError):
        ns["check_diagnose"](WRONG_DIAGNOSES[mistake])


def test_diagnose_check_names_the_choices_for_an_unknown_answer(ns):
    with pytest.raises(AssertionError, match="'over-fitting'.*underfitting.*overfitting.*learning rate too high"):
        ns["check_diagnose"](lambda history: "over-fitting")


# ------------------------------------------------------------ exercise 2
def _stop(previous_not_best=False, strict=False, ignore_delta=False, improvement_if_equal=False):
    def should_stop(val_losses, patience, min_delta=0.0):
        best, reference, wait = float("inf"), float("inf"), 0
        delta = 0.0 if ignore_delta else min_delta
        for value in val_losses:
            improved = value <= reference - delta if improvement_if_equal else value < reference - delta
            if improved:
                best, wait = min(best, value), 0
            else:
                wait += 1
            reference = value if previous_not_best else (value if improved else reference)
        return wait > patience if strict else wait >= patience

    return should_stop


def _sorts_the_list(val_losses, patience, min_delta=0.0):  # the right rule, after sorting the caller's list
    decision = _stop()(list(val_losses), patience, min_delta)
    val_losses.sort()
    return decision


def _difference_with_the_first(val_losses, patience, min_delta=0.0):  # the best is the first epoch's
    waiting = sum(1 for value in val_losses[1:] if not value < val_losses[0] - min_delta)
    return waiting >= patience


def _best_of_the_epochs_before_the_last_patience(val_losses, patience, min_delta=0.0):
    # No improvement in the last `patience` epochs over the best before them: misses that small gains,
    # none an improvement alone, move no best in EarlyStopping.
    if len(val_losses) <= patience:
        return False
    return min(val_losses[-patience:]) >= min(val_losses[:-patience]) - min_delta


WRONG_STOPS = {
    "sorts the caller's list": _sorts_the_list,
    "compared with the first epoch only": _difference_with_the_first,
    "a numpy comparison returned as 0/1": lambda losses, patience, min_delta=0.0: int(
        _stop()(losses, patience, min_delta)),
    "waiting one epoch too long": _stop(strict=True),
    "compared with the epoch before, not the best": _stop(previous_not_best=True),
    "min_delta ignored": _stop(ignore_delta=True),
    "an equal loss counted as an improvement": _stop(improvement_if_equal=True),
    "the last patience epochs against the best before them": _best_of_the_epochs_before_the_last_patience,
    "stops when the last loss went up": lambda losses, patience, min_delta=0.0: len(losses) > 1
    and losses[-1] > losses[-2],
}


@pytest.mark.parametrize("mistake", list(WRONG_STOPS))
def test_should_stop_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_should_stop"](WRONG_STOPS[mistake])


def test_should_stop_check_rejects_a_count_instead_of_a_decision(ns):
    def how_long(val_losses, patience, min_delta=0.0):
        return len(val_losses) - 1 - int(np.argmin(val_losses))

    with pytest.raises(AssertionError, match="return True or False"):
        ns["check_should_stop"](how_long)


def test_should_stop_check_rejects_asking_the_library(ns):
    EarlyStopping = ns["keras"].callbacks.EarlyStopping

    def from_library(val_losses, patience, min_delta=0.0):
        stopper = EarlyStopping(patience=patience, min_delta=min_delta)
        stopper.set_model(type("Model", (), {"stop_training": False})())
        stopper.on_train_begin()
        for epoch, value in enumerate(val_losses):
            stopper.model.stop_training = False  # the decision after the last epoch only
            stopper.on_epoch_end(epoch, {"val_loss": value})
        return stopper.model.stop_training

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_should_stop"](from_library)


def test_should_stop_check_accepts_another_correct_form(ns, capsys):
    def should_stop(val_losses, patience, min_delta=0.0):
        best_index = 0
        for index, value in enumerate(val_losses):
            if value < val_losses[best_index] - min_delta:
                best_index = index
        return len(val_losses) - 1 - best_index >= patience

    ns["check_should_stop"](should_stop)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _best(values, lowest):
    return int(np.argmin(values) if lowest else np.argmax(values))


WRONG_BEST_EPOCHS = {
    "counted from 0": lambda history, monitor: _best(history[monitor], "loss" in monitor),
    "always the lowest": lambda history, monitor: _best(history[monitor], True) + 1,
    "always val_loss": lambda history, monitor: _best(history["val_loss"], True) + 1,
    "the later of two equal values": lambda history, monitor: len(history[monitor]) - _best(
        history[monitor][::-1], "loss" in monitor),
    "a float": lambda history, monitor: float(_best(history[monitor], "loss" in monitor) + 1),
    "only 'loss' and 'val_loss' are losses": lambda history, monitor: _best(
        history[monitor], monitor in ("loss", "val_loss")) + 1,
    "highest only for names with 'accuracy'": lambda history, monitor: _best(
        history[monitor], "accuracy" not in monitor) + 1,
    "the first metric of the History": lambda history, monitor: _best(
        next(iter(history.values())), "loss" in monitor) + 1,
    "a bool for the first epoch": lambda history, monitor: True if _best(
        history[monitor], "loss" in monitor) == 0 else _best(history[monitor], "loss" in monitor) + 1,
}


def _sorts_the_history(history, monitor):
    best = _best(history[monitor], "loss" in monitor) + 1
    history[monitor].sort()
    return best


WRONG_BEST_EPOCHS["sorts the caller's list"] = _sorts_the_history


@pytest.mark.parametrize("mistake", list(WRONG_BEST_EPOCHS))
def test_best_epoch_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_best_epoch"](WRONG_BEST_EPOCHS[mistake])


def test_best_epoch_check_accepts_a_loop(ns, capsys):
    def best_epoch(history, monitor):
        values = history[monitor]
        best = 0
        for index, value in enumerate(values):
            if (value < values[best]) if "loss" in monitor else (value > values[best]):
                best = index
        return best + 1

    ns["check_best_epoch"](best_epoch)
    assert "Well done" in capsys.readouterr().out


def test_should_stop_check_accepts_the_difference_written_the_other_way(ns, capsys):
    def should_stop(val_losses, patience, min_delta=0.0):
        best, since = None, 0
        for value in val_losses:
            if best is None or best - value > min_delta:
                best, since = value, 0
            else:
                since += 1
        return bool(since >= patience)

    ns["check_should_stop"](should_stop)
    assert "Well done" in capsys.readouterr().out


def test_diagnose_check_accepts_another_rule(ns, capsys):
    def diagnose(history):
        loss = history["loss"]
        if any(not np.isfinite(v) for v in loss) or any(b - a > 0.1 for a, b in zip(loss, loss[1:])):
            return "learning rate too high"
        val = history["val_loss"]
        best = val.index(min(val))
        return "overfitting" if best < 0.8 * len(val) and val[-1] - min(val) > 0.05 else "underfitting"

    ns["check_diagnose"](diagnose)
    assert "Well done" in capsys.readouterr().out


def test_best_epoch_check_accepts_numpy_with_a_name_test(ns, capsys):
    def best_epoch(history, monitor):
        values = np.asarray(history[monitor], dtype=np.float32)
        sign = 1 if monitor.endswith("loss") else -1
        return int(np.flatnonzero(sign * values == (sign * values).min())[0]) + 1

    ns["check_best_epoch"](best_epoch)
    assert "Well done" in capsys.readouterr().out


def test_best_epoch_check_accepts_a_stable_reverse_sort(ns, capsys):
    def best_epoch(history, monitor):
        values = history[monitor]
        order = sorted(range(len(values)), key=lambda i: values[i], reverse="loss" not in monitor)
        return order[0] + 1  # sorted is stable, reverse too: the earlier of equal values comes first

    ns["check_best_epoch"](best_epoch)
    assert "Well done" in capsys.readouterr().out
