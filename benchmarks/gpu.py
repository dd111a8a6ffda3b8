"""tinyfit on a GPU (CuPy) against PyTorch CUDA, on the same models and shapes.

Three models, each built by the CPU benchmark that times it on NumPy:

    mlp    the Keras guide's MLP, 784-64-64-10, RMSprop, batch 64, 50,000 MNIST images  (mnist_mlp.py)
    cnn    the MNIST convnet, Conv2D 32 / 64, Adam, batch 128, 12,800 images            (cnn.py)
    lstm   Embedding(2000, 64) -> LSTM(64) -> Dense(1), Adam, batch 32, 640 sequences    (lstm_text.py)

First the check: for each model, one short fit on the GPU (4 batches, no shuffling)
from the same weights as the same fit on NumPy, whose first-batch losses must agree
(the running losses after 4 steps too, a little more loosely). A model that fails it
is not timed. Then the timing: tinyfit's fit(verbose=0) with CuPy as its backend, and
PyTorch eager on CUDA with the same layers, initializers, optimizer and batch size.
Both take the data from host memory and move one batch at a time to the GPU (as
fit() does), shuffle every epoch and tally the running loss and accuracy on the
device. Each round builds a fresh model of each contender, in a rotating order,
trains a warm-up epoch (CuPy compiles its kernels, tinyfit records its compiled
step) and times the second epoch, with the device synchronized before the clock is
read at each end, since both libraries return before the GPU has finished. The
ratios are medians of per-round ratios.

    python benchmarks/gpu.py                  # check, then 5 rounds of each model
    python benchmarks/gpu.py --check          # the check alone: does tinyfit's GPU path compute what NumPy does?
    python benchmarks/gpu.py --quick          # the check, then one round on slices: does it all run?
    python benchmarks/gpu.py --models mlp lstm --rounds 9

Where CuPy is missing or sees no GPU it says so in one line and exits 0.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable

# The script chooses each run's backend itself; an inherited TINYFIT_BACKEND=cupy would make
# `import tinyfit` raise on a machine without a GPU before the script could say so.
os.environ.pop("TINYFIT_BACKEND", None)

import cnn  # noqa: E402
import lstm_text  # noqa: E402
import mnist_mlp  # noqa: E402
from _harness import ROOT, median_ratio, run_rounds, step_mode  # noqa: E402

sys.path.insert(0, str(ROOT))  # the checkout's tinyfit, installed or not
import numpy as np  # noqa: E402

import tinyfit as keras  # noqa: E402
from tinyfit import backend  # noqa: E402

CHECK_BATCHES = 4
TITLES = {"tinyfit": "tinyfit CuPy", "torch": "PyTorch CUDA"}
TORCH_DEVICE = "cuda"


@dataclass
class Workload:
    """One model as both libraries build and train it, and its data."""

    title: str
    batch_size: int
    data: Callable[[int, int], tuple]  # (samples, seed) -> host arrays (x, y)
    samples: int
    tinyfit_model: Callable[[], Any]  # compiled, on the current backend
    torch_model: Callable[[], Any]
    torch_optimizer: Callable[[Any], Any]
    torch_loss: Callable[[Any, Any], Any]
    torch_hits: Callable[[Any, Any], Any]  # correct predictions of a batch, on the device
    torch_layout: Callable[[np.ndarray], np.ndarray] = lambda x: x


def mlp_data(samples: int, seed: int) -> tuple:
    (x, y), _, _ = mnist_mlp.load_mnist(samples, 0, 0)
    return x, y


def cnn_data(samples: int, seed: int) -> tuple:
    (x, y), _ = cnn.load_mnist(samples, 0)
    return x, y


def compiled(model, optimizer, loss, metric):
    model.compile(optimizer=optimizer, loss=loss, metrics=[metric])
    return model


def torch_workloads() -> dict[str, dict[str, Callable]]:
    """The PyTorch side of each workload (imported lazily: PyTorch is not a dependency)."""
    import torch
    import torch.nn.functional as F

    def adam(model):
        return torch.optim.Adam(model.parameters(), lr=cnn.LEARNING_RATE, eps=cnn.EPSILON)

    def class_hits(logits, y):
        return (logits.argmax(dim=1) == y).sum()

    return {
        "mlp": dict(torch_model=mnist_mlp.torch_model,
                    torch_optimizer=lambda m: torch.optim.RMSprop(m.parameters(), lr=mnist_mlp.LEARNING_RATE,
                                                                  alpha=mnist_mlp.RHO, eps=mnist_mlp.EPSILON),
                    torch_loss=lambda logits, y: F.cross_entropy(logits, y.long()),
                    torch_hits=lambda logits, y: (logits.argmax(dim=1) == y.long()).sum()),
        "cnn": dict(torch_model=cnn.torch_model, torch_optimizer=adam, torch_loss=F.cross_entropy,
                    torch_hits=class_hits, torch_layout=lambda x: x.transpose(0, 3, 1, 2).copy()),
        "lstm": dict(torch_model=lstm_text.torch_model, torch_optimizer=adam,
                     torch_loss=F.binary_cross_entropy_with_logits,
                     torch_hits=lambda logits, y: ((logits > 0) == (y > 0.5)).sum()),
    }


def workloads() -> dict[str, Workload]:
    from tinyfit.examples.mnist import get_model

    def missing(*_):
        raise RuntimeError("PyTorch is not installed")

    try:
        torch_side = torch_workloads()
    except ImportError:
        torch_side = {name: dict(torch_model=missing, torch_optimizer=missing, torch_loss=missing,
                                 torch_hits=missing) for name in ("mlp", "cnn", "lstm")}
    mlp = lambda: compiled(get_model(), keras.optimizers.RMSprop(),  # noqa: E731
                           keras.losses.SparseCategoricalCrossentropy(),
                           keras.metrics.SparseCategoricalAccuracy())
    convnet = lambda: compiled(  # noqa: E731
        cnn.tinyfit_model(), keras.optimizers.Adam(learning_rate=cnn.LEARNING_RATE, epsilon=cnn.EPSILON),
        "sparse_categorical_crossentropy", "sparse_categorical_accuracy")

    def lstm():
        model = lstm_text.tinyfit_model()
        lstm_text.compile_tinyfit(model)
        return model

    return {
        "mlp": Workload("the guide's MLP 784-64-64-10, RMSprop, batch 64", mnist_mlp.BATCH_SIZE, mlp_data,
                        50_000, mlp, **torch_side["mlp"]),
        "cnn": Workload("the MNIST convnet, Adam, batch 128", cnn.BATCH_SIZE, cnn_data, 12_800, convnet,
                        **torch_side["cnn"]),
        "lstm": Workload("Embedding-LSTM(64)-Dense text classifier, Adam, batch 32", lstm_text.BATCH_SIZE,
                         lstm_text.make_data, 640, lstm, **torch_side["lstm"]),
    }


def synchronize() -> None:
    """Waits until the GPU has done all the work queued so far."""
    import cupy

    cupy.cuda.Device().synchronize()


# ================================================================== the check
class BatchLosses(keras.callbacks.Callback):
    """The running loss fit() reports after each batch, as a float."""

    def __init__(self):
        super().__init__()
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        loss = logs["loss"]  # a float, or a 0-d tensor or array where the loop leaves logs unread
        self.losses.append(float(loss.numpy() if isinstance(loss, keras.Tensor) else backend.to_numpy(loss)))


def short_fit(work: Workload, weights: list, x, y) -> list[float]:
    model = work.tinyfit_model()
    model.set_weights(weights)
    record = BatchLosses()
    model.fit(x, y, batch_size=work.batch_size, epochs=1, shuffle=False, verbose=0, callbacks=[record])
    return record.losses


def check(work: Workload, name: str, seed: int) -> str | None:
    """One short fit on NumPy and on CuPy from the same weights; None if they agree, else what differs."""
    x, y = work.data(CHECK_BATCHES * work.batch_size, seed)
    backend.set_backend("numpy")
    keras.utils.set_random_seed(seed)
    weights = work.tinyfit_model().get_weights()
    on_cpu = short_fit(work, weights, x, y)
    backend.set_backend("cupy")
    try:
        on_gpu = short_fit(work, weights, x, y)
    finally:
        backend.set_backend("numpy")
    said = (f"{name:5} first-batch loss NumPy {on_cpu[0]:.6f}, CuPy {on_gpu[0]:.6f}; "
            f"after {len(on_cpu)} steps {on_cpu[-1]:.6f}, {on_gpu[-1]:.6f}")
    print(said, flush=True)
    if not (np.all(np.isfinite(on_gpu)) and np.isclose(on_gpu[0], on_cpu[0], rtol=1e-4, atol=1e-6)
            and np.isclose(on_gpu[-1], on_cpu[-1], rtol=1e-3, atol=1e-5)):
        return said
    return None


# ================================================================= the timing
class SynchronizedEpochTimer(keras.callbacks.Callback):
    """Each epoch's training time, the GPU synchronized at both ends."""

    def __init__(self):
        super().__init__()
        self.train = []

    def on_epoch_begin(self, epoch, logs=None):
        synchronize()
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        synchronize()
        self.train.append(time.perf_counter() - self.start)


