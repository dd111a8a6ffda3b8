"""What the end-to-end benchmarks (mnist_mlp.py, cnn.py, lstm_text.py, tiny_transformer.py) share.

Each contender's run happens in its own child process (its memory and page faults
its own, the thread settings fixed before NumPy loads); the runs take turns round
after round in a rotating order, so a busy neighbour slows every contender alike;
the ratios are medians of per-round ratios. PyTorch eager trains its epoch the
same way in each benchmark, and each prints its report through the same table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

ROOT = Path(__file__).resolve().parents[1]
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def pin_threads(threads: int | None) -> None:
    """Sets the BLAS and OpenMP thread counts for the child processes launched afterwards;
    None takes the settings away, so each library (and tinyfit) chooses as it would for a student."""
    for variable in (*THREAD_VARIABLES, "TINYFIT_NUM_THREADS"):
        os.environ.pop(variable, None)
    if threads is not None:
        for variable in THREAD_VARIABLES:
            os.environ[variable] = str(threads)


def thread_configurations(setting: str | None) -> list[tuple[str, int | None]]:
    """The configurations to run, from --threads: both by default (what a student gets, then pinned
    to one thread), or just `default`, or just a pinned count."""
    if setting is None:
        return [("default", None), ("pinned", 1)]
    if setting == "default":
        return [("default", None)]
    try:
        count = int(setting)
    except ValueError:
        count = 0
    if count < 1:
        raise SystemExit(f"--threads takes a whole number of threads (1 or more) or 'default'; got {setting!r}")
    return [("pinned", count)]


def describe_threads(threads: int | None) -> str:
    """The thread setting of a configuration, for the report."""
    if threads is None:
        return ("default: no thread variable set; tinyfit chooses its BLAS threads by timing, NumPy by hand "
                "and PyTorch use their libraries' own counts")
    return f"pinned: {'/'.join(THREAD_VARIABLES)}={threads} and torch.set_num_threads({threads}) for every contender"


def run_configurations(args, names: Sequence[str], titles: dict[str, str], launch_one: Callable[[str], dict],
                       report: Callable[[dict, float], None]) -> list[tuple[str, int | None, dict]]:
    """Each thread configuration of --threads in turn: its rounds, then its report.

    Returns (label, threads, results) for each, for a summary side by side.
    """
    done = []
    for label, threads in thread_configurations(args.threads):
        pin_threads(threads)
        args.pinned = threads  # the reports say which configuration they show
        load_before = os.getloadavg()[0]
        print(f"== {label}", file=sys.stderr, flush=True)
        results = run_rounds(list(names), args.rounds, args.epochs, titles, launch_one)
        print()
        print(f"==== {label} ====")
        report(results, load_before)
        done.append((label, threads, results))
    return done


def torch_threads() -> None:
    """PyTorch's intra-op threads as the configuration says (a pinned count, else PyTorch's own choice)."""
    import torch

    if os.environ.get("OMP_NUM_THREADS"):
        torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))


def page_faults() -> int:
    """Minor page faults of this process so far: memory the allocator took back from the system."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def launch(script: str, name: str, title: str, options: list[str]) -> dict:
    """Runs `script --contender name *options` in a fresh process and returns the result it printed.

    The child prints its result as JSON on its last line of output.
    """
    command = [sys.executable, str(Path(script).resolve()), "--contender", name, *options]
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"The {title} run failed:\n{done.stdout}{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def run_rounds(names: Sequence[str], rounds: int, epochs: int, titles: dict[str, str],
               launch_one: Callable[[str], dict]) -> dict[str, list[dict]]:
    """Each of `names` once a round, the first one moving to the back every round; a line per run on stderr."""
    results: dict[str, list[dict]] = {n: [] for n in names}
    for r in range(rounds):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            results[name].append(launch_one(name))
            last = results[name][-1]
            print(f"round {r + 1}/{rounds}: {titles[name]:14} epoch {epochs} "
                  + (last["skipped"] if "skipped" in last else f"{last['train_s'][-1]:.2f} s"),
                  file=sys.stderr, flush=True)
    return results


