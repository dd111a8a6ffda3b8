"""The Keras guide's first example, trained three ways: tinyfit, NumPy by hand, PyTorch eager.

The model is the guide's MLP (784-64-64-10: relu, relu, softmax; sparse
categorical cross-entropy), trained with RMSprop (learning rate 1e-3, rho 0.9,
epsilon 1e-7) at batch size 64 for 2 epochs on the first 50,000 MNIST training
images, validated after each epoch on the last 10,000, then tested on the
10,000 test images. Each contender does that work its own way:

    tinyfit        the guide's code: keras.Model(...), compile(RMSprop, ...), fit(...), evaluate(...)
    NumPy by hand  the same maths on plain arrays, the backward pass derived on paper,
                   RMSprop written out (Keras's formula: epsilon inside the square root)
    PyTorch eager  nn.Sequential, F.cross_entropy on the logits, torch.optim.RMSprop(alpha=0.9,
                   eps=1e-7) (PyTorch adds epsilon outside the square root), when torch imports

All start from Glorot-uniform weights and zero biases, shuffle every epoch, and
track the running loss and accuracy of each batch as fit() does; none prints
progress (tinyfit runs with verbose=0), so no contender times its printing. The figure
that matters is the second epoch's training time (the first pays for warm-up);
validation is timed apart. Each run happens in its own process, so its peak
memory (ru_maxrss) is its own; runs take turns, round after round, in a
rotating order, and the ratios are medians of per-round ratios, so a busy
neighbour slows every contender alike.

Two configurations run one after the other: "default", with no thread
setting at all, as a student runs it (tinyfit chooses its BLAS threads, NumPy
by hand and PyTorch use their libraries' own counts), and "pinned", BLAS,
OpenMP and PyTorch threads set to one for every contender (--threads picks one
configuration only).

    python benchmarks/mnist_mlp.py                    # 5 rounds of each, a few minutes
    python benchmarks/mnist_mlp.py --quick            # a small slice, one round: does it all run?
    python benchmarks/mnist_mlp.py --rounds 9 --threads 2
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time

from _harness import (ROOT, Column, describe_threads, launch, median_of, median_ratio, page_faults, print_table,
                      run_configurations, timing_columns, torch_epoch, torch_threads, versions)

GOAL_VS_NUMPY = 1.2  # tinyfit may take at most this many times the hand-written NumPy epoch
GOAL_VS_TORCH = 0.5  # ... and at most half of PyTorch eager's
GOAL_ACCURACY = 0.95
CONTENDERS = ("tinyfit", "numpy", "torch")
TITLES = {"tinyfit": "tinyfit", "numpy": "NumPy by hand", "torch": "PyTorch eager"}

LEARNING_RATE, RHO, EPSILON = 1e-3, 0.9, 1e-7  # Keras 3's RMSprop defaults
BATCH_SIZE, TEST_BATCH_SIZE = 64, 128  # as in the guide


# ===================================================================== one run
def load_mnist(train_samples: int | None, val_samples: int, test_samples: int | None):
    """The guide's preprocessing: flat float32 pixels in [0, 1], float32 labels, the last 10k kept for validation."""
    sys.path.insert(0, str(ROOT))  # the checkout's tinyfit, installed or not
    from tinyfit.examples.mnist import load_data

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data(train_samples)
    return ((x_train, y_train), (x_val[-val_samples:], y_val[-val_samples:]),
            (x_test[:test_samples], y_test[:test_samples]))


