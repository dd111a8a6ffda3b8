"""An LSTM text classifier, trained by tinyfit and by PyTorch eager on the CPU.

The model reads a sequence of 100 word ids and says yes or no:

    Embedding(2000, 64) -> LSTM(64) -> Dense(1), the logit

trained with Adam (learning rate 1e-3, epsilon 1e-7) on binary cross-entropy
from the logit, batch 32, 2 epochs of 640 synthetic sequences (20 steps each).
The data needs no download: every word id is drawn at random from 1..1999, and
a positive sequence has a fifth of its positions drawn from a small set of
"positive" words instead, so the task is learnable and the loss falls.

    tinyfit        keras.Sequential([...]), compile(Adam, BinaryCrossentropy(from_logits=True),
                   metrics=["accuracy"]) with compile()'s defaults (jit_compile="auto"), fit(verbose=0)
    PyTorch eager  nn.Embedding, nn.LSTM(batch_first=True), nn.Linear on the last hidden state,
                   F.binary_cross_entropy_with_logits, torch.optim.Adam(eps=1e-7)

Keras's LSTM and nn.LSTM compute the same cell (gates in the order input,
forget, cell, output; sigmoid and tanh), so before timing the script copies
tinyfit's weights into PyTorch and checks that one batch gives the same loss
and gradients, and that tinyfit's loss is finite and falls over a few steps
(a broken model is not timed). Both start from Keras's initializers (Glorot
uniform input kernels, orthogonal recurrent kernels, a forget-gate bias of 1),
shuffle every epoch and track the running loss and accuracy as fit() does.
The figure is the second epoch's training time (the first pays for warm-up).
Each run happens in its own process; runs take turns, round after round, in a
rotating order, and the ratio is the median of per-round ratios, so a busy
neighbour slows both alike.

Two configurations run one after the other: "default", with no thread setting
(what a student gets: tinyfit chooses its BLAS threads, PyTorch its own count),
and "pinned", BLAS, OpenMP and PyTorch threads set to one for both, before
NumPy or PyTorch loads (--threads picks one configuration only).

    python benchmarks/lstm_text.py              # 3 rounds of each, about a minute
    python benchmarks/lstm_text.py --quick      # one round: does it all run?
    python benchmarks/lstm_text.py --rounds 7 --threads 1
    python benchmarks/lstm_text.py --profile    # then cProfile of one tinyfit epoch, top 20 by own time
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

from _harness import (ROOT, describe_threads, launch, median_ratio, page_faults, run_configurations,
                      torch_threads, versions)

CONTENDERS = ("tinyfit", "torch")
TITLES = {"tinyfit": "tinyfit", "torch": "PyTorch eager"}
VOCABULARY, SEQUENCE, WIDTH, UNITS = 2000, 100, 64, 64
POSITIVE_WORDS = 50  # ids 1..50 mark a positive sequence
LEARNING_RATE, EPSILON = 1e-3, 1e-7  # Keras 3's Adam defaults (PyTorch is told the same epsilon)
BATCH_SIZE = 32


# ===================================================================== one run
def make_data(samples: int, seed: int):
    """int64 word ids (samples, 100) and float32 labels 0/1, half of them positive."""
    import numpy as np

    rng = np.random.default_rng(seed)
    x = rng.integers(POSITIVE_WORDS + 1, VOCABULARY, (samples, SEQUENCE), dtype=np.int64)
    y = (rng.random(samples) < 0.5).astype(np.float32)
    marked = (rng.random((samples, SEQUENCE)) < 0.2) & (y[:, None] == 1)
    x[marked] = rng.integers(1, POSITIVE_WORDS + 1, int(marked.sum()))
    return x, y


def tinyfit_model():
    sys.path.insert(0, str(ROOT))  # the checkout's tinyfit, installed or not
    import tinyfit as keras
    from tinyfit import layers

    return keras.Sequential([
        keras.Input(shape=(SEQUENCE,), dtype="int64"),
        layers.Embedding(VOCABULARY, WIDTH),
        layers.LSTM(UNITS),
        layers.Dense(1),
    ])


def compile_tinyfit(model) -> None:
    import tinyfit as keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True), metrics=["accuracy"])


def step_mode(model) -> str:
    """Whether fit() replayed a compiled step or ran eagerly, and why, for the report."""
    step = getattr(model, "_compiled_step", None)
    if step is None:
        return "eager"
    why = getattr(step, "eager_because", None)
    return "compiled" if why is None else f"eager ({why})"


def run_tinyfit(data, epochs: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y = data

    class EpochTimer(keras.callbacks.Callback):
        """Training time of each epoch, first batch to last, and the page faults in it."""

        def __init__(self):
            super().__init__()
            self.train, self.faults = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self.start, self.start_faults = time.perf_counter(), page_faults()

        def on_train_batch_end(self, batch, logs=None):
            self.last, self.last_faults = time.perf_counter(), page_faults()

        def on_epoch_end(self, epoch, logs=None):
            self.train.append(self.last - self.start)
            self.faults.append(self.last_faults - self.start_faults)

    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    compile_tinyfit(model)
    timer = EpochTimer()
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, callbacks=[timer], verbose=0)
    return {"train_s": timer.train, "faults": timer.faults, "steps": -(-len(x) // BATCH_SIZE),
            "loss": history.history["loss"][-1], "accuracy": history.history["accuracy"][-1],
            "step": step_mode(model), "version": keras.__version__}


def torch_model():
    """The same classifier in PyTorch, with Keras's initializers."""
    import torch
    from torch import nn

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCABULARY, WIDTH)
            self.lstm = nn.LSTM(WIDTH, UNITS, batch_first=True)
            self.dense = nn.Linear(UNITS, 1)

        def forward(self, x):
            _, (h, _) = self.lstm(self.embedding(x))
            return self.dense(h[-1]).squeeze(1)

    model = Classifier()
    with torch.no_grad():
        nn.init.uniform_(model.embedding.weight, -0.05, 0.05)
        nn.init.orthogonal_(model.lstm.weight_hh_l0)  # the transpose of Keras's (64, 256) orthogonal kernel
        nn.init.xavier_uniform_(model.lstm.weight_ih_l0)
        nn.init.zeros_(model.lstm.bias_ih_l0)
        nn.init.zeros_(model.lstm.bias_hh_l0)
        model.lstm.bias_ih_l0[UNITS:2 * UNITS] = 1.0  # unit_forget_bias
        nn.init.xavier_uniform_(model.dense.weight)
        nn.init.zeros_(model.dense.bias)
    return model


