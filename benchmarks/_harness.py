"""What the end-to-end benchmarks (mnist_mlp.py, cnn.py) share.

Each contender's run happens in its own child process (its memory and page faults
its own, the thread settings fixed before NumPy loads); the runs take turns round
after round in a rotating order, so a busy neighbour slows every contender alike;
the ratios are medians of per-round ratios. PyTorch eager trains its epoch the
same way in both benchmarks.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
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


def torch_epoch(model, optimizer, x_train, y_train, batch_size: int):
    """One PyTorch eager epoch in a fresh random order, cross-entropy on the logits.

    The running loss and accuracy are tracked on the way, as fit() does, so that
    both sides do the same work; returns the number of correct predictions (a tensor).
    """
    import torch
    import torch.nn.functional as F

    order = torch.randperm(len(x_train))
    loss_sum, correct = torch.zeros(()), torch.zeros((), dtype=torch.long)
    for first in range(0, len(x_train), batch_size):
        pick = order[first:first + batch_size]
        x, y = x_train[pick], y_train[pick]
        optimizer.zero_grad(set_to_none=True)
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            loss_sum += loss * len(y)
            correct += (logits.argmax(dim=1) == y).sum()
    return correct


def median_ratio(results: dict, a: str, b: str) -> tuple[float, float] | None:
    """Median and best of the per-round ratios of the last epoch's training time; None if one was skipped."""
    if any("skipped" in r for r in results[a] + results[b]):
        return None
    ratios = [ra["train_s"][-1] / rb["train_s"][-1] for ra, rb in zip(results[a], results[b])]
    return statistics.median(ratios), min(ratios)


def versions(results: dict) -> list[str]:
    """Python's, NumPy's and tinyfit's versions, and PyTorch's where it ran."""
    import numpy as np

    found = [f"Python {platform.python_version()}", f"NumPy {np.__version__}",
             f"tinyfit {results['tinyfit'][0]['version']}"]
    if "version" in results["torch"][0]:
        found.append(f"PyTorch {results['torch'][0]['version']}")
    return found