def run_tinyfit(data, epochs: int, seed: int) -> dict:
    import tinyfit as keras
    from tinyfit.examples.mnist import get_model

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data

    class EpochTimer(keras.callbacks.Callback):
        """Training time of each epoch (first batch to last), and its validation time apart."""

        def __init__(self):
            super().__init__()
            self.train, self.val, self.faults = [], [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.start_faults = time.perf_counter(), page_faults()

        def on_train_batch_end(self, batch, logs=None):
            self.last = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            self.train.append(self.last - self.start)
            self.faults.append(page_faults() - self.start_faults)  # validation's few included
            self.val.append(time.perf_counter() - self.last)

    keras.utils.set_random_seed(seed)
    model = get_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    timer = EpochTimer()
    rss_before = start_memory_window()
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs,
                        validation_data=(x_val, y_val), callbacks=[timer], verbose=0)
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=TEST_BATCH_SIZE, verbose=0)
    return {"train_s": timer.train, "val_s": timer.val, "faults": timer.faults, "rss_before_mb": rss_before,
            "steps": -(-len(x_train) // BATCH_SIZE),
            "train_accuracy": history.history["sparse_categorical_accuracy"][-1],
            "val_accuracy": history.history["val_sparse_categorical_accuracy"][-1],
            "test_accuracy": float(test_accuracy), "version": keras.__version__}


def glorot_uniform(rng, fan_in: int, fan_out: int):
    import numpy as np

    limit = np.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32)


def numpy_init(seed: int) -> list:
    import numpy as np

    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in ((784, 64), (64, 64), (64, 10)):
        params += [glorot_uniform(rng, fan_in, fan_out), np.zeros(fan_out, dtype=np.float32)]
    return params


def numpy_logits(params: list, x):
    import numpy as np

    w1, b1, w2, b2, w3, b3 = params
    h1 = np.maximum(x @ w1 + b1, 0)
    h2 = np.maximum(h1 @ w2 + b2, 0)
    return h2 @ w3 + b3


def numpy_gradients(params: list, x, labels) -> tuple:
    """Forward and the backward derived on paper: (per-sample losses, logits, one gradient per parameter)."""
    import numpy as np

    w1, b1, w2, b2, w3, b3 = params
    n = len(labels)
    rows = np.arange(n)
    z1 = x @ w1 + b1
    h1 = np.maximum(z1, 0)
    z2 = h1 @ w2 + b2
    h2 = np.maximum(z2, 0)
    logits = h2 @ w3 + b3
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    losses = np.log(total[:, 0]) - shifted[rows, labels]

    g = exp / total  # d(mean cross-entropy)/d(logits) = (softmax - one_hot) / n
    g[rows, labels] -= 1
    g /= n
    gw3, gb3 = h2.T @ g, g.sum(axis=0)
    g = (g @ w3.T) * (z2 > 0)
    gw2, gb2 = h1.T @ g, g.sum(axis=0)
    g = (g @ w2.T) * (z1 > 0)
    gw1, gb1 = x.T @ g, g.sum(axis=0)
    return losses, logits, [gw1, gb1, gw2, gb2, gw3, gb3]


def numpy_train_step(params: list, velocities: list, x, labels) -> tuple[float, int]:
    """One RMSprop step on one batch; returns (summed loss, correct predictions) of the batch."""
    import numpy as np

    losses, logits, grads = numpy_gradients(params, x, labels)
    for p, grad, v in zip(params, grads, velocities):
        v *= RHO
        v += (1 - RHO) * grad * grad
        p -= LEARNING_RATE * grad / np.sqrt(v + EPSILON)
    return float(losses.sum()), int((logits.argmax(axis=1) == labels).sum())


def numpy_evaluate(params: list, x, y, batch_size: int) -> float:
    correct = 0
    for start in range(0, len(x), batch_size):
        logits = numpy_logits(params, x[start:start + batch_size])
        correct += int((logits.argmax(axis=1) == y[start:start + batch_size]).sum())
    return correct / len(x)


