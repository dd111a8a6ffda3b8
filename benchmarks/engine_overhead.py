"""How much does tinyfit's autograd cost over the same step written by hand?

One training step of the Keras guide's MLP (784-64-64-10: relu, relu, then a
softmax cross-entropy on integer labels; batch 64; float32) is run two ways:

    tinyfit   the forward pass on `tinyfit.Tensor`, then `loss.backward()`
    by hand   the same forward in plain array code, and the backward derived
              on paper: every weight and bias gradient, nothing more (neither
              side computes the gradient of the input batch)

Both do the same arithmetic, so the difference is the engine's bookkeeping:
Tensor wrappers, Function objects, the topological sort, dict lookups. The two
are timed in one run, alternating, so they share the machine's state; the
median per-step time of each is reported, with the ratio tinyfit / by hand.

    python benchmarks/engine_overhead.py                  # NumPy on the CPU
    python benchmarks/engine_overhead.py --backend cupy   # CuPy on a GPU
    python benchmarks/engine_overhead.py --profile        # where tinyfit's time goes
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

# One BLAS/OpenMP thread for both sides, set before NumPy loads, unless the caller set
# the variables: on a shared two-core machine, thread contention swamps a 0.2 ms step.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _variable in THREAD_VARIABLES:
    os.environ.setdefault(_variable, "1")

import numpy  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout, uninstalled

import tinyfit  # noqa: E402
from tinyfit import Tensor, backend  # noqa: E402

GOAL = 1.3  # tinyfit may take at most this many times the hand-written step
SIZES = (784, 64, 64, 10)
BATCH = 64


# ----------------------------------------------------------------- the problem
def make_problem(seed: int = 0) -> tuple[list[numpy.ndarray], numpy.ndarray, numpy.ndarray]:
    """Glorot-uniform weights, zero biases, one batch of inputs and labels (NumPy)."""
    rng = numpy.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = numpy.sqrt(6.0 / (fan_in + fan_out))
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(numpy.float32))
        params.append(numpy.zeros(fan_out, dtype=numpy.float32))
    x = rng.random((BATCH, SIZES[0]), dtype=numpy.float32)
    y = rng.integers(0, SIZES[-1], BATCH).astype(numpy.int64)
    return params, x, y


# -------------------------------------------------------------------- by hand
def hand_step(xp: Any, params: list, x: Any, y: Any) -> tuple[Any, list]:
    """Forward, softmax cross-entropy and the hand-derived backward; returns (loss, grads)."""
    w1, b1, w2, b2, w3, b3 = params
    n = x.shape[0]
    rows = xp.arange(n)

    z1 = x @ w1 + b1
    h1 = xp.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = xp.maximum(z2, 0)
    logits = h2 @ w3 + b3

    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = xp.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = (xp.log(total[:, 0]) - shifted[rows, y]).mean()

    # d(mean xent)/d(logits) = (softmax - one_hot) / n
    g = exp / total
    g[rows, y] -= 1
    g /= n
    gw3, gb3 = h2.T @ g, g.sum(axis=0)
    g = (g @ w3.T) * (z2 > 0)
    gw2, gb2 = h1.T @ g, g.sum(axis=0)
    g = (g @ w2.T) * (z1 > 0)
    gw1, gb1 = x.T @ g, g.sum(axis=0)
    return loss, [gw1, gb1, gw2, gb2, gw3, gb3]


# --------------------------------------------------------------------- tinyfit
def pick_cross_entropy() -> tuple[str, Callable[[Tensor, Tensor], Tensor]]:
    """The cheapest mean sparse cross-entropy from logits that this tinyfit offers."""
    ops = getattr(tinyfit, "ops", None)
    if ops is None:
        try:
            from tinyfit import ops  # type: ignore[no-redef]
        except ImportError:
            ops = None
    fused = getattr(ops, "sparse_categorical_crossentropy", None)
    if fused is not None:
        return ("ops.sparse_categorical_crossentropy(from_logits=True) (fused)",
                lambda y, logits: fused(y, logits, from_logits=True).mean())

    log_softmax = getattr(ops, "log_softmax", None)
    if log_softmax is not None:
        name = "ops.log_softmax + indexing (no fused op found)"
    else:
        from tinyfit.autograd.ops.reduce import logsumexp

        def log_softmax(z, axis=-1):
            return z - logsumexp(z, axis=axis, keepdims=True)

        name = "logits - logsumexp + indexing (tinyfit.ops not available yet)"

    def xent(y: Tensor, logits: Tensor) -> Tensor:
        rows = backend.array_module(logits.data).arange(logits.shape[0])
        return -log_softmax(logits, axis=-1)[rows, y.data].mean()

    return name, xent


def tinyfit_step(params: list[Tensor], x: Any, y: Any, xent: Callable) -> tuple[Tensor, list]:
    """The same step on tinyfit Tensors; the batch is wrapped as a training loop would."""
    for p in params:
        p.grad = None
    w1, b1, w2, b2, w3, b3 = params
    xb, yb = Tensor(x), Tensor(y)
    h = (xb @ w1 + b1).relu()
    h = (h @ w2 + b2).relu()
    loss = xent(yb, h @ w3 + b3)
    loss.backward()
    return loss, [p.grad for p in params]


# ----------------------------------------------------------------------- timing
def time_steps(step: Callable[[], Any], steps: int, sync: Callable[[], None]) -> float:
    """Seconds per step over `steps` calls, the device drained at both ends."""
    sync()
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    return (time.perf_counter() - start) / steps


def format_time(seconds: float) -> str:
    return f"{seconds * 1e6:8.1f} us" if seconds < 1e-3 else f"{seconds * 1e3:8.3f} ms"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=("numpy", "cupy"), default="numpy")
    parser.add_argument("--steps", type=int, default=200, help="steps per timed round (default 200)")
    parser.add_argument("--rounds", type=int, default=7, help="timed rounds of each (default 7)")
    parser.add_argument("--warmup", type=int, default=50, help="untimed steps of each first (default 50)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the tinyfit step with cProfile and print the top entries")
    args = parser.parse_args(argv)

    if args.backend == "cupy":
        if not backend.gpu_available():
            print(f"Skipped: no GPU here ({backend.gpu_unavailable_reason()})")
            return 0
        backend.set_backend("cupy")
        import cupy as xp

        def sync() -> None:
            xp.cuda.get_current_stream().synchronize()
    else:
        xp = numpy

        def sync() -> None:
            pass

    host_params, host_x, host_y = make_problem()
    params = [xp.asarray(p) for p in host_params]
    x, y = xp.asarray(host_x), xp.asarray(host_y)
    tensors = [Tensor(p, requires_grad=True) for p in params]
    xent_name, xent = pick_cross_entropy()

    # Same gradients first: a fast engine that computes something else is no result.
    hand_loss, hand_grads = hand_step(xp, params, x, y)
    tiny_loss, tiny_grads = tinyfit_step(tensors, x, y, xent)
    numpy.testing.assert_allclose(float(tiny_loss.item()), float(hand_loss), rtol=1e-5)
    names = ("W1", "b1", "W2", "b2", "W3", "b3")
    for name, got, want in zip(names, tiny_grads, hand_grads):
        assert got is not None, f"tinyfit produced no gradient for {name}"
        numpy.testing.assert_allclose(backend.to_numpy(got), backend.to_numpy(want),
                                      rtol=1e-4, atol=1e-6, err_msg=f"gradient of {name}")

    def run_hand() -> None:
        hand_step(xp, params, x, y)

    def run_tiny() -> None:
        tinyfit_step(tensors, x, y, xent)

    for _ in range(args.warmup):
        run_hand()
        run_tiny()
    hand_times, tiny_times = [], []
    for r in range(args.rounds):
        # Alternate which goes first, so neither always runs on a warmer cache.
        pair = [(run_hand, hand_times), (run_tiny, tiny_times)]
        for step, times in (pair if r % 2 == 0 else pair[::-1]):
            times.append(time_steps(step, args.steps, sync))

    hand, tiny = statistics.median(hand_times), statistics.median(tiny_times)
    ratio, best_ratio = tiny / hand, min(tiny_times) / min(hand_times)
    device = "GPU (CuPy)" if args.backend == "cupy" else "CPU (NumPy)"
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, on {device}: "
          "one forward+backward step")
    print(f"cross-entropy: {xent_name}")
    print(f"{args.rounds} rounds x {args.steps} steps of each, alternating; gradients equal (allclose)")
    print("threads: " + ", ".join(f"{v}={os.environ[v]}" for v in THREAD_VARIABLES) + " for both sides"
          + (f"; machine load average {os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else ""))
    print()
    print(f"{'per step':16}{'median':>12}{'best round':>14}")
    print(f"{'by hand':16}{format_time(hand):>12}{format_time(min(hand_times)):>14}")
    print(f"{'tinyfit':16}{format_time(tiny):>12}{format_time(min(tiny_times)):>14}")
    print(f"{'tinyfit/by hand':16}{ratio:>10.2f} x{best_ratio:>12.2f} x")
    print(f"goal: median ratio <= {GOAL}x: {'met' if ratio <= GOAL else 'NOT met'} "
          f"(tinyfit adds {format_time(tiny - hand).strip()} per step)")

    if args.profile:
        print("\ncProfile of the tinyfit step (top 20 by own time):")
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(args.steps * 5):
            run_tiny()
        profiler.disable()
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