def torch_epoch(model, optimizer, x_train, y_train, batch_size: int, loss_fn=None, hits=None):
    """One PyTorch eager epoch in a fresh random order; cross-entropy on the logits and argmax hits
    unless `loss_fn(logits, y)` and `hits(logits, y)` say otherwise.

    The running loss and accuracy are tracked on the way, as fit() does, so that
    both sides do the same work; returns the mean loss and the number of correct predictions (tensors).
    """
    import torch
    import torch.nn.functional as F

    loss_fn = loss_fn or F.cross_entropy
    hits = hits or (lambda logits, y: (logits.argmax(dim=1) == y).sum())
    order = torch.randperm(len(x_train))
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
    for first in range(0, len(x_train), batch_size):
        pick = order[first:first + batch_size]
        x, y = x_train[pick], y_train[pick]
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = loss_fn(logits, y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss * len(y)
            correct += hits(logits, y)
    return loss_sum / len(x_train), correct


def timed_epochs(epochs: int, one_epoch: Callable[[], object]) -> tuple[list[float], list[int], object]:
    """Runs one_epoch() `epochs` times: each one's seconds and page faults, and what the last one returned."""
    train_s, faults, last = [], [], None
    for _ in range(epochs):
        start, start_faults = time.perf_counter(), page_faults()
        last = one_epoch()
        train_s.append(time.perf_counter() - start)
        faults.append(page_faults() - start_faults)
    return train_s, faults, last


def epoch_timer():
    """A fit() callback that records each epoch's training time, first batch to last, and the page faults in it
    (in .train and .faults). tinyfit must be importable already: the caller put the checkout on sys.path."""
    import tinyfit as keras

    class EpochTimer(keras.callbacks.Callback):
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

    return EpochTimer()


def step_mode(model) -> str:
    """Whether fit() replayed a compiled step or ran eagerly, and why, for the report."""
    step = getattr(model, "_compiled_step", None)
    if step is None:
        return "eager"
    why = getattr(step, "eager_because", None)
    return "compiled" if why is None else f"eager ({why})"


def check_loss_falls(model, x, y, what: str) -> str:
    """tinyfit's loss on one batch is finite and falls over 5 steps of a compiled model; else nothing is timed."""
    import numpy as np

    losses = [float(np.asarray(model.train_on_batch(x, y)[0])) for _ in range(5)]
    if not (all(np.isfinite(losses)) and losses[-1] < losses[0]):
        raise SystemExit(f"tinyfit's {what} does not train: losses over 5 steps on one batch {losses}; "
                         "nothing is timed until it does")
    return f"tinyfit's loss falls over 5 steps on one batch ({losses[0]:.4f} -> {losses[-1]:.4f})"


def median_ratio(results: dict, a: str, b: str) -> tuple[float, float, float] | None:
    """Median, best and worst of the per-round ratios of the last epoch's training time; None if one was
    skipped."""
    if any("skipped" in r for r in results[a] + results[b]):
        return None
    ratios = [ra["train_s"][-1] / rb["train_s"][-1] for ra, rb in zip(results[a], results[b])]
    return statistics.median(ratios), min(ratios), max(ratios)


def versions(results: dict) -> list[str]:
    """Python's, NumPy's and tinyfit's versions, and PyTorch's where it ran."""
    import numpy as np

    found = [f"Python {platform.python_version()}", f"NumPy {np.__version__}",
             f"tinyfit {results['tinyfit'][0]['version']}"]
    if "version" in results["torch"][0]:
        found.append(f"PyTorch {results['torch'][0]['version']}")
    return found


# ================================================================ the parent
def parser(description: str, contenders: Sequence[str], *, train_samples: int, train_samples_help: str,
           rounds: int = 3, quick_help: str = "one round of each configuration",
           profile: bool = True) -> argparse.ArgumentParser:
    """The options every CPU benchmark takes; a script adds its own after these (hidden ones anywhere).

    With `profile`, --profile asks for a cProfile of one tinyfit epoch after the rounds, and the hidden
    --profile-run is that profile's child process.
    """
    made = argparse.ArgumentParser(description=description)
    made.add_argument("--rounds", type=int, default=rounds, help=f"runs of each contender (default {rounds})")
    made.add_argument("--epochs", type=int, default=2, help="epochs per run; the last one is timed (default 2)")
    made.add_argument("--threads", default=None,
                      help="'default' (no thread setting, as a student runs), or a count to pin every contender "
                           "to; without it, both: default, then pinned to 1")
    made.add_argument("--quick", action="store_true", help=quick_help)
    if profile:
        made.add_argument("--profile", action="store_true",
                          help="after the rounds, cProfile one tinyfit epoch in a fresh process with the last "
                               "configuration's threads (top 20 by own time)")
    made.add_argument("--seed", type=int, default=1337)
    made.add_argument("--train-samples", type=int, default=train_samples, help=train_samples_help)
    made.add_argument("--contender", choices=contenders, help=argparse.SUPPRESS)  # one run, in a child process
    if profile:
        made.add_argument("--profile-run", action="store_true", help=argparse.SUPPRESS)  # the profile's child
    return made


def launch_one(script: str, name: str, titles: dict[str, str], args, more: Sequence[str] = ()) -> dict:
    """One run of contender `name` in a child process, with the parent's --epochs, --seed and --train-samples."""
    return launch(script, name, titles[name], ["--epochs", str(args.epochs), "--seed", str(args.seed),
                                               "--train-samples", str(args.train_samples), *more])


def threads_in_use() -> int | None:
    """The pinned thread count this process was started with, None when nothing was set."""
    setting = os.environ.get("OMP_NUM_THREADS")
    return int(setting) if setting else None


def profile_fit(model, x, y, batch_size: int) -> None:
    """cProfile of one epoch of a compiled model's fit() after a warm-up epoch, top 20 functions by own time."""
    import cProfile
    import pstats

    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0)
    profiler = cProfile.Profile()
    profiler.runcall(model.fit, x, y, batch_size=batch_size, epochs=1, verbose=0)
    print(f"cProfile of one tinyfit epoch ({len(x) // batch_size} steps, step {step_mode(model)}), "
          f"top 20 by own time; threads: {describe_threads(threads_in_use())}")
    pstats.Stats(profiler).sort_stats("tottime").print_stats(20)


