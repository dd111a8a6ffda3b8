"""The Keras guide's MNIST data and first model, shared by the tests that run the guide.

The guide ("Training & evaluation with the built-in methods") prepares MNIST once and
defines `get_uncompiled_model` / `get_compiled_model` once, then uses them section
after section; the guide tests (test_guide_training.py, test_guide_data.py) and the
functional-model tests do the same through the fixtures below. The code between the
`# --- guide` markers is the guide's, with `import tinyfit as keras`.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


# The GPU: real CuPy where a GPU is usable; elsewhere (CI) a strict stand-in with CuPy's rules, backed by
# NumPy (strict_cupy.py), installed as `cupy` before tinyfit is imported, so that every test of a device
# code path runs everywhere. `import strict_cupy` in a test gives the stand-in (None on a real GPU).
def _real_gpu() -> bool:
    try:
        import cupy

        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:  # not installed, or no usable GPU
        return False


REAL_GPU = _real_gpu()
if not REAL_GPU:
    _spec = importlib.util.spec_from_file_location("strict_cupy", Path(__file__).with_name("strict_cupy.py"))
    STRICT_CUPY = importlib.util.module_from_spec(_spec)
    sys.modules["strict_cupy"] = STRICT_CUPY
    _spec.loader.exec_module(STRICT_CUPY)
    STRICT_CUPY.install()
else:
    STRICT_CUPY = None


@pytest.fixture
def strict_cupy():
    """The strict CuPy stand-in (its transfer counts and rules); skipped on a real GPU."""
    if STRICT_CUPY is None:
        pytest.skip("a real GPU is in use: the stand-in's checks do not apply")
    return STRICT_CUPY


import tinyfit as keras  # noqa: E402  (after the device is settled)
from tinyfit import layers
from tinyfit.utils import registry as registry_module


@pytest.fixture(scope="module")
def guide_mnist():
    """(x_train, y_train, x_val, y_val, x_test, y_test): the guide's arrays, 50,000 / 10,000 / 10,000."""
    # --- guide
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()

    # Preprocess the data (these are NumPy arrays)
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_test = x_test.reshape(10000, 784).astype("float32") / 255

    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")

    # Reserve 10,000 samples for validation
    x_val = x_train[-10000:]
    y_val = y_train[-10000:]
    x_train = x_train[:-10000]
    y_train = y_train[:-10000]
    # --- end of guide
    return x_train, y_train, x_val, y_val, x_test, y_test


# --- guide
def get_uncompiled_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    return model


def get_compiled_model():
    model = get_uncompiled_model()
    model.compile(
        optimizer="rmsprop",
        loss="sparse_categorical_crossentropy",
        metrics=["sparse_categorical_accuracy"],
    )
    return model
# --- end of guide


@pytest.fixture(name="get_uncompiled_model")
def get_uncompiled_model_fixture():
    """The guide's `get_uncompiled_model`: a fresh 784-64-64-10 functional model at each call."""
    return get_uncompiled_model


@pytest.fixture(name="get_compiled_model")
def get_compiled_model_fixture():
    """The guide's `get_compiled_model`: the same model compiled with rmsprop and sparse cross-entropy."""
    return get_compiled_model


@pytest.fixture
def clean_custom_registry():
    """Names registered with register_keras_serializable inside a test are forgotten after it."""
    before = dict(registry_module.CUSTOM_OBJECTS)
    yield
    registry_module.CUSTOM_OBJECTS.clear()
    registry_module.CUSTOM_OBJECTS.update(before)


# Real Keras 3 is the independent reference of many tests. Imported into this process, its NumPy
# backend runs convolutions through JAX, whose threads make any later fork unsafe (a forked
# worker can deadlock, and JAX warns so). So the tests that take the `keras3` fixture run after
# every other test, the lessons included, and tests/data/conftest.py checks that Keras is not
# loaded when a test there forks workers.
@pytest.fixture(scope="session")
def keras3():
    """Real Keras 3 on its NumPy backend; skipped where it is not installed."""
    if "keras" not in sys.modules:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KERAS_BACKEND", "numpy")  # read once, when keras is imported
            pytest.importorskip("keras", reason="Keras 3 is the reference here; it is not installed")
    reference = sys.modules["keras"]
    if reference.backend.backend() != "numpy":
        pytest.skip(f"Keras was imported with the {reference.backend.backend()} backend; the reference needs numpy")
    return reference


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: "keras3" in getattr(item, "fixturenames", ()))  # stable: others keep their order


@pytest.fixture(scope="session")
def keras_in_subprocess():
    """run(script, test_file): the JSON a script prints last, run by real Keras 3 in a child process.

    The script gets the test file's folder as sys.argv[1] (to import the test module's cases) and
    must print "keras imported" once `import keras` has worked; before that, the test is skipped
    with Keras's own error; after it, any failure fails the test.
    """
    def run(script, test_file):
        child = subprocess.run([sys.executable, "-c", script, os.path.dirname(test_file)], capture_output=True,
                               text=True, env=dict(os.environ, KERAS_BACKEND="numpy"), timeout=300)
        if "keras imported" not in child.stdout:
            last = (child.stderr.strip().splitlines() or ["no output"])[-1]
            pytest.skip(f"Keras 3 with its numpy backend cannot be imported here: {last}")
        assert child.returncode == 0, child.stderr[-3000:]
        return json.loads(child.stdout.strip().splitlines()[-1])
    return run


_KERAS_IMPORTS = []  # one answer per session: can a child process import Keras 3 here?


@pytest.fixture
def run_keras():
    """run(folder, code): runs `code` in real Keras 3 (NumPy backend) in a child process started in
    `folder`, after `import numpy as np, keras`; returns what it printed. Skips where Keras is absent."""
    if not _KERAS_IMPORTS:
        probe = subprocess.run([sys.executable, "-c", "import keras"], capture_output=True,
                               env=dict(os.environ, KERAS_BACKEND="numpy"))
        _KERAS_IMPORTS.append(probe.returncode == 0)
    if not _KERAS_IMPORTS[0]:
        pytest.skip("real Keras 3 is not installed (pip install -e '.[dev]')")

    def run(folder, code):
        env = dict(os.environ, KERAS_BACKEND="numpy", TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
        script = "import numpy as np, keras\n" + textwrap.dedent(code)
        done = subprocess.run([sys.executable, "-c", script], cwd=folder, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout
    return run
