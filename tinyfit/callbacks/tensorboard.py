"""TensorBoard: event files of a fit's scalars and weight histograms, for `tensorboard --logdir`."""

from __future__ import annotations

import numbers
import os
import time
import weakref
from typing import Any, Iterator

import numpy

from .. import backend
from .callback import Callback, Logs

_INSTALL_HINT = 'pip install tensorboard (or pip install -e ".[tensorboard]" in a tinyfit checkout)'
_UPDATE_FREQ_CHOICES = '"epoch", "batch" or a positive int (write every N batches)'
_HISTOGRAM_BINS = 30


def _tensorboard_modules() -> tuple[Any, Any, Any, Any]:
    """(EventFileWriter, Summary, HistogramProto, Event), imported only when a TensorBoard callback is made."""
    try:
        from tensorboard.compat.proto.event_pb2 import Event
        from tensorboard.compat.proto.summary_pb2 import HistogramProto, Summary
        from tensorboard.summary.writer.event_file_writer import EventFileWriter
    except ImportError as error:
        raise ImportError(
            f"TensorBoard needs the tensorboard package, which could not be imported ({error}). "
            f"Install it with: {_INSTALL_HINT}"
        ) from None
    return EventFileWriter, Summary, HistogramProto, Event


def _close_writers(writers: dict) -> None:
    # A plain function over the dict (not a method), so weakref.finalize holds no reference to the callback.
    for writer in writers.values():
        writer.close()
    writers.clear()


def _numbers(name: str, value: Any, where: str) -> Iterator[tuple[str, float]]:
    """(tag, float) pairs for one logged value: a number gives one, an array one per element."""
    if isinstance(value, numbers.Real):
        yield name, float(value)
        return
    if isinstance(value, str) or value is None:
        array = None
    else:
        try:
            data = value.numpy() if hasattr(value, "numpy") else backend.to_numpy(value)
            array = numpy.asarray(data, dtype="float64")
        except (TypeError, ValueError):
            array = None
    if array is None:
        raise TypeError(
            f"TensorBoard: the {where} logs hold {name!r} = {value!r} ({type(value).__name__}), which is not a "
            "number; TensorBoard plots numbers only. Log a number (or an array of numbers) under that name, "
            "or leave it out of the logs your train_step/test_step returns."
        )
    if array.size == 1:
        yield name, float(array.reshape(()))
    else:
        for index, element in enumerate(array.reshape(-1)):
            yield f"{name}/{index}", float(element)


