"""backend: choosing NumPy or CuPy, device moves, scatter-add, and what is said when
CuPy or a GPU is missing."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tinyfit import Tensor, backend

ROOT = Path(__file__).resolve().parents[1]
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.fixture
def restore_backend():
    previous = backend.get_backend()
    yield
    backend.set_backend(previous)


@pytest.fixture
def cupy_missing(monkeypatch):
    """Makes `import cupy` fail, as on a machine without it, and forgets any loaded CuPy."""
    monkeypatch.setitem(sys.modules, "cupy", None)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)


def run_python(code, **env):
    environment = {**os.environ, "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment, cwd=ROOT)


# ------------------------------------------------------------------- the default
def test_numpy_is_the_default():
    assert backend.get_backend() == "numpy"
    assert backend.default_device() == "cpu"
    assert backend.xp() is np
    t = Tensor([1.0])
    assert isinstance(t.data, np.ndarray) and t.device == "cpu"


def test_environment_variable_chooses_the_backend_at_import():
    done = run_python("import tinyfit; print(tinyfit.backend.get_backend())", TINYFIT_BACKEND=" NumPy ")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "numpy"


def test_unknown_backend_in_the_environment_fails_at_import_naming_it():
    done = run_python("import tinyfit", TINYFIT_BACKEND="jax")
    assert done.returncode != 0
    assert "set_backend: unknown backend 'jax'" in done.stderr


@pytest.mark.skipif(backend.gpu_available(), reason="checks the message shown where CuPy is missing")
def test_cupy_in_the_environment_without_cupy_fails_at_import_saying_how_to_install():
    done = run_python("import tinyfit", TINYFIT_BACKEND="cupy")
    assert done.returncode != 0
    assert "The 'cupy' backend is unavailable" in done.stderr


# ------------------------------------------------------------------ set_backend
@pytest.mark.parametrize("name", ["jax", "torch", "CuPy", "", "gpu"])
def test_unknown_backend_name_lists_the_choices(name, restore_backend):
    with pytest.raises(ValueError) as info:
        backend.set_backend(name)
    assert str(info.value) == f"set_backend: unknown backend {name!r}; choose one of ('numpy', 'cupy')."
    assert backend.get_backend() == "numpy"


def test_set_backend_cupy_without_cupy_says_how_to_install(cupy_missing, restore_backend):
    with pytest.raises(RuntimeError) as info:
        backend.set_backend("cupy")
    message = str(info.value)
    assert message.startswith("The 'cupy' backend is unavailable: CuPy is not installed.")
    assert 'pip install -e ".[gpu]"' in message and "gpu-cuda13" in message
    assert backend.get_backend() == "numpy"  # a failed switch leaves the backend alone
    assert not backend.gpu_available()
    assert "CuPy is not installed" in backend.gpu_unavailable_reason()


def test_tensor_to_gpu_without_cupy_gives_the_same_message(cupy_missing):
    with pytest.raises(RuntimeError, match=r"CuPy is not installed\. Install it with"):
        Tensor([1.0]).to("gpu")


def test_cupy_without_a_usable_gpu_says_so(monkeypatch, restore_backend):
    class BrokenRuntime:
        @staticmethod
        def getDeviceCount():
            raise RuntimeError("cudaErrorNoDevice: no CUDA-capable device is detected")

    class FakeCupy:
        class cuda:
            runtime = BrokenRuntime

    monkeypatch.setitem(sys.modules, "cupy", FakeCupy)
    monkeypatch.setattr(backend, "_cupy", None)
    monkeypatch.setattr(backend, "_cupy_error", None)
    with pytest.raises(RuntimeError) as info:
        backend.set_backend("cupy")
    assert "CuPy is installed but no CUDA GPU is usable (cudaErrorNoDevice" in str(info.value)
    assert not backend.gpu_available()


def test_gpu_unavailable_reason_is_empty_exactly_when_a_gpu_is_usable():
    reason = backend.gpu_unavailable_reason()
    assert (reason == "") == backend.gpu_available()


# ------------------------------------------------------------------- the helpers
def test_array_helpers_on_the_cpu():
    a = np.arange(3.0)
    assert backend.is_array(a) and not backend.is_array([1.0]) and not backend.is_array(1.0)
    assert backend.array_module(a) is np and backend.array_module([1]) is np
    assert backend.device_of(a) == "cpu"
    assert backend.module_for("cpu") is np
    assert backend.to_device(a, "cpu") is a
    assert backend.to_numpy(a) is a
    assert isinstance(backend.to_numpy([1, 2]), np.ndarray)


@pytest.mark.parametrize("call", [lambda: backend.module_for("tpu"), lambda: backend.to_device(np.ones(1), "cuda")])
def test_unknown_device_lists_the_choices(call):
    with pytest.raises(ValueError, match=r"[Uu]nknown device '(tpu|cuda)'; choose one of \('cpu', 'gpu'\)"):
        call()


def test_scatter_add_adds_once_per_repeated_index():
    target = np.zeros(4)
    backend.scatter_add(target, np.array([0, 0, 3, 0]), np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(target, [7.0, 0.0, 0.0, 3.0])
    # Plain fancy assignment would have kept only the last write: the bug this avoids.
    naive = np.zeros(4)
    naive[np.array([0, 0, 3, 0])] += np.array([1.0, 2.0, 3.0, 4.0])
    assert naive[0] == 4.0


def test_scatter_add_with_tuple_index_and_rows():
    target = np.zeros((3, 2))
    backend.scatter_add(target, (np.array([1, 1]), slice(None)), np.ones((2, 2)))
    np.testing.assert_array_equal(target, [[0, 0], [2, 2], [0, 0]])


def test_broadcast_shapes():
    assert backend.broadcast_shapes((3, 1), (4,)) == (3, 4)
    with pytest.raises(ValueError):
        backend.broadcast_shapes((3,), (4,))


# ----------------------------------------------------------------------------- GPU
@pytest.mark.gpu
@gpu
def test_gpu_set_backend_cupy_puts_new_tensors_on_the_gpu(restore_backend):
    backend.set_backend("cupy")
    assert backend.get_backend() == "cupy" and backend.default_device() == "gpu"
    cp = backend.xp()
    assert backend.module_for("gpu") is cp
    t = Tensor(np.array([1.0, 2.0]))
    assert t.device == "gpu" and isinstance(t.data, cp.ndarray) and t.dtype == np.float32
    assert Tensor([1, 2]).device == "gpu"
    backend.set_backend("numpy")
    assert Tensor([1.0]).device == "cpu"
    assert t.device == "gpu"  # existing tensors stay where they are


@pytest.mark.gpu
@gpu
def test_gpu_environment_variable_selects_cupy():
    # A child process has no stand-in of its own: where the tests use strict_cupy.py, it installs it first.
    install = ("import importlib.util as u; s = u.spec_from_file_location('strict_cupy', 'tests/strict_cupy.py'); "
               "m = u.module_from_spec(s); s.loader.exec_module(m); m.install(); ") if "strict_cupy" in sys.modules else ""
    done = run_python(
        install + "import tinyfit; print(tinyfit.backend.get_backend(), tinyfit.Tensor([1.0]).device)",
        TINYFIT_BACKEND="cupy"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["cupy", "gpu"]


@pytest.mark.gpu
@gpu
def test_gpu_device_helpers_round_trip():
    a = np.arange(6.0).reshape(2, 3)
    g = backend.to_device(a, "gpu")
    assert backend.device_of(g) == "gpu" and backend.is_array(g)
    assert backend.array_module(g) is backend.module_for("gpu")
    assert backend.to_device(g, "gpu") is g
    back = backend.to_device(g, "cpu")
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, a)
    np.testing.assert_array_equal(backend.to_numpy(g), a)


@pytest.mark.gpu
@gpu
def test_gpu_scatter_add_adds_once_per_repeated_index():
    cp = backend.module_for("gpu")
    target = cp.zeros(4)
    backend.scatter_add(target, cp.asarray([0, 0, 3, 0]), cp.asarray([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(backend.to_numpy(target), [7.0, 0.0, 0.0, 3.0])
    rows = cp.zeros((3, 2), dtype=cp.float32)
    backend.scatter_add(rows, (cp.asarray([1, 1, 2]), slice(None)), cp.ones((3, 2), dtype=cp.float32))
    np.testing.assert_array_equal(backend.to_numpy(rows), [[0, 0], [2, 2], [1, 1]])


# ****************************************************************** is_number
@pytest.mark.parametrize("value", [3, -2.5, 0, np.float32(0.1), np.int64(7), np.uint8(1), np.array(2.0), np.array(4)])
def test_is_number_accepts_one_real_number(value):
    assert backend.is_number(value)


@pytest.mark.parametrize("value", [True, False, np.bool_(True), np.array(True), None, "1", [1.0], (1,),
                                   np.array([1.0]), np.zeros((1, 1)), 1 + 2j, np.complex64(1), Tensor(1.0)])
def test_is_number_refuses_bools_collections_text_and_tensors(value):
    # Bools are decided once, here: a flag is not a number (True passed as a rate or weight is a mistake).
    assert not backend.is_number(value)


def test_one_is_number_in_the_library():
    # The same question ("is this one number?") is answered in one place; ops' weak-type
    # test (Python bool/int/float beside a tensor) is a different question with its own name.
    import importlib
    import inspect
    import pkgutil

    import tinyfit

    twins = []
    for info in pkgutil.walk_packages(tinyfit.__path__, "tinyfit."):
        module = importlib.import_module(info.name)
        for name, fn in vars(module).items():
            if name.lstrip("_") == "is_number" and inspect.isfunction(fn) and fn is not backend.is_number:
                twins.append(f"{info.name}.{name}")
    assert twins == []
