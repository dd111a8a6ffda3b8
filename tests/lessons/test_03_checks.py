"""Lesson 03's exercise checks reject typical wrong answers and accept right ones written differently.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write. Without a GPU, the lesson's GPU cells must say they were
skipped and compare nothing.
"""

import re
import threading
from pathlib import Path

import nbformat
import numpy
import numpy as np
import pytest
from tinyfit.backend import to_numpy as imported_to_numpy

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "03_backends.ipynb"


def test_without_a_gpu_the_gpu_cells_say_skipped_and_print_no_figure():
    # The saved notebook was run where there is no GPU: its GPU cells say so.
    outputs = {}
    for index, cell in enumerate(nbformat.read(NOTEBOOK, as_version=4).cells):
        if cell.cell_type == "code" and re.search(r"^if (not )?GPU:", cell.source, re.M):
            text = "".join(o.get("text", "") for o in cell.outputs if o.get("output_type") == "stream")
            outputs[f"cell {index}"] = text
    assert len(outputs) >= 7
    for first_line, text in outputs.items():
        assert "skipped: no GPU here" in text, first_line
        assert "agree" not in text.replace("CPU and GPU gradients: skipped", ""), first_line


def test_the_gpu_cells_run_on_the_device_here(ns):
    # In this namespace the GPU cells run: on a real GPU, or on the strict CuPy stand-in (tests/strict_cupy.py).
    from tinyfit import backend

    assert ns["GPU"] == backend.gpu_available() and ns["DEVICE"] == ("gpu" if ns["GPU"] else "cpu")
    if ns["GPU"]:
        assert backend.device_of(ns["on_gpu"]) == "gpu"


def test_the_transfer_counts_are_measured(ns):
    moves = ns["moves"]
    assert moves["handed to .to()"] == 5 * 1024 * (20 + 1) * 4
    assert moves["copied across"] == (moves["handed to .to()"] if ns["DEVICE"] == "gpu" else 0)
    assert moves["parameters kept their arrays"] is True


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_standardize", "check_bytes_per_epoch", "check_mean_loss"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


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


def _whole_array_statistics(a):
    return (a - a.mean()) / a.std()


def _in_place(a):
    a -= a.mean(axis=0)
    a /= a.std(axis=0)
    return a


def _in_float64(a):
    centred = a.astype("float64") - a.mean(axis=0)
    return centred / a.std(axis=0)


def _divided_by_the_variance(a):
    return (a - a.mean(axis=0)) / a.var(axis=0)


def _mean_not_subtracted(a):
    return a / a.std(axis=0)


def _transposed(a):
    return ((a - a.mean(axis=0)) / a.std(axis=0)).T


def _to_the_cpu_and_back(ns):
    backend = ns["backend"]

    def standardize(a):
        values = backend.to_numpy(a)
        return (values - values.mean(axis=0)) / values.std(axis=0)

    return standardize


def _through_a_python_list(ns):
    backend = ns["backend"]

    def standardize(a):  # copies to the CPU, computes there with NumPy, copies back to a's device
        values = np.array(a.tolist(), dtype=a.dtype)
        return backend.array_module(a).asarray((values - values.mean(axis=0)) / values.std(axis=0))

    return standardize


def _a_float_per_column(ns):
    backend = ns["backend"]

    def standardize(a):  # float() of each column's statistics: a copy back and a wait per column on a GPU
        columns = [a[:, j] for j in range(a.shape[1])]
        return backend.array_module(a).stack([(c - float(c.mean())) / float(c.std()) for c in columns], axis=1)

    return standardize


STANDARDIZE_MISTAKES = {
    "np.mean": _with_numpy, "numpy.mean": _with_numpy_by_its_full_name, "np.asarray": _through_numpy_arrays,
    "sample std": _sample_std, "row statistics": _row_statistics, "whole-array statistics": _whole_array_statistics,
    "in place": _in_place, "float64 result": _in_float64, "variance": _divided_by_the_variance,
    "mean not subtracted": _mean_not_subtracted, "transposed": _transposed,
}


@pytest.mark.parametrize("mistake", list(STANDARDIZE_MISTAKES) + ["to the CPU and back"])
def test_standardize_check_rejects(ns, mistake):
    wrong = _to_the_cpu_and_back(ns) if mistake == "to the CPU and back" else STANDARDIZE_MISTAKES[mistake]
    with pytest.raises(AssertionError):
        ns["check_standardize"](wrong)


