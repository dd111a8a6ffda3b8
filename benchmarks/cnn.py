"""A small MNIST convnet trained two ways, side by side: tinyfit's fit() and PyTorch eager.

The model is the classic Keras MNIST convnet:

    Conv2D(32, 3, relu) -> MaxPooling2D(2) -> Conv2D(64, 3, relu) -> MaxPooling2D(2)
    -> Flatten -> Dense(10, softmax)

trained with Adam (learning rate 1e-3, epsilon 1e-7) and sparse categorical
cross-entropy at batch size 128 for 2 epochs on the first 12,800 MNIST training
images (100 steps an epoch), then tested on the 10,000 test images.

    tinyfit        keras.Sequential([...]), compile("adam", ...), fit(...), evaluate(...)
    PyTorch eager  the same layers in nn.Sequential (channels_first inside; the
                   activations are put channels_last before Flatten, so that the
                   Dense weights line up with tinyfit's), torch.optim.Adam(eps=1e-7),
                   F.cross_entropy on the logits, when torch imports

Both start from Glorot-uniform kernels and zero biases, shuffle every epoch and
track the running loss and accuracy of each batch as fit() does; neither prints
progress. The figure that matters is the second epoch's training time (the
first pays for warm-up). Each run happens in its own process; runs alternate,
round after round, in a rotating order, and the ratio is the median of
per-round ratios, so a busy neighbour slows both alike. Before timing, one
batch's loss and gradients are compared from the same weights.

Two configurations run one after the other: "default", with no thread
setting (tinyfit chooses its BLAS threads, PyTorch uses its own count), and
"pinned", BLAS, OpenMP and PyTorch threads set to one for both, before NumPy
or PyTorch loads (--threads picks one configuration only).

    python benchmarks/cnn.py              # 5 rounds of each, with the ratio's spread: about 15 minutes
    python benchmarks/cnn.py --quick      # a slice, one round: does it all run?
    python benchmarks/cnn.py --rounds 3 --threads 2
"""

from __future__ import annotations

import argparse
import json
import sys

from _harness import (ROOT, Column, compare, epoch_timer, median_of, parser, timed_epochs, timing_columns,
                      torch_epoch, torch_threads)

GOAL_VS_TORCH = 1.0  # tinyfit may take at most this many times PyTorch eager's epoch
CONTENDERS = ("tinyfit", "torch")
TITLES = {"tinyfit": "tinyfit", "torch": "PyTorch eager"}
LEARNING_RATE, EPSILON = 1e-3, 1e-7  # Keras 3's Adam defaults (PyTorch is told the same epsilon)
BATCH_SIZE, TEST_BATCH_SIZE = 128, 256


# ===================================================================== one run
def load_mnist(train_samples: int, test_samples: int):
    """Pixels as float32 in [0, 1] with a channel axis, (N, 28, 28, 1); int64 labels."""
    import numpy as np

    with np.load(ROOT / "datasets" / "mnist.npz") as f:
        x_train, y_train, x_test, y_test = f["x_train"], f["y_train"], f["x_test"], f["y_test"]
    prepare = lambda x: (x[..., None] / np.float32(255)).astype(np.float32)  # noqa: E731
    return ((prepare(x_train[:train_samples]), y_train[:train_samples].astype(np.int64)),
            (prepare(x_test[:test_samples]), y_test[:test_samples].astype(np.int64)))


def tinyfit_model():
    sys.path.insert(0, str(ROOT))  # the checkout's tinyfit, installed or not
    import tinyfit as keras
    from tinyfit import layers

    return keras.Sequential([
        keras.Input(shape=(28, 28, 1)),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])


def run_tinyfit(data, epochs: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    (x_train, y_train), (x_test, y_test) = data
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON),
                  loss="sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    timer = epoch_timer()
    history = model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=epochs, callbacks=[timer], verbose=0)
    _, test_accuracy = model.evaluate(x_test, y_test, batch_size=TEST_BATCH_SIZE, verbose=0)
    return {"train_s": timer.train, "faults": timer.faults, "steps": -(-len(x_train) // BATCH_SIZE),
            "train_accuracy": history.history["sparse_categorical_accuracy"][-1],
            "test_accuracy": float(test_accuracy), "version": keras.__version__}


def torch_model():
    """The same convnet in PyTorch, Glorot-uniform kernels and zero biases like Keras's."""
    import torch
    from torch import nn

    class ChannelsLast(nn.Module):
        def forward(self, x):
            return x.permute(0, 2, 3, 1)

    model = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        ChannelsLast(), nn.Flatten(), nn.Linear(5 * 5 * 64, 10),
    )
    with torch.no_grad():
        for m in model:
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)
    return model


