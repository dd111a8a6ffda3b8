"""What a lesson's check cell is made of.

A check runs a student's answer on cases drawn afresh every time (so numbers copied
from the lesson's example cannot pass), compares it with a reference, and fails with
a `CheckFailed` that says what is wrong and gives a hint, never the expected answer.
An answer that is still nbgrader's stub (`raise NotImplementedError()`) fails with
`NotDone`, so an untouched notebook runs top to bottom and grades zero.

The guards (`by_hand`, `without`) fail a check when the answer calls the tinyfit
pieces the exercise is about. They swap the code of those functions for a small
trampoline while the answer runs, so a call is seen whichever thread makes it and
however the function was reached (an alias taken earlier, a bound method, `super()`).
"""

from __future__ import annotations

import builtins
import contextlib
import gc
import secrets
import sys
import threading
import traceback
import types
from typing import Any, Callable, Iterable, Iterator

import numpy as np


class CheckFailed(AssertionError):
    """A check's verdict on a wrong answer: what is wrong and a hint, in one message."""

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of the traceback: the check's own code, with the
        # reference it compares against and its hidden cases, is not part of the lesson. An
        # error raised by the answer itself keeps the part of its traceback that is the
        # answer's: the frames after the check cell's own.
        cause, lines = self.__cause__, []
        if cause is not None and not isinstance(cause, CheckFailed):
            frames = cause.__traceback__
            while frames is not None and frames.tb_frame.f_code.co_filename == __file__:
                frames = frames.tb_next  # the guard's own frames
            check_cell = frames.tb_frame.f_code.co_filename if frames is not None else None
            while frames is not None and frames.tb_frame.f_code.co_filename == check_cell:
                frames = frames.tb_next
            lines = traceback.format_exception(type(cause), cause, frames)
        return [line.rstrip("\n") for line in lines] + [f"{type(self).__name__}: {self}"]


class NotDone(CheckFailed):
    """The answer cell still holds its stub: the exercise has not been attempted."""


def verify(condition: Any, message: str) -> None:
    """Raises `CheckFailed(message)` unless `condition` holds (an `assert` that survives `python -O`)."""
    if not condition:
        raise CheckFailed(message)


@contextlib.contextmanager
def exercise(title: str, answer: str) -> Iterator[None]:
    """Runs a check's calls into the answer; nbgrader's unfilled stub becomes `NotDone`.

    Args:
        title: how the lesson names the exercise, e.g. "Exercise 2".
        answer: the name the student fills in, e.g. "epoch_accuracy".
    """
    try:
        yield
    except NotImplementedError as error:
        raise NotDone(f"{title} is not done yet: {answer} still raises NotImplementedError. Replace "
                      "`raise NotImplementedError()` in the answer cell above with your code, run that "
                      "cell, then run this check again.") from None


@contextlib.contextmanager
def failing_as(what: str) -> Iterator[None]:
    """Turns an error raised by the answer into a `CheckFailed` that says where, keeping its traceback.

    Args:
        what: what the answer was doing, e.g. "load_by_hand on the file of a functional model".
    """
    try:
        yield
    except (CheckFailed, NotImplementedError):
        raise
    except Exception as error:
        raise CheckFailed(f"{what} failed: {type(error).__name__}: {error}") from error


def fresh_seed() -> int:
    """A seed drawn from the operating system: a different case on every run of a check."""
    return secrets.randbits(32)


def fresh_rng() -> np.random.Generator:
    """A NumPy generator with a `fresh_seed()`."""
    return np.random.default_rng(fresh_seed())


# ----------------------------------------------------------------------- guards
_PLACEHOLDER = "\0tinyfit-check-key"
_HOOK = "__tinyfit_check_guard__"
_trampolines: dict[int, types.CodeType] = {}  # by number of free variables


def _trampoline(n_free: int) -> types.CodeType:
    # A function's code can only be swapped for code with as many free variables as its
    # closure has cells; the dead branch makes `_c0`... free without ever reading them.
    if n_free not in _trampolines:
        names = [f"_c{i}" for i in range(n_free)]
        source = (
            "def _outer():\n"
            + "".join(f"    {name} = None\n" for name in names)
            + "    def _trampoline(*args, **kwargs):\n"
            + (f"        if args is None: ({', '.join(names)},)\n" if names else "")
            + f"        return {_HOOK}({_PLACEHOLDER!r}, args, kwargs)\n"
            + "    return _trampoline\n"
        )
        outer = compile(source, "<tinyfit.course.checks>", "exec").co_consts
        (inner,) = [c for c in outer if isinstance(c, types.CodeType)]
        (code,) = [c for c in inner.co_consts if isinstance(c, types.CodeType)]
        _trampolines[n_free] = code
    return _trampolines[n_free]