class TensorBoard(Callback):
    """Writes TensorBoard event files: the epoch's scalars, the learning rate and weight histograms.

    The files go into two runs, as Keras lays them out: `log_dir/train` (the
    training values, tagged `epoch_loss`, `epoch_<metric>`, `epoch_learning_rate`,
    and the weight histograms, tagged with each weight's path such as
    "dense_1/kernel") and `log_dir/validation` (the val_ values, without the
    prefix: `epoch_loss`, ...). The step of an epoch's values is the epoch,
    counted from 0. Open them with `tensorboard --logdir <log_dir>`.

    Every fit() starts new event files in the same folders; the files are
    flushed after each epoch and closed when training ends.

    Args:
        log_dir: the folder of the runs. Defaults to "logs".
        histogram_freq: write a histogram of every weight every this many
            epochs (at epochs 0, N, 2N, ...); 0 writes none.
        write_graph: accepted for Keras compatibility; tinyfit writes no graph,
            so only False is allowed (draw the model with `tinyfit.utils.plot_model`).
        write_images: the same: only False is allowed.
        write_steps_per_second: also write the training speed, `epoch_steps_per_second`
            (and `batch_steps_per_second` when batches are written).
        update_freq: "epoch" writes once per epoch; "batch" also writes the running
            training values after every batch, tagged `batch_<name>` with the
            number of batches trained so far as the step; an int N does that
            every N batches.
        profile_batch: accepted for Keras compatibility; only 0 (no profiling) is allowed.
        embeddings_freq: accepted for Keras compatibility; only 0 (no embeddings) is allowed.
        embeddings_metadata: accepted for Keras compatibility; only None is allowed.

    Raises:
        ImportError: when the `tensorboard` package is not installed (`pip install tensorboard`).
    """

    def __init__(self, log_dir: str | os.PathLike = "logs", histogram_freq: int = 0, write_graph: bool = False,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: str | int = "epoch",
                 profile_batch: int = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None):
        super().__init__()
        self._writer_class, self._summary, self._histogram_proto, self._event = _tensorboard_modules()
        try:
            self.log_dir = os.fspath(log_dir)
        except TypeError:
            raise TypeError(f"TensorBoard: log_dir must be a folder path (a str or a Path), got {log_dir!r}.") from None
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) or histogram_freq < 0:
            raise ValueError(
                f"TensorBoard: histogram_freq must be an int >= 0 (0 writes no histograms), got {histogram_freq!r}."
            )
        self.histogram_freq = histogram_freq
        self.update_freq = self._check_update_freq(update_freq)
        self.write_steps_per_second = bool(write_steps_per_second)
        self._refuse("write_graph", write_graph, False,
                     "tinyfit does not write a model graph to TensorBoard; draw the model with "
                     "tinyfit.utils.plot_model(model) instead")
        self._refuse("write_images", write_images, False,
                     "tinyfit does not write weights as images to TensorBoard; histogram_freq writes "
                     "their histograms")
        self._refuse("profile_batch", profile_batch, 0, "tinyfit does not profile batches for TensorBoard")
        self._refuse("embeddings_freq", embeddings_freq, 0, "tinyfit does not write embeddings to TensorBoard")
        self._refuse("embeddings_metadata", embeddings_metadata, None,
                     "tinyfit does not write embeddings to TensorBoard")
        self.write_graph = False
        self.write_images = False
        self._writers: dict[str, Any] = {}
        # Closes the files if the callback is dropped or Python exits after a fit that raised
        # (fit() calls on_train_end only when training finishes).
        self._finalizer = weakref.finalize(self, _close_writers, self._writers)
        self._global_train_batch = 0
        self._epoch_batches = 0
        self._epoch_start = 0.0
        self._batch_start = 0.0

    @staticmethod
    def _check_update_freq(update_freq: Any) -> str | int:
        if update_freq in ("epoch", "batch"):
            return 1 if update_freq == "batch" else "epoch"
        if isinstance(update_freq, int) and not isinstance(update_freq, bool) and update_freq > 0:
            return update_freq
        raise ValueError(f"TensorBoard: update_freq must be {_UPDATE_FREQ_CHOICES}; got {update_freq!r}.")

    @staticmethod
    def _refuse(name: str, value: Any, allowed: Any, why: str) -> None:
        if value is allowed or (allowed is not None and value == allowed):
            return
        raise ValueError(f"TensorBoard: {name}={value!r} is not supported: {why}. Pass {name}={allowed!r}.")

    # -- files
    def _writer(self, run: str) -> Any:
        if run not in self._writers:
            folder = os.path.join(self.log_dir, run)
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as error:
                raise OSError(
                    f"TensorBoard: cannot create the log folder {folder!r} ({error.strerror}). "
                    "Pass a log_dir you can write to."
                ) from None
            self._writers[run] = self._writer_class(folder)
        return self._writers[run]

    def _write(self, run: str, step: int, values: list) -> None:
        if values:
            event = self._event(wall_time=time.time(), step=int(step), summary=self._summary(value=values))
            self._writer(run).add_event(event)

    def _scalars(self, prefix: str, logs: dict, where: str) -> list:
        return [self._summary.Value(tag=prefix + tag, simple_value=number)
                for name, value in logs.items() for tag, number in _numbers(name, value, where)]

    def close(self) -> None:
        """Flushes and closes the event files (fit() does this when training ends)."""
        _close_writers(self._writers)

    # -- fit
    def on_train_begin(self, logs: Logs = None) -> None:
        self.close()  # a fit that raised leaves its files open; the new fit starts new ones
        self._global_train_batch = 0
        self._writer("train")

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._epoch_batches = 0
        self._epoch_start = time.perf_counter()

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        self._global_train_batch += 1
        self._epoch_batches += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = self._scalars("batch_", dict(logs or {}), "batch")
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._batch_start, 1e-9)
            values.append(self._summary.Value(tag="batch_steps_per_second", simple_value=1.0 / seconds))
        self._write("train", self._global_train_batch, values)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        logs = dict(logs or {})
        train = {key: value for key, value in logs.items() if not key.startswith("val_")}
        validation = {key[len("val_"):]: value for key, value in logs.items() if key.startswith("val_")}
        if "learning_rate" not in train:  # LearningRateScheduler and ReduceLROnPlateau log it themselves
            optimizer = getattr(self.model, "optimizer", None)
            if optimizer is not None and hasattr(optimizer, "learning_rate"):
                train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second:
            seconds = max(time.perf_counter() - self._epoch_start, 1e-9)
            train["steps_per_second"] = self._epoch_batches / seconds
        self._write("train", epoch, self._scalars("epoch_", train, "epoch"))
        if validation:
            self._write("validation", epoch, self._scalars("epoch_", validation, "epoch"))
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write("train", epoch, self._histograms())
        for writer in self._writers.values():
            writer.flush()

    def on_train_end(self, logs: Logs = None) -> None:
        self.close()

    # -- histograms
    def _histograms(self) -> list:
        weights = getattr(self.model, "weights", None)
        if not weights:
            return []
        values, seen = [], {}
        for weight in weights:
            tag = getattr(weight, "path", None) or getattr(weight, "name", None) or "weight"
            seen[tag] = seen.get(tag, 0) + 1
            if seen[tag] > 1:  # two weights with one path would overwrite each other's plot
                tag = f"{tag}_{seen[tag] - 1}"
            array = numpy.asarray(weight.numpy() if hasattr(weight, "numpy") else weight, dtype="float64")
            finite = array[numpy.isfinite(array)]
            # A weight with no finite value has no histogram to draw; the NaN loss scalars show that epoch.
            if finite.size:
                values.append(self._summary.Value(tag=tag, histo=self._histogram(finite)))
        return values

    def _histogram(self, finite: numpy.ndarray) -> Any:
        """The HistogramProto of `finite` values: bucket i counts the values up to bucket_limit[i]."""
        counts, edges = numpy.histogram(finite, bins=_HISTOGRAM_BINS)
        return self._histogram_proto(
            min=float(finite.min()), max=float(finite.max()), num=float(finite.size),
            sum=float(finite.sum()), sum_squares=float(numpy.dot(finite, finite)),
            bucket_limit=[float(edge) for edge in edges[1:]], bucket=[float(count) for count in counts],
        )