def run_torch(data, epochs: int, seed: int) -> dict:
    try:
        import torch
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}

    (x_train, y_train), (x_test, y_test) = data
    torch_threads()
    torch.manual_seed(seed)
    # PyTorch's convolutions want channels first: the data is transposed once, up front.
    x_train, x_test = (torch.from_numpy(x.transpose(0, 3, 1, 2).copy()) for x in (x_train, x_test))
    y_train, y_test = torch.from_numpy(y_train), torch.from_numpy(y_test)
    model = torch_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    train_s, faults, (_, correct) = timed_epochs(
        epochs, lambda: torch_epoch(model, optimizer, x_train, y_train, BATCH_SIZE))
    with torch.no_grad():
        hits = sum(int((model(x_test[i:i + TEST_BATCH_SIZE]).argmax(dim=1) == y_test[i:i + TEST_BATCH_SIZE]).sum())
                   for i in range(0, len(x_test), TEST_BATCH_SIZE))
    return {"train_s": train_s, "faults": faults, "steps": -(-len(x_train) // BATCH_SIZE),
            "train_accuracy": int(correct) / len(x_train), "test_accuracy": hits / len(x_test),
            "version": torch.__version__}


def run_one(name: str, args: argparse.Namespace) -> dict:
    data = load_mnist(args.train_samples, args.test_samples)
    return {"tinyfit": run_tinyfit, "torch": run_torch}[name](data, args.epochs, args.seed)


# ============================================================ the same maths?
def check_same_maths(seed: int) -> str:
    """One batch from the same weights: equal losses, probabilities and gradients."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return "not checked (PyTorch is not installed)"
    (x, y), _ = load_mnist(32, 0)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model()
    probabilities = model(x, training=True)
    loss = keras.losses.SparseCategoricalCrossentropy()(y, probabilities)
    loss.backward()
    net = torch_model()
    mine = model.trainable_weights  # conv kernels (kh, kw, in, out), dense (in, out), biases
    with torch.no_grad():
        for m, (kernel, bias) in zip([m for m in net if hasattr(m, "weight")], zip(mine[::2], mine[1::2])):
            k = kernel.numpy()
            m.weight.copy_(torch.from_numpy(k.transpose(3, 2, 0, 1).copy() if k.ndim == 4 else k.T.copy()))
            m.bias.copy_(torch.from_numpy(bias.numpy()))
    logits = net(torch.from_numpy(x.transpose(0, 3, 1, 2).copy()))
    torch_loss = F.cross_entropy(logits, torch.from_numpy(y))
    torch_loss.backward()
    np.testing.assert_allclose(float(loss.numpy()), torch_loss.item(), rtol=1e-5)
    np.testing.assert_allclose(probabilities.numpy(), logits.softmax(dim=1).detach().numpy(), atol=1e-5)
    for m, (kernel, bias) in zip([m for m in net if hasattr(m, "weight")], zip(mine[::2], mine[1::2])):
        g = m.weight.grad.numpy()
        g = g.transpose(2, 3, 1, 0) if g.ndim == 4 else g.T
        np.testing.assert_allclose(kernel.grad, g, rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(bias.grad, m.bias.grad.numpy(), rtol=1e-3, atol=1e-5)
    return "tinyfit and PyTorch: equal loss, probabilities and gradients on one batch from the same weights"


# ================================================================ the parent
def title(args: argparse.Namespace, steps: int) -> str:
    return (f"MNIST convnet (Conv2D 32-3 relu, MaxPooling2D 2, Conv2D 64-3 relu, MaxPooling2D 2, Flatten, Dense 10 "
            f"softmax): Adam(lr={LEARNING_RATE}, epsilon={EPSILON}), batch {BATCH_SIZE}, {args.epochs} epochs on "
            f"{args.train_samples:,} images ({steps} steps each), tested on {args.test_samples:,}")


COLUMNS = [*timing_columns(), Column("test acc", 10, median_of("test_accuracy"), ".4f")]


def main(argv: list[str] | None = None) -> int:
    options = parser(__doc__.split("\n\n")[0], CONTENDERS, train_samples=12800, train_samples_help=argparse.SUPPRESS,
                     rounds=5, quick_help="a slice (2,560 training, 1,000 test images), one round", profile=False)
    options.add_argument("--test-samples", type=int, default=10000, help=argparse.SUPPRESS)
    args = options.parse_args(argv)

    if args.contender:  # the child: the thread variables were set by the parent, before NumPy loads
        print(json.dumps(run_one(args.contender, args)))
        return 0

    if args.quick:
        args.rounds, args.train_samples, args.test_samples = 1, 2560, 1000
    check = check_same_maths(args.seed)
    compare(__file__, args, TITLES, COLUMNS, title=lambda first: title(args, first["steps"]),
            notes=lambda first: [f"Same maths: {check}"], goal=GOAL_VS_TORCH,
            more=["--test-samples", str(args.test_samples)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