def run_numpy(data, epochs: int, seed: int) -> dict:
    import numpy as np

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    y_train, y_val, y_test = (y.astype(np.int64) for y in (y_train, y_val, y_test))
    params = numpy_init(seed)
    velocities = [np.zeros_like(p) for p in params]
    rng = np.random.default_rng(seed + 1)
    rss_before = start_memory_window()
    train_s, val_s, faults = [], [], []
    for _ in range(epochs):
        start, start_faults = time.perf_counter(), page_faults()
        order = rng.permutation(len(x_train))
        loss_sum, correct = 0.0, 0
        for first in range(0, len(x_train), BATCH_SIZE):
            pick = order[first:first + BATCH_SIZE]
            batch_loss, batch_correct = numpy_train_step(params, velocities, x_train[pick], y_train[pick])
            loss_sum += batch_loss
            correct += batch_correct
        done, done_faults = time.perf_counter(), page_faults()
        train_accuracy = correct / len(x_train)
        val_accuracy = numpy_evaluate(params, x_val, y_val, BATCH_SIZE)
        train_s.append(done - start)
        faults.append(done_faults - start_faults)
        val_s.append(time.perf_counter() - done)
    return {"train_s": train_s, "val_s": val_s, "faults": faults, "rss_before_mb": rss_before,
            "steps": -(-len(x_train) // BATCH_SIZE), "train_accuracy": train_accuracy,
            "val_accuracy": val_accuracy, "test_accuracy": numpy_evaluate(params, x_test, y_test, TEST_BATCH_SIZE),
            "version": np.__version__}


def torch_model(params: list | None = None):
    """The guide's MLP in PyTorch; Glorot-uniform weights (or copies of `params`), zero biases."""
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(784, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    linears = [m for m in model if isinstance(m, nn.Linear)]
    with torch.no_grad():
        for i, layer in enumerate(linears):
            if params is None:
                nn.init.xavier_uniform_(layer.weight)
                nn.init.zeros_(layer.bias)
            else:  # PyTorch keeps weights as (out, in), Keras and NumPy as (in, out)
                layer.weight.copy_(torch.from_numpy(params[2 * i].T.copy()))
                layer.bias.copy_(torch.from_numpy(params[2 * i + 1]))
    return model


def run_torch(data, epochs: int, seed: int) -> dict:
    try:
        import torch
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}

    (x_train, y_train), (x_val, y_val), (x_test, y_test) = data
    torch_threads()
    torch.manual_seed(seed)
    x_train, x_val, x_test = (torch.from_numpy(x) for x in (x_train, x_val, x_test))
    y_train, y_val, y_test = (torch.from_numpy(y).long() for y in (y_train, y_val, y_test))
    model = torch_model()
    optimizer = torch.optim.RMSprop(model.parameters(), lr=LEARNING_RATE, alpha=RHO, eps=EPSILON)

    def evaluate(x, y, batch_size):
        correct = 0
        with torch.no_grad():
            for start in range(0, len(x), batch_size):
                logits = model(x[start:start + batch_size])
                correct += int((logits.argmax(dim=1) == y[start:start + batch_size]).sum())
        return correct / len(x)

    rss_before = start_memory_window()
    train_s, val_s, faults = [], [], []
    for _ in range(epochs):
        start, start_faults = time.perf_counter(), page_faults()
        _, correct = torch_epoch(model, optimizer, x_train, y_train, BATCH_SIZE)
        done, done_faults = time.perf_counter(), page_faults()
        train_accuracy = int(correct) / len(x_train)
        val_accuracy = evaluate(x_val, y_val, BATCH_SIZE)
        train_s.append(done - start)
        faults.append(done_faults - start_faults)
        val_s.append(time.perf_counter() - done)
    return {"train_s": train_s, "val_s": val_s, "faults": faults, "rss_before_mb": rss_before,
            "steps": -(-len(x_train) // BATCH_SIZE), "train_accuracy": train_accuracy,
            "val_accuracy": val_accuracy, "test_accuracy": evaluate(x_test, y_test, TEST_BATCH_SIZE),
            "version": torch.__version__}


def start_memory_window() -> float:
    """Resets the peak-RSS mark, so that loading the data does not count; returns the RSS now, in MB.

    Linux resets the mark (VmHWM) when 5 is written to /proc/self/clear_refs.
    Elsewhere the mark since process start (ru_maxrss) is all there is.
    """
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return _proc_status_mb("VmRSS")
    except OSError:
        return peak_rss_mb()


def peak_rss_mb() -> float:
    """The peak resident memory of this process since the window started, in MB."""
    try:
        return _proc_status_mb("VmHWM")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
        return peak / 2**20 if sys.platform == "darwin" else peak / 2**10


def _proc_status_mb(field: str) -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**10  # reported in kB
    raise OSError(f"no {field} in /proc/self/status")


def run_one(name: str, args: argparse.Namespace) -> dict:
    data = load_mnist(args.train_samples, args.val_samples, args.test_samples)
    runner = {"tinyfit": run_tinyfit, "numpy": run_numpy, "torch": run_torch}[name]
    result = runner(data, args.epochs, args.seed)
    result["peak_rss_mb"] = peak_rss_mb()
    return result


# ============================================================ the same maths?
def check_same_maths(seed: int) -> str:
    """A few steps from the same weights on the same batches: tinyfit and NumPy by hand agree.

    PyTorch is checked on the first batch's loss and gradients only: its RMSprop
    puts epsilon outside the square root, so its updates differ slightly by design.
    """
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import tinyfit as keras
    from tinyfit.examples.mnist import get_model

    rng = np.random.default_rng(seed)
    batches = [(rng.random((BATCH_SIZE, 784), dtype=np.float32), rng.integers(0, 10, BATCH_SIZE))
               for _ in range(3)]
    params = numpy_init(seed)
    model = get_model()
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    model.set_weights(params)
    hand = [p.copy() for p in params]
    velocities = [np.zeros_like(p) for p in params]
    for x, y in batches:
        loss, _ = model.train_on_batch(x, y.astype(np.float32))
        hand_loss, _ = numpy_train_step(hand, velocities, x, y)
        np.testing.assert_allclose(loss, hand_loss / BATCH_SIZE, rtol=1e-5)
    for got, want in zip(model.get_weights(), hand):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    said = "tinyfit and NumPy by hand: equal losses and weights after 3 steps"

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return said
    net = torch_model(params)
    x, y = batches[0]
    loss = F.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    losses, _, grads = numpy_gradients(params, x, y)
    np.testing.assert_allclose(loss.item(), losses.mean(), rtol=1e-5)
    torch_grads = [g for m in net[::2] for g in (m.weight.grad.numpy().T, m.bias.grad.numpy())]
    for got, want in zip(torch_grads, grads):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-6)
    return said + "; PyTorch: equal loss and gradients on the first batch"


# ================================================================ the parent
def launch_one(name: str, args: argparse.Namespace) -> dict:
    options = ["--epochs", str(args.epochs), "--seed", str(args.seed), "--val-samples", str(args.val_samples)]
    if args.train_samples is not None:
        options += ["--train-samples", str(args.train_samples)]
    if args.test_samples is not None:
        options += ["--test-samples", str(args.test_samples)]
    return launch(__file__, name, TITLES[name], options)


COLUMNS = [*timing_columns(ms_width=9, ms_spec=".3f", faults_spec=".1f"),
           Column("validation", 12, lambda runs: statistics.median(r["val_s"][-1] for r in runs), ".2f", " s"),
           Column("peak RSS", 11, median_of("peak_rss_mb"), ".0f", " MB"),
           Column("training adds", 15,
                  lambda runs: statistics.median(r["peak_rss_mb"] - r["rss_before_mb"] for r in runs), ".0f", " MB"),
           Column("test acc", 10, median_of("test_accuracy"), ".4f")]


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(results: dict, args: argparse.Namespace, load_before: float, check: str) -> None:
    first = results["tinyfit"][0]
    n_train = args.train_samples or 50000
    print(f"MNIST MLP 784-64-64-10 (the Keras guide's first example): RMSprop(lr={LEARNING_RATE}, "
          f"rho={RHO}, epsilon={EPSILON}), batch {BATCH_SIZE}, {args.epochs} epochs on {n_train:,} images "
          f"({first['steps']} steps each), validation on {args.val_samples:,}")
    print(f"{args.rounds} round(s), contenders in rotating order, each run in its own process; "
          f"the figures are from epoch {args.epochs}")
    print(f"Threads: {describe_threads(args.pinned)}")
    print(f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), load average {load_before:.2f} before the run; "
          + ", ".join(versions(results)))
    print(f"Same maths: {check}")
    print("Memory: peak resident memory of each run's process from the start of training (data loaded) "
          "to the end of testing, and how much of it training added")
    print()
    print_table(results, TITLES, COLUMNS)
    print()
    print(f"{'':34}{'median':>8}{'best':>8}{'goal':>10}")
    lines = [("tinyfit / NumPy by hand", median_ratio(results, "tinyfit", "numpy"), GOAL_VS_NUMPY),
             ("tinyfit / PyTorch eager", median_ratio(results, "tinyfit", "torch"), GOAL_VS_TORCH)]
    for label, ratio, goal in lines:
        if ratio is None:
            why = results["torch"][0].get("skipped", "")
            print(f"{label:34}{'n/a':>8}{'':8}{'<= ' + str(goal) + 'x':>10}  (PyTorch skipped: {why})")
            continue
        print(f"{label:34}{ratio[0]:>7.2f}x{ratio[1]:>7.2f}x{'<= ' + str(goal) + 'x':>10}  "
              f"{verdict(ratio[0] <= goal)}")
    accuracy = statistics.median(r["test_accuracy"] for r in results["tinyfit"])
    if args.quick:
        print(f"{'tinyfit test accuracy':34}{accuracy:>8.4f}{'':8}{'>= ' + str(GOAL_ACCURACY):>10}  "
              "(not judged: --quick trains on a slice)")
    else:
        print(f"{'tinyfit test accuracy':34}{accuracy:>8.4f}{'':8}{'>= ' + str(GOAL_ACCURACY):>10}  "
              f"{verdict(accuracy >= GOAL_ACCURACY)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of each contender (default 5)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run; the last one is timed (default 2)")
    parser.add_argument("--threads", default=None,
                        help="'default' (no thread setting, as a student runs), or a count to pin every contender "
                             "to; without it, both: default, then pinned to 1")
    parser.add_argument("--quick", action="store_true",
                        help="a slice (6,400 training, 1,000 validation and test images), one round")
    parser.add_argument("--only", nargs="+", choices=CONTENDERS, help="run only these contenders")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--train-samples", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--val-samples", type=int, default=10000, help=argparse.SUPPRESS)
    parser.add_argument("--test-samples", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)  # one run, in a child process
    args = parser.parse_args(argv)

    if args.contender:  # the child: the thread variables were set by the parent, before NumPy loads
        print(json.dumps(run_one(args.contender, args)))
        return 0

    if args.quick:
        args.rounds, args.train_samples, args.val_samples, args.test_samples = 1, 6400, 1000, 1000
    check = check_same_maths(args.seed)  # here, in the parent: its memory counts for no contender
    names = [n for n in CONTENDERS if not args.only or n in args.only or n == "tinyfit"]

    def report_all(results: dict, load: float) -> None:
        for name in CONTENDERS:
            if not results.get(name):
                results[name] = [{"skipped": "not asked for (--only)"}]
        report(results, args, load, check)

    summary = run_configurations(args, names, TITLES, lambda name: launch_one(name, args), report_all)
    print()
    print_summary(summary)
    return 0


def print_summary(summary: list) -> None:
    """The configurations side by side: each contender's epoch, and tinyfit's ratios."""
    print(f"{'threads':10}" + "".join(f"{TITLES[n]:>16}" for n in CONTENDERS) + f"{'vs NumPy':>11}{'vs PyTorch':>12}")
    for label, threads, results in summary:
        cells = []
        for name in CONTENDERS:
            runs = results[name]
            cells.append("skipped" if "skipped" in runs[0] else
                         f"{statistics.median(r['train_s'][-1] for r in runs):.2f} s")
        ratios = [median_ratio(results, "tinyfit", other) for other in ("numpy", "torch")]
        name = label if threads is None else f"{label} {threads}"
        print(f"{name:10}" + "".join(f"{c:>16}" for c in cells)
              + "".join(f"{'n/a' if r is None else f'{r[0]:.2f}x':>{w}}" for r, w in zip(ratios, (11, 12))))


if __name__ == "__main__":
    sys.exit(main())
