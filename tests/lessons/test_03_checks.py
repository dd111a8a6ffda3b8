"""Lesson 03's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions; each check is then called with answers a
student might write. Without a GPU, the lesson's GPU cells must say they were skipped
and compare nothing.
"""

import re
from pathlib import Path

import nbformat
import numpy
import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "03_backends.ipynb"


def test_without_a_gpu_the_gpu_cells_say_skipped_and_print_no_figure(ns):
    if ns["GPU"]:
        pytest.skip("this machine has a GPU: the GPU cells compare for real")
    outputs = {}
    for index, cell in enumerate(nbformat.read(NOTEBOOK, as_version=4).cells):
        if cell.cell_type == "code" and re.search(r"^if (not )?GPU:", cell.source, re.M):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            outputs[f"cell {index}"] = text
    assert len(outputs) >= 7
    for first_line, text in outputs.items():
        assert "skipped: no GPU here" in text, first_line
        assert "agree" not in text.replace("CPU and GPU gradients: skipped", ""), first_line


def test_the_transfer_counts_are_measured(ns):
    moves = ns["moves"]
    assert moves["handed to .to()"] == 5 * 1024 * (20 + 1) * 4
    assert moves["copied across"] == (moves["handed to .to()"] if ns["DEVICE"] == "gpu" else 0)
    assert moves["parameters kept their arrays"] is True


@pytest.mark.parametrize("check", ["check_standardize", "check_bytes_per_epoch", "check_mean_loss"])
def test_a_check_waits_for_an_answer(ns, check, capsys):
    ns[check](None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def standardize(", "def bytes_per_epoch(", "def mean_loss("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)
    assert "correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _with_numpy(a):
    return (a - np.mean(a, axis=0)) / np.std(a, axis=0)


def _with_numpy_by_its_full_name(a):
    return (a - numpy.mean(a, axis=0)) / numpy.std(a, axis=0)


def _through_numpy_arrays(a):
    values = np.asarray(a)
    return (values - values.mean(axis=0)) / values.std(axis=0)


def _sample_std(a):
    return (a - a.mean(axis=0)) / a.std(axis=0, ddof=1)


def _row_statistics(a):
    return (a - a.mean(axis=1, keepdims=True)) / a.std(axis=1, keepdims=True)


@pytest.mark.parametrize("mistake", [_with_numpy, _with_numpy_by_its_full_name, _through_numpy_arrays, _sample_std,
                                     _row_statistics],
                         ids=["np.mean", "numpy.mean", "np.asarray", "sample std", "row statistics"])
def test_standardize_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_standardize"](mistake)


def test_standardize_check_names_the_numpy_call(ns):
    with pytest.raises(AssertionError, match="np.mean was called on an array from another device"):
        ns["check_standardize"](_with_numpy_by_its_full_name)


def test_standardize_check_accepts_the_array_module_with_any_argument_name(ns, capsys):
    backend = ns["backend"]

    def standardize(inp):
        xp = backend.array_module(inp)
        centred = inp - xp.mean(inp, axis=0, keepdims=True)
        return centred / xp.sqrt(xp.mean(centred**2, axis=0))

    ns["check_standardize"](standardize)
    assert "correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _size(dtype):
    return np.dtype(dtype).itemsize


WRONG_BYTES = {
    "one batch only": lambda n, f, batch, x, y: batch * (f * _size(x) + _size(y)),
    "labels forgotten": lambda n, f, batch, x, y: n * f * _size(x),
    "the last partial batch dropped": lambda n, f, batch, x, y: n // batch * batch * (f * _size(x) + _size(y)),
    "parameters counted each batch": lambda n, f, batch, x, y: n * (f * _size(x) + _size(y))
    + -(-n // batch) * (f + 1) * 4,
    "the label counted as float32": lambda n, f, batch, x, y: n * (f + 1) * _size(x),
}


@pytest.mark.parametrize("mistake", list(WRONG_BYTES))
def test_bytes_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_bytes_per_epoch"](WRONG_BYTES[mistake])


def test_bytes_check_accepts_a_batch_by_batch_count(ns, capsys):
    def bytes_per_epoch(n_samples, n_features, batch_size, x_dtype, y_dtype):
        total = 0
        for start in range(0, n_samples, batch_size):
            rows = min(batch_size, n_samples - start)
            total += rows * n_features * np.dtype(x_dtype).itemsize + rows * np.dtype(y_dtype).itemsize
        return total

    ns["check_bytes_per_epoch"](bytes_per_epoch)
    out = capsys.readouterr().out
    assert "correct" in out and "once per epoch" not in out


# ------------------------------------------------------------ exercise 3
def _float_each(losses):
    return sum(float(loss) for loss in losses) / len(losses)


def _numpy_each(losses):
    return float(np.mean([loss.numpy() for loss in losses]))


def _numpy_on_the_data(losses):  # NumPy gathers the device arrays itself: one read each
    return float(np.mean([loss.data for loss in losses]))


def _a_tensor_back(losses):
    total = losses[0]
    for loss in losses[1:]:
        total = total + loss
    return total / len(losses)


def _sum_not_mean(losses):
    return float(sum(losses))


@pytest.mark.parametrize("mistake", [_float_each, _numpy_each, _numpy_on_the_data, _a_tensor_back, _sum_not_mean],
                         ids=["float each", "numpy each", "numpy on the data", "a tensor back", "sum not mean"])
def test_mean_loss_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_mean_loss"](mistake)


@pytest.mark.parametrize("form", ["sum then float", "stack then item", "data then float", "to_numpy once"])
def test_mean_loss_check_accepts_one_copy_solutions(ns, form, capsys):
    ops = ns["tinyfit"].ops
    backend = ns["backend"]
    right = {
        "sum then float": lambda losses: float(sum(losses)) / len(losses),
        "stack then item": lambda losses: ops.mean(ops.stack(losses)).item(),
        "data then float": lambda losses: float(sum(loss.data for loss in losses)) / len(losses),
        "to_numpy once": lambda losses: float(backend.to_numpy(ops.stack(losses).data).mean()),
    }[form]
    ns["check_mean_loss"](right)
    assert "correct" in capsys.readouterr().out
