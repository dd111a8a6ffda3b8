"""On the GPU: the same seed gives the same numbers as on the CPU, and results stay on the device."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import Tensor, backend

gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")
pytestmark = [pytest.mark.gpu, gpu]


@pytest.fixture
def on_gpu():
    previous = backend.get_backend()
    backend.set_backend("cupy")
    yield
    backend.set_backend(previous)


@pytest.mark.parametrize("name, args", [("normal", ()), ("uniform", ()), ("truncated_normal", ()),
                                        ("randint", (0, 9)), ("gamma", (2.0,))])
def test_draws_are_made_on_the_gpu_with_the_cpu_s_numbers(on_gpu, name, args):
    on_device = getattr(keras.random, name)((3, 4), *args, seed=5)
    assert on_device.device == "gpu"
    backend.set_backend("numpy")
    np.testing.assert_array_equal(on_device.numpy(), getattr(keras.random, name)((3, 4), *args, seed=5).numpy())


def test_a_seed_generator_advances_on_the_gpu_and_keeps_its_state_on_the_host(on_gpu):
    gen = keras.random.SeedGenerator(3)
    a, b = keras.random.normal((4,), seed=gen), keras.random.normal((4,), seed=gen)
    assert a.device == "gpu" and not np.array_equal(a.numpy(), b.numpy())
    assert isinstance(gen.state.data, np.ndarray)
    np.testing.assert_array_equal(gen.state.numpy(), [3, 2])


def test_dropout_shuffle_categorical_on_a_gpu_tensor(on_gpu):
    x = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    assert x.device == "gpu"
    y = keras.random.dropout(x, 0.5, seed=1)
    y.sum().backward()
    assert y.device == "gpu"
    np.testing.assert_allclose(backend.to_numpy(x.grad), (y.numpy() != 0) * 2.0)
    s = keras.random.shuffle(x, seed=2)
    assert s.device == "gpu" and sorted(s.numpy()[:, 0]) == [0.0, 3.0, 6.0, 9.0]
    c = keras.random.categorical(Tensor(np.zeros((2, 5))), 7, seed=3)
    assert c.device == "gpu" and c.shape == (2, 7)
    backend.set_backend("numpy")
    np.testing.assert_array_equal(c.numpy(), keras.random.categorical(np.zeros((2, 5)), 7, seed=3).numpy())
