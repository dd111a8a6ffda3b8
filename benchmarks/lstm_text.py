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
import sys

from _harness import (ROOT, Column, check_loss_falls, compare, epoch_timer, median_of, parser, profile_fit,
                      step_mode, timed_epochs, timing_columns, torch_epoch, torch_threads)

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


def run_tinyfit(data, epochs: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y = data
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    compile_tinyfit(model)
    timer = epoch_timer()
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


def run_torch(data, epochs: int, seed: int) -> dict:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}

    torch_threads()
    torch.manual_seed(seed)
    x, y = (torch.from_numpy(a) for a in data)
    model = torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    hits = lambda logits, y: ((logits > 0) == (y > 0.5)).sum()  # noqa: E731
    train_s, faults, (loss, correct) = timed_epochs(epochs, lambda: torch_epoch(
        model, optimizer, x, y, BATCH_SIZE, F.binary_cross_entropy_with_logits, hits))
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
    said = check_loss_falls(model, x, y, "LSTM classifier")

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
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y = make_data(BATCH_SIZE * 20, seed)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    compile_tinyfit(model)
    profile_fit(model, x, y, BATCH_SIZE)


# ================================================================ the parent
def title(args: argparse.Namespace, steps: int) -> str:
    return (f"LSTM text classifier (Embedding {VOCABULARY}x{WIDTH}, LSTM {UNITS}, Dense 1 logit; sequences of "
            f"{SEQUENCE} ids): Adam(lr={LEARNING_RATE}, epsilon={EPSILON}), binary cross-entropy, batch {BATCH_SIZE}, "
            f"{args.epochs} epochs on {args.train_samples:,} sequences ({steps} steps each)")


COLUMNS = [*timing_columns(), Column("loss", 8, median_of("loss"), ".4f"),
           Column("acc", 8, median_of("accuracy"), ".4f")]


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.split("\n\n")[0], CONTENDERS, train_samples=640,
                  train_samples_help="sequences per epoch (default 640)").parse_args(argv)
    if args.profile_run:
        profile_tinyfit(args.seed)
        return 0
    if args.contender:  # the child: the thread variables were set by the parent, before NumPy loads
        print(json.dumps(run_one(args.contender, args)))
        return 0

    if args.quick:
        args.rounds = 1
    check = check_model(args.seed)
    compare(__file__, args, TITLES, COLUMNS, title=lambda first: title(args, first["steps"]),
            notes=lambda first: [f"Checked: {check}", f"tinyfit's training step: {first['step']}"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