def run_tinyfit(work: Workload, x, y, epochs: int, seed: int) -> dict:
    backend.set_backend("cupy")
    try:
        keras.utils.set_random_seed(seed)
        model = work.tinyfit_model()
        timer = SynchronizedEpochTimer()
        model.fit(x, y, batch_size=work.batch_size, epochs=epochs, callbacks=[timer], verbose=0)
    finally:
        backend.set_backend("numpy")
    return {"train_s": timer.train, "step": step_mode(model)}


def run_torch(work: Workload, x, y, epochs: int, seed: int) -> dict:
    try:
        import torch
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}
    if not torch.cuda.is_available():
        return {"skipped": f"PyTorch {torch.__version__} sees no CUDA device (a CPU-only build?)"}
    device = torch.device(TORCH_DEVICE)
    torch.manual_seed(seed)
    x, y = torch.from_numpy(work.torch_layout(x)), torch.from_numpy(y)
    model = work.torch_model().to(device)
    optimizer = work.torch_optimizer(model)
    train_s = []
    for _ in range(epochs):
        torch.cuda.synchronize()
        start = time.perf_counter()
        order = torch.randperm(len(x))
        loss_sum = torch.zeros((), device=device)
        correct = torch.zeros((), dtype=torch.long, device=device)
        for first in range(0, len(x), work.batch_size):
            pick = order[first:first + work.batch_size]
            xb, yb = x[pick].to(device), y[pick].to(device)
            optimizer.zero_grad(set_to_none=True)
            logits = model(xb)
            loss = work.torch_loss(logits, yb)
            loss.backward()
            optimizer.step()
            with torch.no_grad():
                loss_sum += loss * len(yb)
                correct += work.torch_hits(logits, yb)
        torch.cuda.synchronize()
        train_s.append(time.perf_counter() - start)
    return {"train_s": train_s, "step": "eager"}


