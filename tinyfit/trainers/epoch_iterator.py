"""Which batches each epoch of fit() sees, and how many steps evaluate/predict take.

The data adapter yields batches pass by pass; this decides how many of them make
an epoch (a full pass, or `steps_per_epoch`), where the next epoch starts, and
stops the pass (and with it any workers) when fit/evaluate/predict ends.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from ..utils.random import get_random_states, set_random_states
from .arguments import check_positive_int


class EpochIterator:
    """The batches of each epoch, as (step, batch) pairs.

    Args:
        adapter: the data adapter (tinyfit/data).
        steps: batches per epoch; None for one full pass of the data.
        continuing: with `steps`, each epoch goes on where the last one stopped and
            a new (reshuffled) pass starts when the data runs out (fit's
            steps_per_epoch; also any reading of a one-shot iterator). Otherwise
            every epoch starts a new pass and takes its first `steps` batches.
        caller, name: for messages ("fit", "steps_per_epoch").
        check: called with the x of the first batch (data not checked up front).
    """

    def __init__(self, adapter: Any, steps: int | None = None, continuing: bool = False, caller: str = "fit",
                 name: str = "steps_per_epoch", check: Callable[[Any], None] | None = None):
        self.adapter = adapter
        self.steps = steps if steps is not None else adapter.num_batches  # None: learned after a pass
        self._fixed = steps
        self._continuing = continuing and steps is not None
        self._caller, self._name = caller, name
        self._check = check
        self._pass: Iterator[tuple] | None = None
        self._given = 0  # batches drawn from the data so far (for a one-shot iterator: all it gave)
        # Where the open pass stands, for a backup: the random states just before it opened
        # (they decide its shuffling order) and how many batches it has given.
        self._pass_states: dict | None = None
        self._position = 0
        self._resume: tuple[dict | None, int] | None = None

    def state(self) -> dict | None:
        """The open pass as {"random": states before it opened, "position": batches given}; None when none is open."""
        if self._pass is None or self._position == 0:
            return None
        return {"random": self._pass_states, "position": self._position}

    def resume(self, state: dict | None, skip: int) -> None:
        """Makes the next epoch continue a backed-up run: reopen the pass `state` describes
        (same random states, hence the same order), pass over the batches it had given, and
        start the epoch at step `skip`."""
        self._resume = (state, skip)

    @property
    def _source(self) -> str:
        return getattr(self.adapter, "source", "the data")

    def next_epoch(self) -> Iterator[tuple[int, tuple]]:
        skip = 0
        if self._resume is not None:
            (state, skip), self._resume = self._resume, None
            if state is not None:
                self._reopen(state)
        if self._fixed is None:
            yield from self._full_pass(skip)
        elif self._continuing:
            for step in range(skip, self._fixed):
                yield step, self._next_continuing(step)
        else:
            yield from self._first_batches()

    def _reopen(self, state: dict) -> None:
        now = get_random_states()
        set_random_states(state["random"])
        self._open_pass()
        for _ in range(state["position"]):
            if next(self._pass, None) is None:
                raise ValueError(f"{self._caller}: the backup says the data had given {state['position']} batches "
                                 f"of this pass, but {self._source} now gives fewer. Resume with the same data, "
                                 "or delete the backup folder to start afresh.")
            self._position += 1
        set_random_states(now)

    def _full_pass(self, skip: int = 0) -> Iterator[tuple[int, tuple]]:
        if self._pass is None:
            self._open_pass()
        step = skip - 1
        try:
            for step, batch in enumerate(self._pass, start=skip):
                yield step, self._counted(batch)
        finally:
            self.close()
        if step == -1:
            raise ValueError(self._empty_message())
        self.steps = step + 1

    def _first_batches(self) -> Iterator[tuple[int, tuple]]:
        self._open_pass()
        try:
            for step in range(self._fixed):
                batch = next(self._pass, None)
                if batch is None:
                    raise ValueError(
                        f"{self._caller}: {self._name}={self._fixed}, but {self._source} gave only {step} "
                        f"batch(es). Lower {self._name}, or leave it out to use all the batches."
                    )
                yield step, self._counted(batch)
        finally:
            self.close()

    def _next_continuing(self, step: int) -> tuple:
        fresh = self._pass is None
        if fresh:
            self._open_pass()
        batch = next(self._pass, None)
        if batch is None and not fresh and not self.adapter.one_shot:
            self._open_pass()  # the data ran out: a new pass, reshuffled when shuffling
            batch = next(self._pass, None)
        if batch is None:
            if self.adapter.one_shot and self._given:
                call = self._caller.split("(")[0]
                per_epoch = " per epoch" if call == "fit" else ""
                raise ValueError(
                    f"{self._caller}: {self._source} ran out of batches: it gave {self._given} batch(es) in this "
                    f"{call}() call, but {self._name}={self._fixed} asks for {self._fixed}{per_epoch} and step "
                    f"{step + 1} found none left. Make it yield more (e.g. loop with `while True:`), or lower "
                    f"{self._name}{' or the epochs' if per_epoch else ''}."
                )
            raise ValueError(self._empty_message())
        return self._counted(batch)

    def _counted(self, batch: tuple) -> tuple:
        if self._check is not None:
            check, self._check = self._check, None
            check(batch[0])
        self._given += 1
        self._position += 1
        return batch

    def _open_pass(self) -> None:
        self.close()
        self._pass_states = get_random_states()
        self._position = 0
        self._pass = self.adapter.batches()

    def _empty_message(self) -> str:
        if self.adapter.one_shot and self._given:
            return (f"{self._caller}: {self._source} has no batches left: an iterator cannot restart, and it gave "
                    f"all its {self._given} batch(es) before. Pass {self._name}=... with an iterator that yields "
                    "enough batches, or a source that restarts (a Dataset, a PyDataset, a DataLoader).")
        return f"{self._caller}: {self._source} gave no batches; it must yield at least one."

    def close(self) -> None:
        """Stops the open pass (and its workers); the next epoch opens a new one."""
        if self._pass is not None:
            opened, self._pass = self._pass, None
            close = getattr(opened, "close", None)
            if close is not None:
                close()


def check_epochs(adapter: Any, epochs: int, steps_per_epoch: int | None, describe: str) -> None:
    """Raises when fit could not run `epochs` epochs over this data without steps_per_epoch."""
    if steps_per_epoch is not None:
        return
    if adapter.infinite:
        raise ValueError(
            f"fit: x is {describe}, which repeats forever, so an epoch would never end. Pass steps_per_epoch=N "
            "(batches per epoch)."
        )
    if adapter.one_shot and epochs > 1:
        raise ValueError(
            f"fit: x is {describe}, which can be read only once, so it cannot restart for each of the {epochs} "
            "epochs. Pass steps_per_epoch=N: each epoch then takes the next N batches (the iterator must yield "
            "epochs x N of them, e.g. loop with `while True:`), or pass a Dataset or PyDataset, which restart."
        )


def check_validations(adapter: Any, validations: int, validation_steps: int | None, describe: str) -> None:
    """Raises before training when a one-shot validation source could feed only the first of several validations."""
    if validation_steps is not None or not adapter.one_shot or validations < 2:
        return
    raise ValueError(
        f"fit(validation_data=...): validation_data is {describe}, which can be read only once, so it cannot "
        f"restart for each of the {validations} validations this fit() runs (one per epoch, or every "
        "validation_freq epochs). Pass validation_steps=N: each validation then takes the next N batches (the "
        "iterator must yield validations x N of them, e.g. loop with `while True:`), or pass a Dataset, "
        "PyDataset or (x_val, y_val) arrays, which restart."
    )


def steps_for(caller: str, name: str, steps: int | None, adapter: Any, describe: str = "the data") -> int | None:
    """How many batches to evaluate/predict on: `steps`, or all of them (None: not known before the pass)."""
    if steps is None:
        if adapter.infinite:
            raise ValueError(f"{caller}: the data is {describe}, which repeats forever; pass {name}=N "
                             "(how many batches to use).")
        return adapter.num_batches
    check_positive_int(caller, name, steps)
    n = adapter.num_batches
    if n is not None and not adapter.one_shot and steps > n:
        holds = (f"{n} batches of {adapter.batch_size} ({adapter.num_samples} samples)"
                 if hasattr(adapter, "num_samples") else f"{n} batches")
        raise ValueError(f"{caller}: {name}={steps} but the data holds only {holds}; use at most {n}.")
    return steps
