"""A classroom's machine: the guide's first example trained by several kernels at once.

Each "kernel" is a process training the Keras guide's MLP (784-64-64-10,
RMSprop, batch 64) for one epoch (50,000 images; --samples) with verbose=0,
the way a student's notebook would. All of them start together and share the machine's
cores. Two configurations take turns, round after round:

    default   no thread setting at all, as a student runs it (tinyfit picks its
              BLAS threads by timing the model's forward pass)
    pinned    OPENBLAS/OMP/MKL_NUM_THREADS=1 in every process

The figure is default / pinned: how much slower a student's untouched run is
than the tuned one, alone (--kernels 1) and in a crowd (--kernels 4). The goal
is within about 10% in both. With --hand, NumPy by hand (the same maths on
plain arrays, as benchmarks/mnist_mlp.py writes it) runs the same way, for
comparison: it shows what the BLAS's own thread count does when nobody
chooses.

    python benchmarks/classroom.py                      # 1 and 4 kernels, 3 rounds
    python benchmarks/classroom.py --kernels 1 2 4 8 --rounds 5
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

from _harness import ROOT, pin_threads

CONFIGURATIONS = (("default", None), ("pinned", 1))


def child(samples: int, hand: bool) -> None:
    """One kernel: an epoch of the guide's MLP; prints its training time as JSON."""
    sys.path.insert(0, str(ROOT))
    from tinyfit.examples.mnist import get_model, load_data

    (x, y), _, _ = load_data(samples)
    if hand:
        import mnist_mlp  # the hand-written NumPy step of the end-to-end benchmark

        params = mnist_mlp.numpy_init(0)
        velocities = [p * 0 for p in params]
        start = time.perf_counter()
        for first in range(0, len(x), 64):
            mnist_mlp.numpy_train_step(params, velocities, x[first:first + 64], y[first:first + 64].astype(int))
        print(json.dumps({"train_s": time.perf_counter() - start}))
        return
    import tinyfit as keras

    keras.utils.set_random_seed(0)
    model = get_model()
    model.compile(optimizer=keras.optimizers.RMSprop(), loss=keras.losses.SparseCategoricalCrossentropy(),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    start = time.perf_counter()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    print(json.dumps({"train_s": time.perf_counter() - start}))


def crowd(kernels: int, samples: int, hand: bool) -> float:
    """Starts `kernels` processes at once; returns the median of their training times."""
    command = [sys.executable, os.path.abspath(__file__), "--child", "--samples", str(samples)]
    if hand:
        command.append("--hand")
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
                 for _ in range(kernels)]
    times = []
    for process in processes:
        out, err = process.communicate()
        if process.returncode != 0:
            raise SystemExit(f"a kernel failed:\n{out}{err}")
        times.append(json.loads(out.strip().splitlines()[-1])["train_s"])
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kernels", type=int, nargs="+", default=[1, 4], help="processes at once (default 1 4)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each configuration (default 3)")
    parser.add_argument("--samples", type=int, default=50000, help="training images per kernel (default 50,000, the guide's epoch)")
    parser.add_argument("--hand", action="store_true", help="also time NumPy by hand the same way")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.samples, args.hand)
        return 0

    contenders = [("tinyfit", False)] + ([("NumPy by hand", True)] if args.hand else [])
    print(f"The guide's MLP, one epoch of {args.samples:,} images (batch 64) per kernel, verbose=0; "
          f"{args.rounds} round(s), configurations taking turns")
    print(f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), load average {os.getloadavg()[0]:.2f} "
          f"before the run; Python {platform.python_version()}")
    print()
    print(f"{'contender':16}{'kernels':>8}{'default':>10}{'pinned':>10}{'default / pinned':>18}")
    for title, hand in contenders:
        for kernels in args.kernels:
            times = {name: [] for name, _ in CONFIGURATIONS}
            for r in range(args.rounds):
                order = CONFIGURATIONS if r % 2 == 0 else CONFIGURATIONS[::-1]
                for name, threads in order:
                    pin_threads(threads)
                    times[name].append(crowd(kernels, args.samples, hand))
            pin_threads(None)
            ratios = [d / p for d, p in zip(times["default"], times["pinned"])]
            print(f"{title:16}{kernels:>8}{statistics.median(times['default']):>8.2f} s"
                  f"{statistics.median(times['pinned']):>8.2f} s{statistics.median(ratios):>17.2f}x", flush=True)
    print()
    print("Each time is the median over the kernels of one crowd, then over rounds; the ratio is the median of "
          "per-round ratios. Goal for tinyfit: default / pinned <= 1.1x.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