@pytest.mark.parametrize("mistake", [_through_a_python_list, _a_float_per_column])
def test_standardize_check_rejects_copies_back_to_python(ns, mistake):
    with pytest.raises(AssertionError, match="copied the values back into Python"):
        ns["check_standardize"](mistake(ns))


def test_standardize_check_leaves_the_pretend_device_as_it_was(ns):
    before = dict(vars(ns["PretendDeviceArray"]))
    with pytest.raises(AssertionError):
        ns["check_standardize"](_through_a_python_list(ns))
    assert dict(vars(ns["PretendDeviceArray"])) == before


@pytest.mark.parametrize("mistake, message", [("numpy.mean", "np.mean was called on an array from another device"),
                                              ("in place", "changed the array it was given"),
                                              ("float64 result", "keep the dtype"),
                                              # a square case keeps its shape: then the columns' axis is named
                                              ("transposed", r"shape|the columns are axis 0")])
def test_standardize_check_names_the_mistake(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_standardize"](STANDARDIZE_MISTAKES[mistake])


def test_standardize_check_accepts_the_array_module_with_any_argument_name(ns, capsys):
    backend = ns["backend"]

    def standardize(inp):
        xp = backend.array_module(inp)
        centred = inp - xp.mean(inp, axis=0, keepdims=True)
        return centred / xp.sqrt(xp.mean(centred**2, axis=0))

    ns["check_standardize"](standardize)
    assert "correct" in capsys.readouterr().out


def test_standardize_check_accepts_float64_arithmetic_cast_back(ns, capsys):
    def standardize(a):
        wide = a.astype("float64")
        return ((wide - wide.mean(axis=0)) / wide.std(axis=0)).astype(a.dtype)

    ns["check_standardize"](standardize)
    assert "correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _size(dtype):
    return np.dtype(dtype).itemsize


def _from_tinyfit_in_a_thread(ns):
    Tensor = ns["Tensor"]

    def bytes_per_epoch(n, f, batch, x, y):
        box = {}

        def work():
            box["x"] = Tensor(np.zeros((1, f), dtype=x)).data.nbytes

        worker = threading.Thread(target=work)
        worker.start()
        worker.join()
        return n * (box["x"] + _size(y))

    return bytes_per_epoch


WRONG_BYTES = {
    "one batch only": lambda n, f, batch, x, y: batch * (f * _size(x) + _size(y)),
    "labels forgotten": lambda n, f, batch, x, y: n * f * _size(x),
    "the last partial batch dropped": lambda n, f, batch, x, y: n // batch * batch * (f * _size(x) + _size(y)),
    "every batch counted as full": lambda n, f, batch, x, y: -(-n // batch) * batch * (f * _size(x) + _size(y)),
    "parameters counted each batch": lambda n, f, batch, x, y: n * (f * _size(x) + _size(y))
    + -(-n // batch) * (f + 1) * 4,
    "the label counted in the images' dtype": lambda n, f, batch, x, y: n * (f + 1) * _size(x),
    "the two dtypes swapped": lambda n, f, batch, x, y: n * (f * _size(y) + _size(x)),
    "images always float32": lambda n, f, batch, x, y: n * (f * 4 + _size(y)),
    "labels always int64": lambda n, f, batch, x, y: n * (f * _size(x) + 8),
    "bits, not bytes": lambda n, f, batch, x, y: 8 * n * (f * _size(x) + _size(y)),
    "the lesson's MNIST number": lambda n, f, batch, x, y: 188_640_000,
    "a float from a division": lambda n, f, batch, x, y: n * (f * _size(x) + _size(y)) / 1.0000001,
    "nothing returned": lambda n, f, batch, x, y: None,
}


@pytest.mark.parametrize("mistake", list(WRONG_BYTES) + ["tinyfit in a thread"])
def test_bytes_check_rejects(ns, mistake):
    wrong = _from_tinyfit_in_a_thread(ns) if mistake == "tinyfit in a thread" else WRONG_BYTES[mistake]
    with pytest.raises(AssertionError):
        ns["check_bytes_per_epoch"](wrong)


def test_bytes_check_names_tinyfit_from_a_thread(ns):
    with pytest.raises(AssertionError, match=r"called tinyfit .*from thread"):
        ns["check_bytes_per_epoch"](_from_tinyfit_in_a_thread(ns))


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


def test_bytes_check_accepts_nbytes_of_empty_arrays(ns, capsys):
    def bytes_per_epoch(n_samples, n_features, batch_size, x_dtype, y_dtype):
        return np.empty((n_samples, n_features), x_dtype).nbytes + np.empty(n_samples, y_dtype).nbytes

    ns["check_bytes_per_epoch"](bytes_per_epoch)
    assert "correct" in capsys.readouterr().out


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


def _one_too_few(losses):
    return float(sum(losses)) / (len(losses) - 1) if len(losses) > 1 else float(losses[0])


def _first_loss_skipped(losses):
    total = losses[1]
    for loss in losses[2:]:
        total = total + loss
    return float(total) / len(losses)


def _into_the_first_loss(losses):
    total = losses[0]
    for loss in losses[1:]:
        total.data += loss.data  # writes into the caller's first loss
    return float(total) / len(losses)


def _a_numpy_float32(losses):
    return np.float32(float(sum(losses))) / np.float32(len(losses))


def _the_last_loss(losses):
    return float(losses[-1])


def _to_numpy_imported_under_another_name(losses):
    # imported_to_numpy was bound when this file was imported, before the check runs: its calls are copies too
    return float(sum(imported_to_numpy(loss.data) for loss in losses)) / len(losses)


def _each_read_in_its_own_thread(losses):
    values = [0.0] * len(losses)

    def read(i):
        values[i] = float(losses[i])

    threads = [threading.Thread(target=read, args=(i,)) for i in range(len(losses))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(values) / len(values)


def _kept_by_length():
    kept = {}

    def mean_loss(losses):  # remembers the answer for a list of the same length
        if len(losses) not in kept:
            kept[len(losses)] = float(sum(losses)) / len(losses)
        return kept[len(losses)]

    return mean_loss


MEAN_LOSS_MISTAKES = {
    "to_numpy under another name": _to_numpy_imported_under_another_name,
    "a thread per read": _each_read_in_its_own_thread,
    "float each": _float_each, "numpy each": _numpy_each, "numpy on the data": _numpy_on_the_data,
    "a tensor back": _a_tensor_back, "sum not mean": _sum_not_mean, "one too few": _one_too_few,
    "first loss skipped": _first_loss_skipped, "into the first loss": _into_the_first_loss,
    "a numpy float32": _a_numpy_float32, "the last loss": _the_last_loss,
}


@pytest.mark.parametrize("mistake", list(MEAN_LOSS_MISTAKES))
def test_mean_loss_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_mean_loss"](MEAN_LOSS_MISTAKES[mistake])


def test_mean_loss_check_rejects_an_answer_kept_between_calls(ns):
    with pytest.raises(AssertionError, match="not the mean"):
        ns["check_mean_loss"](_kept_by_length())


def test_mean_loss_check_accepts_a_numpy_float64(ns, capsys):  # a subclass of float
    ns["check_mean_loss"](lambda losses: np.float64(float(sum(losses))) / len(losses))
    assert "correct" in capsys.readouterr().out


@pytest.mark.parametrize("mistake, message", [("float each", "copied back"),
                                              ("into the first loss", "changed the loss tensors"),
                                              ("a numpy float32", "Python float"),
                                              ("to_numpy under another name", "copied back"),
                                              ("a thread per read", "copied back")])
def test_mean_loss_check_names_the_mistake(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_mean_loss"](MEAN_LOSS_MISTAKES[mistake])


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


@pytest.mark.parametrize("mistake", ["one batch only", "the lesson's MNIST number", "a float from a division",
                                     "nothing returned"])
def test_the_released_bytes_check_teaches_without_the_formula(ns, released_check, mistake, capsys):
    source, check = released_check("ex2_bytes_per_epoch_check", "check_bytes_per_epoch")
    assert "per_sample" not in source and "n_samples *" not in source and "nbytes" not in source
    with pytest.raises(AssertionError):
        check(WRONG_BYTES[mistake])
    check(lambda n, f, batch, x, y: n * (f * _size(x) + _size(y)))
    assert "Exercise 2: correct" in capsys.readouterr().out