def profile_in_child(script: str, seed: int) -> None:
    """Runs `script --profile-run` and prints what it printed: a fresh process, since this one has loaded
    NumPy and PyTorch with other thread settings."""
    command = [sys.executable, str(Path(script).resolve()), "--profile-run", "--seed", str(seed)]
    profiled = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
    print(profiled.stdout + profiled.stderr)


@dataclass
class Column:
    """A column of the results table: the median (or other figure) of a contender's runs, right-aligned
    in `width` characters with `unit` after the number."""

    header: str
    width: int
    value: Callable[[list[dict]], float]
    spec: str
    unit: str = ""

    def cell(self, runs: list[dict]) -> str:
        return f"{self.value(runs):>{self.width - len(self.unit)}{self.spec}}{self.unit}"


def median_of(key: str) -> Callable[[list[dict]], float]:
    return lambda runs: statistics.median(r[key] for r in runs)


def timing_columns(ms_width: int = 10, ms_spec: str = ".1f", faults_spec: str = ".0f") -> list[Column]:
    """The last epoch's training time (median and best), per step, and its page faults per step."""
    train = lambda runs: statistics.median(r["train_s"][-1] for r in runs)  # noqa: E731
    return [Column("train epoch", 13, train, ".2f", " s"),
            Column("best", 9, lambda runs: min(r["train_s"][-1] for r in runs), ".2f", " s"),
            Column("ms/step", ms_width, lambda runs: train(runs) / runs[0]["steps"] * 1e3, ms_spec),
            Column("faults/step", 13,
                   lambda runs: statistics.median(r["faults"][-1] for r in runs) / runs[0]["steps"], faults_spec)]