def torch_epoch(model, optimizer, x_train, y_train) -> None:
    """One epoch in a fresh random order; the running loss and accuracy tracked as fit() does."""
    import torch
    import torch.nn.functional as F

    order = torch.randperm(len(x_train))
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
    for first in range(0, len(x_train), BATCH_SIZE):
        pick = order[first:first + BATCH_SIZE]
        x, y = x_train[pick], y_train[pick]
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.binary_cross_entropy_with_logits(logits, y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss * len(y)
            correct += ((logits > 0) == (y > 0.5)).sum()
    return loss_sum / len(x_train), correct


def run_torch(data, epochs: int, seed: int) -> dict:
    try:
        import torch
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}

    torch_threads()
    torch.manual_seed(seed)
    x, y = (torch.from_numpy(a) for a in data)
    model = torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    train_s, faults = [], []
    for _ in range(epochs):
        start, start_faults = time.perf_counter(), page_faults()
        loss, correct = torch_epoch(model, optimizer, x, y)
        train_s.append(time.perf_counter() - start)
        faults.append(page_faults() - start_faults)
    return {"train_s": train_s, "faults": faults, "steps": -(-len(x) // BATCH_SIZE), "loss": float(loss),
            "accuracy": int(correct) / len(x), "step": "eager", "version": torch.__version__}


def run_one(name: str, args: argparse.Namespace) -> dict:
    data = make_data(args.train_samples, args.seed)
    return {"tinyfit": run_tinyfit, "torch": run_torch}[name](data, args.epochs, args.seed)


# ============================================================ the same maths?
def check_model(seed: int) -> str:
    """tinyfit's loss is finite and falls over a few steps; then one batch from the same
    weights gives PyTorch the same loss and gradients."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y = make_data(BATCH_SIZE, seed + 1)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    compile_tinyfit(model)
    losses = [float(np.asarray(model.train_on_batch(x, y)[0])) for _ in range(5)]
    if not (all(np.isfinite(losses)) and losses[-1] < losses[0]):
        raise SystemExit(f"tinyfit's LSTM classifier does not train: losses over 5 steps on one batch {losses}; "
                         "nothing is timed until it does")
    said = f"tinyfit's loss falls over 5 steps on one batch ({losses[0]:.4f} -> {losses[-1]:.4f})"

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return said + "; PyTorch not checked (not installed)"
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    logits = model(x, training=True)
    loss = keras.losses.BinaryCrossentropy(from_logits=True)(y, logits)
    loss.backward()
    embedding, kernel, recurrent, bias, dense, dense_bias = model.trainable_weights
    net = torch_model()
    with torch.no_grad():
        copy = lambda target, w: target.copy_(torch.from_numpy(np.ascontiguousarray(w)))  # noqa: E731
        copy(net.embedding.weight, embedding.numpy())
        copy(net.lstm.weight_ih_l0, kernel.numpy().T)
        copy(net.lstm.weight_hh_l0, recurrent.numpy().T)
        copy(net.lstm.bias_ih_l0, bias.numpy())
        net.lstm.bias_hh_l0.zero_()  # Keras has one bias where PyTorch has two
        copy(net.dense.weight, dense.numpy().T)
        copy(net.dense.bias, dense_bias.numpy())
    torch_logits = net(torch.from_numpy(x))
    torch_loss = F.binary_cross_entropy_with_logits(torch_logits, torch.from_numpy(y))
    torch_loss.backward()
    np.testing.assert_allclose(float(loss.numpy()), torch_loss.item(), rtol=1e-5)
    np.testing.assert_allclose(logits.numpy()[:, 0], torch_logits.detach().numpy(), rtol=1e-4, atol=1e-5)
    pairs = [(embedding, net.embedding.weight.grad), (kernel, net.lstm.weight_ih_l0.grad.T),
             (recurrent, net.lstm.weight_hh_l0.grad.T), (bias, net.lstm.bias_ih_l0.grad),
             (dense, net.dense.weight.grad.T), (dense_bias, net.dense.bias.grad)]
    for mine, theirs in pairs:
        np.testing.assert_allclose(np.asarray(mine.grad), theirs.numpy(), rtol=1e-3, atol=1e-6)
    return said + "; tinyfit and PyTorch: equal loss, logits and gradients on one batch from the same weights"


def profile_tinyfit(seed: int) -> None:
    """cProfile of one epoch of tinyfit's fit() after a warm-up epoch, top 20 functions by own time."""
    import cProfile
    import pstats

    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y = make_data(BATCH_SIZE * 20, seed)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    compile_tinyfit(model)
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, x, y, batch_size=BATCH_SIZE, epochs=1, verbose=0)
    print(f"cProfile of one tinyfit epoch ({len(x) // BATCH_SIZE} steps, step {step_mode(model)}), "
          f"top 20 by own time; threads: {describe_threads(threads_in_use())}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def threads_in_use() -> int | None:
    """The pinned thread count this process was started with, None when nothing was set."""
    setting = os.environ.get("OMP_NUM_THREADS")
    return int(setting) if setting else None


# ================================================================ the parent
def launch_one(name: str, args: argparse.Namespace) -> dict:
    return launch(__file__, name, TITLES[name], ["--epochs", str(args.epochs), "--seed", str(args.seed),
                                                 "--train-samples", str(args.train_samples)])


def report(results: dict, args: argparse.Namespace, load_before: float, check: str) -> None:
    first = results["tinyfit"][0]
    print(f"LSTM text classifier (Embedding {VOCABULARY}x{WIDTH}, LSTM {UNITS}, Dense 1 logit; sequences of "
          f"{SEQUENCE} ids): Adam(lr={LEARNING_RATE}, epsilon={EPSILON}), binary cross-entropy, batch {BATCH_SIZE}, "
          f"{args.epochs} epochs on {args.train_samples:,} sequences ({first['steps']} steps each)")
    print(f"{args.rounds} round(s), contenders in rotating order, each run in its own process; "
          f"the figures are from epoch {args.epochs}")
    print(f"Threads: {describe_threads(args.pinned)}")
    print(f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), load average {load_before:.2f} before the run, "
          f"{os.getloadavg()[0]:.2f} after; " + ", ".join(versions(results)))
    print(f"Checked: {check}")
    print(f"tinyfit's training step: {first['step']}")
    print()
    print(f"{'contender':16}{'train epoch':>13}{'best':>9}{'ms/step':>10}{'faults/step':>13}{'loss':>8}{'acc':>8}")
    for name in CONTENDERS:
        runs = results[name]
        if "skipped" in runs[0]:
            print(f"{TITLES[name]:16}  skipped: {runs[0]['skipped']}")
            continue
        train = statistics.median(r["train_s"][-1] for r in runs)
        best = min(r["train_s"][-1] for r in runs)
        faults = statistics.median(r["faults"][-1] for r in runs) / runs[0]["steps"]
        loss = statistics.median(r["loss"] for r in runs)
        accuracy = statistics.median(r["accuracy"] for r in runs)
        print(f"{TITLES[name]:16}{train:>11.2f} s{best:>7.2f} s{train / runs[0]['steps'] * 1e3:>10.1f}"
              f"{faults:>13.0f}{loss:>8.4f}{accuracy:>8.4f}")
    print()
    ratio = median_ratio(results, "tinyfit", "torch")
    if ratio is None:
        print(f"tinyfit / PyTorch eager: n/a (PyTorch skipped: {results['torch'][0]['skipped']})")
        return
    print(f"tinyfit / PyTorch eager, epoch {args.epochs}: median {ratio[0]:.2f}x, best {ratio[1]:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each contender (default 3)")
    parser.add_argument("--epochs", type=int, default=2, help="epochs per run; the last one is timed (default 2)")
    parser.add_argument("--threads", default=None,
                        help="'default' (no thread setting, as a student runs), or a count to pin every contender "
                             "to; without it, both: default, then pinned to 1")
    parser.add_argument("--quick", action="store_true", help="one round of each configuration")
    parser.add_argument("--profile", action="store_true",
                        help="after the rounds, cProfile one tinyfit epoch in a fresh process with the last "
                             "configuration's threads (top 20 by own time)")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--train-samples", type=int, default=640, help="sequences per epoch (default 640)")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)  # one run, in a child process
    parser.add_argument("--profile-run", action="store_true", help=argparse.SUPPRESS)  # the profile's child
    args = parser.parse_args(argv)

    if args.profile_run:
        profile_tinyfit(args.seed)
        return 0
    if args.contender:  # the child: the thread variables were set by the parent, before NumPy loads
        print(json.dumps(run_one(args.contender, args)))
        return 0

    if args.quick:
        args.rounds = 1
    check = check_model(args.seed)
    done = run_configurations(args, CONTENDERS, TITLES, lambda name: launch_one(name, args),
                              lambda results, load: report(results, args, load, check))
    print()
    for label, threads, results in done:
        ratio = median_ratio(results, "tinyfit", "torch")
        print(f"{label if threads is None else f'{label} {threads}':10} tinyfit / PyTorch eager: "
              + ("n/a" if ratio is None else f"{ratio[0]:.2f}x"))
    if args.profile:  # in a fresh process: this one has loaded NumPy and PyTorch with other thread settings
        command = [sys.executable, str(Path(__file__).resolve()), "--profile-run", "--seed", str(args.seed)]
        profiled = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        print(profiled.stdout + profiled.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
