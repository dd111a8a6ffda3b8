"""A tiny decoder-only transformer on characters, trained by tinyfit and by PyTorch eager on the CPU.

The model reads 64 characters of Shakespeare and predicts, at every position,
the character that follows:

    token Embedding(73, 64) + position Embedding(64, 64)
    2 blocks of: LayerNormalization -> causal MultiHeadAttention(4 heads, key_dim 16) -> + residual
                 LayerNormalization -> Dense(256, relu) -> Dense(64)              -> + residual
    Dense(73), the logits

trained with Adam (learning rate 1e-3, epsilon 1e-7) on sparse categorical
cross-entropy from the logits, batch 32, 2 epochs of 20 steps. The data is
tinyfit.datasets.shakespeare (shipped with the checkout): 640 windows of 65
characters at seeded random places, the first 64 the input and the last 64 the
targets.

    tinyfit        the functional API (keras.Input, layers, keras.Model), a small
                   TokenAndPosition layer of two Embeddings, compile() with its defaults
                   (jit_compile="auto"), fit(verbose=0)
    PyTorch eager  the same blocks from nn.Embedding, nn.LayerNorm(eps=1e-3, Keras's epsilon),
                   nn.MultiheadAttention(batch_first=True) with a causal attn_mask, nn.Linear;
                   F.cross_entropy on the logits, torch.optim.Adam(eps=1e-7)

Before timing, the script checks that tinyfit's loss is finite and falls over
a few steps (a broken model is not timed), then copies tinyfit's weights into
the PyTorch model and checks that one batch gives the same loss and logits.
Both shuffle every epoch and track the running loss and accuracy as fit()
does. The figure is the second epoch's training time (the first pays for
warm-up). Each run happens in its own process; runs take turns, round after
round, in a rotating order, and the ratio is the median of per-round ratios,
so a busy neighbour slows both alike.

Two configurations run one after the other: "default", with no thread setting
(what a student gets: tinyfit chooses its BLAS threads, PyTorch its own count),
and "pinned", BLAS, OpenMP and PyTorch threads set to one for both, before
NumPy or PyTorch loads (--threads picks one configuration only).

    python benchmarks/tiny_transformer.py              # 3 rounds of each, a minute or two
    python benchmarks/tiny_transformer.py --quick      # one round: does it all run?
    python benchmarks/tiny_transformer.py --rounds 7 --threads 1
    python benchmarks/tiny_transformer.py --profile    # then cProfile of one tinyfit epoch, top 20 by own time
"""

from __future__ import annotations

import argparse
import json
import sys

from _harness import (ROOT, Column, check_loss_falls, compare, epoch_timer, median_of, parser, profile_fit,
                      step_mode, timed_epochs, timing_columns, torch_epoch, torch_threads)

CONTENDERS = ("tinyfit", "torch")
TITLES = {"tinyfit": "tinyfit", "torch": "PyTorch eager"}
CONTEXT, WIDTH, HEADS, KEY_DIM, HIDDEN, BLOCKS = 64, 64, 4, 16, 256, 2
LEARNING_RATE, EPSILON = 1e-3, 1e-7  # Keras 3's Adam defaults (PyTorch is told the same epsilon)
LAYER_NORM_EPSILON = 1e-3  # Keras's LayerNormalization default (PyTorch's is 1e-5)
BATCH_SIZE = 32


# ===================================================================== one run
def make_data(samples: int, seed: int):
    """Windows of the text as int64 character ids: inputs (samples, 64), targets shifted by one; the vocabulary size."""
    import numpy as np

    sys.path.insert(0, str(ROOT))  # the checkout's tinyfit, installed or not
    from tinyfit.datasets import shakespeare

    text = shakespeare.load_data()
    characters = sorted(set(text))
    ids = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    lookup = np.zeros(128, dtype=np.int64)
    lookup[[ord(c) for c in characters]] = np.arange(len(characters))
    starts = np.random.default_rng(seed).integers(0, len(ids) - CONTEXT - 1, samples)
    windows = lookup[ids[starts[:, None] + np.arange(CONTEXT + 1)]]
    return windows[:, :-1], windows[:, 1:], len(characters)


