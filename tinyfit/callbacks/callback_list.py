"""CallbackList: the loops' one handle on all callbacks, in order."""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from ..utils import declared
from ..utils.log_values import read_logs
from .callback import Callback, Logs
from .history import History
from .progbar_logger import ProgbarLogger


# The batch hooks whose default calls an older name: a callback that defines only the
# older name (on_batch_end) still needs on_train_batch_end called.
_DELEGATES_TO = {"on_train_batch_begin": "on_batch_begin", "on_train_batch_end": "on_batch_end"}


def overrides(callback: Callback, hook: str) -> bool:
    """Whether `callback` does something at `hook`: its class redefines the method, or the
    instance holds its own function for it (as LambdaCallback does). A class that looks its
    attributes up itself (__getattribute__, __getattr__) may answer any hook: it gets them all."""
    kind = type(callback)
    if declared.overrides(kind, object, "__getattribute__") or hasattr(kind, "__getattr__"):
        return True
    names = (hook, _DELEGATES_TO[hook]) if hook in _DELEGATES_TO else (hook,)
    for name in names:
        if name in callback.__dict__ or declared.overrides(kind, Callback, name):
            return True
    return False


class CallbackList(Callback):
    """Calls each hook on every callback that defines it, in the order given.

    History and ProgbarLogger, when asked for and not already in the list,
    are added last, so they see the logs after the user's callbacks changed
    them (ReduceLROnPlateau adds "learning_rate", for instance); only a
    BackupAndRestore comes after them, so that it backs up what they recorded.

    Args:
        callbacks: a Callback or a list of them.
        add_history: add a History (fit does).
        add_progbar: add a ProgbarLogger (fit/evaluate/predict do unless verbose=0).
        model: given to every callback with set_model.
        **params: given to every callback with set_params: verbose, epochs, steps.

    A hook reaches only the callbacks that define it (Callback's own hooks do
    nothing): a step of training then costs nothing for, say, an EarlyStopping
    that acts only at the end of an epoch. Which callbacks define which hook is
    found on the first call of each hook, after set_model and set_params.
    """

    def __init__(self, callbacks: Callback | Iterable[Callback] | None = None, add_history: bool = False,
                 add_progbar: bool = False, model: Any = None, **params: Any):
        super().__init__()
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback) or isinstance(callbacks, type):
            callbacks = [callbacks]
        self.callbacks: list[Callback] = []
        # hook name -> (the callbacks that define it, whether one of them wants the logs as floats)
        self._listeners: dict[str, tuple[list[Callback], bool]] = {}
        self._listed: list[Callback] = []  # self.callbacks as it was when _listeners was filled
        for position, callback in enumerate(callbacks):
            self.append(callback, position)
        self._history = next((c for c in self.callbacks if isinstance(c, History)), None)
        self._progbar = next((c for c in self.callbacks if isinstance(c, ProgbarLogger)), None)
        if add_history and self._history is None:
            self._history = History()
            self.callbacks.append(self._history)
        if add_progbar and self._progbar is None:
            self._progbar = ProgbarLogger()
            self.callbacks.append(self._progbar)
        # A backup (BackupAndRestore) is taken last, once every other callback has seen the
        # batch or epoch, so the state it saves is the state the next batch starts from.
        self.callbacks.sort(key=lambda c: callable(getattr(c, "resume_point", None)))
        if model is not None:
            self.set_model(model)
        if params:
            self.set_params(params)

    def append(self, callback: Callback, position: int | None = None) -> None:
        where = f"callbacks[{position}]" if position is not None else "append"
        if isinstance(callback, type) and issubclass(callback, Callback):
            raise TypeError(
                f"{where} is the class {callback.__name__}, not a callback: write {callback.__name__}(...)."
            )
        if not isinstance(callback, Callback):
            raise TypeError(
                f"{where} is a {type(callback).__name__}, not a tinyfit.callbacks.Callback; subclass "
                "Callback, or wrap functions in LambdaCallback(on_epoch_end=...)."
            )
        self.callbacks.append(callback)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._listeners.clear()
        if self._history is not None:
            model.history = self._history
        for callback in self.callbacks:
            callback.set_model(model)

    def set_params(self, params: dict) -> None:
        super().set_params(params)
        self._listeners.clear()
        for callback in self.callbacks:
            callback.set_params(params)

    def _call(self, hook: str, *args: Any, logs: Logs) -> None:
        # One dict for all: a change a callback makes to the logs is seen by the next ones.
        logs = {} if logs is None else logs
        if self._listed != self.callbacks:  # the list was changed in place since the hooks were sorted out
            self._listeners.clear()
            self._listed = list(self.callbacks)
        found = self._listeners.get(hook)
        if found is None:
            listeners = [c for c in self.callbacks if overrides(c, hook)]
            wants_floats = any(not getattr(c, "reads_logs_lazily", False) for c in listeners)
            found = self._listeners[hook] = (listeners, wants_floats)
        listeners, wants_floats = found
        if wants_floats:
            read_logs(logs)  # in place, in one copy: Python floats for every listener (utils/log_values.py)
        for callback in listeners:
            getattr(callback, hook)(*args, logs)

    def on_train_begin(self, logs: Logs = None) -> None:
        self._call("on_train_begin", logs=logs)

    def on_train_end(self, logs: Logs = None) -> None:
        self._call("on_train_end", logs=logs)

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._call("on_epoch_begin", epoch, logs=logs)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self._call("on_epoch_end", epoch, logs=logs)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call("on_train_batch_begin", batch, logs=logs)

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call("on_train_batch_end", batch, logs=logs)

    def on_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self.on_train_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: Logs = None) -> None:
        self.on_train_batch_end(batch, logs)

    def on_test_begin(self, logs: Logs = None) -> None:
        self._call("on_test_begin", logs=logs)

    def on_test_end(self, logs: Logs = None) -> None:
        self._call("on_test_end", logs=logs)

    def on_test_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call("on_test_batch_begin", batch, logs=logs)

    def on_test_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call("on_test_batch_end", batch, logs=logs)

    def on_predict_begin(self, logs: Logs = None) -> None:
        self._call("on_predict_begin", logs=logs)

    def on_predict_end(self, logs: Logs = None) -> None:
        self._call("on_predict_end", logs=logs)

    def on_predict_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._call("on_predict_batch_begin", batch, logs=logs)

    def on_predict_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._call("on_predict_batch_end", batch, logs=logs)

    def stopped(self) -> None:
        """Ends the progress display of a run that an exception stopped (Ctrl-C, an error).

        Not a hook: the loops call it on the way out, so that the bar's line ends
        ("(stopped)") before the traceback is printed after it.
        """
        if self._progbar is not None:
            self._progbar.stopped()