def _functions_of(piece: Any) -> Iterable[types.FunctionType]:
    """The Python functions that running `piece` (a function, a class or a module) may enter."""
    if isinstance(piece, types.FunctionType):
        yield piece
    elif isinstance(piece, types.MethodType):
        yield from _functions_of(piece.__func__)
    elif isinstance(piece, (staticmethod, classmethod)):
        yield from _functions_of(piece.__func__)
    elif isinstance(piece, property):
        for accessor in (piece.fget, piece.fset, piece.fdel):
            yield from _functions_of(accessor)
    elif isinstance(piece, type):
        for member in vars(piece).values():
            if not isinstance(member, type):  # nested classes are listed where they are defined
                yield from _functions_of(member)
    elif isinstance(piece, types.ModuleType):
        for member in vars(piece).values():
            if getattr(member, "__module__", None) == piece.__name__:
                yield from _functions_of(member)


def _tinyfit_modules() -> list[types.ModuleType]:
    return [module for name, module in list(sys.modules.items())
            if module is not None and (name == "tinyfit" or name.startswith("tinyfit."))
            and not name.startswith("tinyfit.course")]


class _Watch:
    """Swaps the code of `functions` for trampolines that note each call, then calls through."""

    def __init__(self, functions: Iterable[types.FunctionType], label: Callable[[types.FunctionType], str]):
        self.functions = list({id(f): f for f in functions}.values())
        self.label = label
        self.calls: list[tuple[str, str]] = []
        self._originals: list[tuple[types.FunctionType, types.CodeType, types.FunctionType]] = []

    def _hook(self, key: int, args: tuple, kwargs: dict) -> Any:
        function, _, call_through = self._originals[key]
        self.calls.append((self.label(function), threading.current_thread().name))
        return call_through(*args, **kwargs)

    def __enter__(self) -> "_Watch":
        if getattr(builtins, _HOOK, None) is not None:
            raise RuntimeError("a check's guard is already running: guards do not nest")
        # Garbage left by earlier cells may hold tinyfit objects whose finalizers call tinyfit
        # (a TensorBoard callback closes its files). Collected while the answer runs, those calls
        # would count as the answer's; so the collector stays off until the answer ends. (Not a
        # gc.collect() first: over a big heap it costs a second per guard.)
        self._gc_was_enabled = gc.isenabled()
        setattr(builtins, _HOOK, self._hook)  # found by the trampolines from any module's globals
        try:
            gc.disable()
            for key, function in enumerate(self.functions):
                code = function.__code__
                call_through = types.FunctionType(code, function.__globals__, function.__name__,
                                                  function.__defaults__, function.__closure__)
                call_through.__kwdefaults__ = function.__kwdefaults__
                trampoline = _trampoline(len(code.co_freevars))
                consts = tuple(key if c == _PLACEHOLDER else c for c in trampoline.co_consts)
                self._originals.append((function, code, call_through))
                function.__code__ = trampoline.replace(co_consts=consts, co_name=code.co_name,
                                                       co_qualname=code.co_qualname)
        except BaseException:  # Ctrl-C halfway through: nothing may stay swapped
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for function, code, _ in self._originals:
            function.__code__ = code
        delattr(builtins, _HOOK)
        if self._gc_was_enabled:
            gc.enable()


def _where(thread: str) -> str:
    return "" if thread == threading.current_thread().name else f" (from thread {thread!r})"


@contextlib.contextmanager
def calls_to(*pieces: Any) -> Iterator[list[tuple[str, str]]]:
    """Yields a list that gathers every call into `pieces` made inside, as (name, thread) pairs.

    For checks that count rather than forbid (say, how many times an answer copies a
    device array back to the host); seen in every thread, however the piece is reached.

    Args:
        *pieces: functions, classes (any of their methods) or modules.
    """
    owner: dict[int, str] = {}
    for piece in pieces:
        for function in _functions_of(piece):
            owner.setdefault(id(function), getattr(piece, "__name__", repr(piece)))
    functions = [f for piece in pieces for f in _functions_of(piece)]
    with _Watch(functions, lambda function: owner[id(function)]) as watch:
        yield watch.calls


@contextlib.contextmanager
def by_hand(what: str) -> Iterator[None]:
    """Fails the check if the code run inside calls any function of tinyfit, in any thread.

    Args:
        what: the answer's name, for the message.
    """
    def label(function: types.FunctionType) -> str:
        return f"{function.__module__}.{function.__qualname__}"

    functions = [f for module in _tinyfit_modules() for f in _functions_of(module)]
    with _Watch(functions, label) as watch:
        yield
    if watch.calls:
        name, thread = watch.calls[0]
        raise CheckFailed(f"{what} called tinyfit ({name}){_where(thread)}; the exercise is to write it by "
                          "hand, with Python and NumPy")


@contextlib.contextmanager
def without(what: str, *pieces: Any) -> Iterator[None]:
    """Fails the check if the code run inside uses one of tinyfit's `pieces`, in any thread.

    Args:
        what: the answer's name, for the message.
        *pieces: functions, classes (any of their methods) or modules the answer must not use.
    """
    with calls_to(*pieces) as calls:
        yield
    if calls:
        name, thread = calls[0]
        raise CheckFailed(f"{what} used tinyfit's {name}{_where(thread)}; the exercise is to write that piece "
                          "yourself")


def borrowed_from_library(cls: type, base: type) -> list[str]:
    """The tinyfit classes `cls` inherits from other than `base` and what `base` builds on."""
    return [k.__name__ for k in cls.__mro__[1:]
            if k.__module__.startswith("tinyfit") and k not in base.__mro__]