def tinyfit_model(vocabulary: int):
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras
    from tinyfit import layers, ops

    class TokenAndPosition(layers.Layer):
        """The token's embedding plus its position's: the transformer's input."""

        supports_jit = True  # the same ops whatever the values, so compile()'s "auto" may compile it

        def __init__(self, vocabulary, context, width, **kwargs):
            super().__init__(**kwargs)
            self.tokens = layers.Embedding(vocabulary, width)
            self.positions = layers.Embedding(context, width)

        def call(self, x):
            return self.tokens(x) + self.positions(ops.arange(x.shape[-1]))

    inputs = keras.Input(shape=(CONTEXT,), dtype="int64")
    x = TokenAndPosition(vocabulary, CONTEXT, WIDTH)(inputs)
    for _ in range(BLOCKS):
        h = layers.LayerNormalization()(x)
        x = layers.Add()([x, layers.MultiHeadAttention(HEADS, KEY_DIM)(h, h, use_causal_mask=True)])
        h = layers.LayerNormalization()(x)
        h = layers.Dense(HIDDEN, activation="relu")(h)
        x = layers.Add()([x, layers.Dense(WIDTH)(h)])
    return keras.Model(inputs, layers.Dense(vocabulary)(x))


def compile_tinyfit(model) -> None:
    import tinyfit as keras

    model.compile(optimizer=keras.optimizers.Adam(learning_rate=LEARNING_RATE, epsilon=EPSILON),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


def run_tinyfit(data, epochs: int, seed: int) -> dict:
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y, vocabulary = data
    keras.utils.set_random_seed(seed)
    model = tinyfit_model(vocabulary)
    compile_tinyfit(model)
    timer = epoch_timer()
    history = model.fit(x, y, batch_size=BATCH_SIZE, epochs=epochs, callbacks=[timer], verbose=0)
    return {"train_s": timer.train, "faults": timer.faults, "steps": -(-len(x) // BATCH_SIZE),
            "loss": history.history["loss"][-1], "accuracy": history.history["accuracy"][-1],
            "step": step_mode(model), "version": keras.__version__}


def torch_model(vocabulary: int):
    """The same transformer in PyTorch: Glorot-uniform kernels, zero biases, Keras's embedding initializer."""
    import torch
    from torch import nn

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.norm1 = nn.LayerNorm(WIDTH, eps=LAYER_NORM_EPSILON)
            self.attention = nn.MultiheadAttention(WIDTH, HEADS, batch_first=True)
            self.norm2 = nn.LayerNorm(WIDTH, eps=LAYER_NORM_EPSILON)
            self.hidden = nn.Linear(WIDTH, HIDDEN)
            self.out = nn.Linear(HIDDEN, WIDTH)

        def forward(self, x, causal):
            h = self.norm1(x)
            x = x + self.attention(h, h, h, attn_mask=causal, need_weights=False)[0]
            return x + self.out(torch.relu(self.hidden(self.norm2(x))))

    class Transformer(nn.Module):
        def __init__(self):
            super().__init__()
            self.tokens = nn.Embedding(vocabulary, WIDTH)
            self.positions = nn.Embedding(CONTEXT, WIDTH)
            self.blocks = nn.ModuleList(Block() for _ in range(BLOCKS))
            self.logits = nn.Linear(WIDTH, vocabulary)
            # True where a position may not look: every later one
            self.register_buffer("causal", torch.ones(CONTEXT, CONTEXT, dtype=torch.bool).triu(1))

        def forward(self, x):
            steps = x.shape[1]
            x = self.tokens(x) + self.positions(torch.arange(steps))
            for block in self.blocks:
                x = block(x, self.causal[:steps, :steps])
            return self.logits(x)

    model = Transformer()
    with torch.no_grad():
        for name, weight in model.named_parameters():
            if "norm" in name:
                continue  # ones and zeros, as Keras's
            if name.endswith("bias"):
                nn.init.zeros_(weight)
            elif "tokens" in name or "positions" in name:
                nn.init.uniform_(weight, -0.05, 0.05)
            else:
                nn.init.xavier_uniform_(weight)
    return model


def run_torch(data, epochs: int, seed: int) -> dict:
    try:
        import torch
        import torch.nn.functional as F
    except ImportError as exc:
        return {"skipped": f"PyTorch is not installed here ({exc})"}

    torch_threads()
    torch.manual_seed(seed)
    x, y, vocabulary = data
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    model = torch_model(vocabulary)
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, eps=EPSILON)
    loss_fn = lambda logits, y: F.cross_entropy(logits.reshape(-1, vocabulary), y.reshape(-1))  # noqa: E731
    hits = lambda logits, y: (logits.argmax(dim=-1) == y).sum()  # noqa: E731
    train_s, faults, (loss, correct) = timed_epochs(epochs, lambda: torch_epoch(
        model, optimizer, x, y, BATCH_SIZE, loss_fn, hits))
    return {"train_s": train_s, "faults": faults, "steps": -(-len(x) // BATCH_SIZE), "loss": float(loss),
            "accuracy": int(correct) / y.numel(), "step": "eager", "version": torch.__version__}


def run_one(name: str, args: argparse.Namespace) -> dict:
    data = make_data(args.train_samples, args.seed)
    return {"tinyfit": run_tinyfit, "torch": run_torch}[name](data, args.epochs, args.seed)


# ============================================================ the same maths?
def copy_to_torch(model, net) -> None:
    """tinyfit's weights into the PyTorch model: Keras's per-head kernels (64, 4, 16) flattened to
    (64, 64) and transposed, the query, key and value stacked into nn.MultiheadAttention's in_proj."""
    import numpy as np
    import torch

    weights = iter(w.numpy() for w in model.trainable_weights)
    take = lambda: torch.from_numpy(np.ascontiguousarray(next(weights)))  # noqa: E731
    with torch.no_grad():
        net.tokens.weight.copy_(take())
        net.positions.weight.copy_(take())
        for block in net.blocks:
            block.norm1.weight.copy_(take())
            block.norm1.bias.copy_(take())
            kernels, biases = [], []
            for _ in range(3):  # query, key, value
                kernels.append(take().reshape(WIDTH, HEADS * KEY_DIM).T)
                biases.append(take().reshape(-1))
            block.attention.in_proj_weight.copy_(torch.cat(kernels))
            block.attention.in_proj_bias.copy_(torch.cat(biases))
            block.attention.out_proj.weight.copy_(take().reshape(HEADS * KEY_DIM, WIDTH).T)
            block.attention.out_proj.bias.copy_(take())
            block.norm2.weight.copy_(take())
            block.norm2.bias.copy_(take())
            for dense in (block.hidden, block.out):
                dense.weight.copy_(take().T)
                dense.bias.copy_(take())
        net.logits.weight.copy_(take().T)
        net.logits.bias.copy_(take())
    if next(weights, None) is not None:
        raise SystemExit("tinyfit's transformer has more weights than the PyTorch model takes")


def check_model(seed: int) -> str:
    """tinyfit's loss is finite and falls over a few steps; then one batch from the same
    weights gives PyTorch the same loss and logits."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y, vocabulary = make_data(BATCH_SIZE, seed + 1)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model(vocabulary)
    compile_tinyfit(model)
    said = check_loss_falls(model, x, y, "transformer")

    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return said + "; PyTorch not checked (not installed)"
    keras.utils.set_random_seed(seed)
    model = tinyfit_model(vocabulary)
    logits = model(x, training=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, logits)
    net = torch_model(vocabulary)
    copy_to_torch(model, net)
    torch_logits = net(torch.from_numpy(x))
    torch_loss = F.cross_entropy(torch_logits.reshape(-1, vocabulary), torch.from_numpy(y).reshape(-1))
    np.testing.assert_allclose(logits.numpy(), torch_logits.detach().numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(float(loss.numpy()), torch_loss.item(), rtol=1e-5)
    return said + "; tinyfit and PyTorch: equal loss and logits on one batch from the same weights"


def profile_tinyfit(seed: int) -> None:
    """cProfile of one epoch of tinyfit's fit() after a warm-up epoch, top 20 functions by own time."""
    sys.path.insert(0, str(ROOT))
    import tinyfit as keras

    x, y, vocabulary = make_data(BATCH_SIZE * 20, seed)
    keras.utils.set_random_seed(seed)
    model = tinyfit_model(vocabulary)
    compile_tinyfit(model)
    profile_fit(model, x, y, BATCH_SIZE)


# ================================================================ the parent
def title(args: argparse.Namespace, steps: int) -> str:
    return (f"Tiny decoder-only transformer on Shakespeare's characters (context {CONTEXT}, d_model {WIDTH}, "
            f"{BLOCKS} blocks of causal MultiHeadAttention {HEADS}x{KEY_DIM} and Dense {HIDDEN} relu, pre-norm): "
            f"Adam(lr={LEARNING_RATE}, epsilon={EPSILON}), batch {BATCH_SIZE}, {args.epochs} epochs of "
            f"{steps} steps ({args.train_samples:,} windows)")


COLUMNS = [*timing_columns(), Column("loss", 8, median_of("loss"), ".4f"),
           Column("acc", 8, median_of("accuracy"), ".4f")]


def main(argv: list[str] | None = None) -> int:
    args = parser(__doc__.split("\n\n")[0], CONTENDERS, train_samples=640,
                  train_samples_help="windows per epoch, 20 steps of 32 (default 640)").parse_args(argv)
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