def card() -> str:
    """The GPU's name as CuPy and PyTorch see it, with their versions."""
    import cupy

    properties = cupy.cuda.runtime.getDeviceProperties(cupy.cuda.Device().id)
    name = properties["name"]
    said = (f"GPU: {name.decode() if isinstance(name, bytes) else name} (CuPy {cupy.__version__}, "
            f"CUDA runtime {cupy.cuda.runtime.runtimeGetVersion()})")
    try:
        import torch
    except ImportError:
        return said + "; PyTorch not installed"
    if not torch.cuda.is_available():
        return said + f"; PyTorch {torch.__version__} sees no CUDA device"
    return said + f"; PyTorch {torch.__version__} (CUDA {torch.version.cuda}) sees {torch.cuda.get_device_name()}"


def time_workload(name: str, work: Workload, rounds: int, samples: int, seed: int) -> None:
    x, y = work.data(samples, seed)
    steps = -(-len(x) // work.batch_size)
    runners = {"tinyfit": run_tinyfit, "torch": run_torch}
    print(f"== {name}: {work.title}, {len(x)} samples ({steps} steps)", file=sys.stderr, flush=True)
    results = run_rounds(list(runners), rounds, 2, TITLES,
                         lambda contender: runners[contender](work, x, y, 2, seed))
    print(f"\n{name}: {work.title}; epoch 2 of {len(x)} samples, {steps} steps, median of {rounds} rounds")
    for contender, runs in results.items():
        if "skipped" in runs[0]:
            print(f"  {TITLES[contender]:13} skipped: {runs[0]['skipped']}")
            continue
        seconds = statistics.median(r["train_s"][-1] for r in runs)
        print(f"  {TITLES[contender]:13} {seconds:8.3f} s  {1000 * seconds / steps:7.3f} ms/step  "
              f"({runs[0]['step']})")
    ratio = median_ratio(results, "tinyfit", "torch")
    if ratio is not None:
        print(f"  tinyfit / PyTorch: {ratio[0]:.2f}x (best round {ratio[1]:.2f}x)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the GPU against NumPy; time nothing")
    parser.add_argument("--quick", action="store_true", help="one round on a slice of each data set")
    parser.add_argument("--models", nargs="+", choices=("mlp", "cnn", "lstm"), default=["mlp", "cnn", "lstm"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1337)
    args = parser.parse_args(argv)

    if not backend.gpu_available():
        print(f"benchmarks/gpu.py: no GPU to run on, nothing checked or timed: {backend.gpu_unavailable_reason()}")
        return 0
    print(card(), flush=True)
    chosen = {name: work for name, work in workloads().items() if name in args.models}

    print(f"Check: {CHECK_BATCHES} batches of fit() on CuPy and on NumPy from the same weights")
    failed = [said for name, work in chosen.items() if (said := check(work, name, args.seed)) is not None]
    if failed:
        print("tinyfit on the GPU does not compute what it computes on NumPy:\n  " + "\n  ".join(failed))
        return 1
    print("Check passed: CuPy and NumPy agree on every model")
    if args.check:
        return 0
    rounds = 1 if args.quick else args.rounds
    for name, work in chosen.items():
        samples = min(work.samples, 10 * work.batch_size) if args.quick else work.samples
        time_workload(name, work, rounds, samples, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
