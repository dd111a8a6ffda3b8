"""The ops added for Keras's keras.ops list give on the GPU (CuPy) what they give on the
CPU, values and gradients alike (skipped where no GPU is available)."""

import numpy as np
import pytest

from tinyfit import backend, ops
from tinyfit.autograd.tensor import Tensor

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present"),
]

RNG = np.random.default_rng(5)
IDS = np.array([1, 0, 1, -1])
CASES = {
    "prod": lambda x: ops.prod(x, axis=1), "cumsum": lambda x: ops.cumsum(x, axis=0),
    "sort": lambda x: ops.sort(x, axis=-1), "top_k": lambda x: ops.top_k(x, 2)[0],
    "take_along_axis": lambda x: ops.take_along_axis(x, np.array([[2, 0, 0]] * 4), axis=1),
    "segment_sum": lambda x: ops.segment_sum(x, IDS), "segment_max": lambda x: ops.segment_max(x, IDS),
    "norm": lambda x: ops.norm(x, ord=3, axis=1), "einsum": lambda x: ops.einsum("ij,kj->ik", x, x),
    "erf": ops.erf, "gelu": lambda x: ops.gelu(x, approximate=False), "mod": lambda x: ops.mod(x, 0.7),
    "log1p": lambda x: ops.log1p(abs(x)), "sin": ops.sin, "tile": lambda x: ops.tile(x, (2, 1)),
    "repeat": lambda x: ops.repeat(x, 2, axis=0), "roll": lambda x: ops.roll(x, 1, axis=1),
    "tril": ops.tril, "split": lambda x: ops.split(x, [1], axis=1)[1],
    "attention": lambda x: ops.dot_product_attention(*[ops.reshape(x, (1, 4, 1, 3))] * 3, is_causal=True),
    "layer_normalization": ops.layer_normalization, "normalize": ops.normalize,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_gpu_matches_cpu(name):
    data = RNG.standard_normal((4, 3)).astype("float32")
    cpu = Tensor(data, requires_grad=True)
    gpu = Tensor(backend.module_for("gpu").asarray(data), requires_grad=True)
    cpu_out, gpu_out = CASES[name](cpu), CASES[name](gpu)
    assert gpu_out.device == "gpu"
    np.testing.assert_allclose(gpu_out.numpy(), cpu_out.numpy(), rtol=1e-5, atol=1e-6)
    cpu_out.sum().backward()
    gpu_out.sum().backward()
    np.testing.assert_allclose(backend.to_numpy(gpu.grad), cpu.grad, rtol=1e-5, atol=1e-6)