def print_table(results: dict, titles: dict[str, str], columns: Sequence[Column]) -> None:
    """A row a contender (in the order of `titles`), a column each; a skipped contender says why."""
    print(f"{'contender':16}" + "".join(f"{c.header:>{c.width}}" for c in columns))
    for name, title in titles.items():
        runs = results[name]
        if "skipped" in runs[0]:
            print(f"{title:16}  skipped: {runs[0]['skipped']}")
            continue
        print(f"{title:16}" + "".join(c.cell(runs) for c in columns))


def ratio_line(results: dict, epochs: int, goal: float | None = None) -> str:
    """tinyfit's last epoch against PyTorch eager's: the median and best per-round ratio, and the goal if any."""
    ratio = median_ratio(results, "tinyfit", "torch")
    if ratio is None:
        return (f"tinyfit / PyTorch eager: n/a (PyTorch skipped: {results['torch'][0]['skipped']})"
                + ("" if goal is None else f"; goal <= {goal}x"))
    rounds = len(results["tinyfit"])
    met = "" if goal is None else (f"; goal <= {goal}x: {'met' if ratio[2] <= goal else 'NOT met'} in every round"
                                   if rounds > 1 else f"; goal <= {goal}x: {'met' if ratio[0] <= goal else 'NOT met'}")
    return (f"tinyfit / PyTorch eager, epoch {epochs}: median {ratio[0]:.2f}x, "
            f"spread {ratio[1]:.2f}x-{ratio[2]:.2f}x over {rounds} round(s)" + met)


def report(results: dict, args, load_before: float, title: str, notes: Sequence[str], titles: dict[str, str],
           columns: Sequence[Column], goal: float | None = None) -> None:
    """One configuration's report: the script's title, the rounds, threads and machine, the script's notes,
    the results table and tinyfit's ratio to PyTorch eager."""
    print(title)
    print(f"{args.rounds} round(s), contenders in rotating order, each run in its own process; "
          f"the figures are from epoch {args.epochs}")
    print(f"Threads: {describe_threads(args.pinned)}")
    print(f"Machine: {os.cpu_count()} CPUs ({platform.machine()}), load average {load_before:.2f} before the run, "
          f"{os.getloadavg()[0]:.2f} after; " + ", ".join(versions(results)))
    for note in notes:
        print(note)
    print()
    print_table(results, titles, columns)
    print()
    print(ratio_line(results, args.epochs, goal))


def print_summary(done: list, goal: float | None = None) -> None:
    """A line a thread configuration: tinyfit's median ratio to PyTorch eager (and the goal if any)."""
    for label, threads, results in done:
        ratio = median_ratio(results, "tinyfit", "torch")
        print(f"{label if threads is None else f'{label} {threads}':10} tinyfit / PyTorch eager: "
              + ("n/a" if ratio is None else f"{ratio[0]:.2f}x") + ("" if goal is None else f" (goal <= {goal}x)"))


def compare(script: str, args, titles: dict[str, str], columns: Sequence[Column], title: Callable[[dict], str],
            notes: Callable[[dict], list[str]], goal: float | None = None, more: Sequence[str] = ()) -> None:
    """The parent's work: each thread configuration's rounds of `script`'s contenders and its report, then the
    configurations' summary, then the profile if --profile asked for one.

    `title` and `notes` make the report's own lines from tinyfit's first run; `more` are options for each child.
    """
    def report_one(results: dict, load_before: float) -> None:
        first = results["tinyfit"][0]
        report(results, args, load_before, title(first), notes(first), titles, columns, goal)

    done = run_configurations(args, list(titles), titles, lambda name: launch_one(script, name, titles, args, more),
                              report_one)
    print()
    print_summary(done, goal)
    if getattr(args, "profile", False):
        profile_in_child(script, args.seed)
