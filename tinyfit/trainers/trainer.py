"""Trainer: compile(), fit(), evaluate(), predict() and the steps they repeat.

`Model` inherits this mixin, so the loop lives here and not in the model. The
division of work follows Keras:

    data adapter    x, y, sample_weight -> NumPy batches (tinyfit/data)
    Trainer         epochs, validation, callbacks, and for each batch one
                    train_step / test_step / predict_step

Override `train_step(data)` to change what one step does; fit() keeps the rest.
"""

from __future__ import annotations

from typing import Any

import numpy

from .. import backend
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..autograd import Tensor, no_grad
from ..callbacks import CallbackList
from ..data import flatten, get_data_adapter, map_structure, split_validation, unpack_x_y_sample_weight
from .compile_utils import CompileLoss, CompileMetrics, to_float


class Trainer:
    """The Keras training API, mixed into Model."""

    # Class-level defaults, so the mixin needs no __init__ of its own: a model is
    # "not compiled" until compile() sets these on the instance.
    compiled = False
    optimizer = None
    loss = None
    stop_training = False
    history = None
    _compile_loss = None
    _compile_metrics = None
    _loss_tracker = None

    # --------------------------------------------------------------- compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto", auto_scale_loss: bool = True) -> None:
        """Configures the model for training.

        Args:
            optimizer: an Optimizer or its name ("rmsprop", "adam", ...).
            loss: a Loss, a function, a name, or a list/dict of them (one per output);
                None when the model adds its own losses with add_loss().
            loss_weights: scales each output's loss (list or dict, like loss).
            metrics: metrics to report (names, Metric objects or functions; a list, or
                a list of lists / dict for several outputs). "accuracy" picks the
                variant that fits the targets.
            run_eagerly, steps_per_execution, jit_compile, auto_scale_loss: accepted
                for Keras compatibility; tinyfit always runs eagerly, one step at a time.
        """
        if weighted_metrics is not None:
            raise NotImplementedError("compile(weighted_metrics=...) is not supported yet; use metrics=.")
        self.optimizer = optimizers_module.get(optimizer)
        self.loss = loss
        names = self._output_names_for_compile()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(
            metrics, names, self._compile_loss.losses if self._compile_loss else None)
        self._loss_tracker = metrics_module.Mean(name="loss")
        self.compiled = True

    def _output_names_for_compile(self) -> list[str]:
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output"]

    def _assert_compiled(self, caller: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{caller}: the model must be compiled first. Call model.compile(optimizer=..., loss=..., "
                "metrics=[...]) before fit(), evaluate() or train_on_batch()."
            )

    # --------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list[Any]:
        """The loss tracker followed by the compiled metrics."""
        found = [self._loss_tracker] if self._loss_tracker is not None else []
        if self._compile_metrics is not None:
            found += self._compile_metrics.metrics
        return found

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    def get_metrics_result(self) -> dict[str, float]:
        """Every metric's current value, as floats keyed by name."""
        return {m.name: to_float(m.result()) for m in self.metrics}

    # ------------------------------------------------------------ the steps
    def compute_loss(self, x: Any = None, y: Any = None, y_pred: Any = None, sample_weight: Any = None,
                     training: bool = True) -> Tensor:
        """The compiled loss plus every loss the layers added (add_loss, regularizers)."""
        total = None
        if self._compile_loss is not None:
            total, _ = self._compile_loss(y, y_pred, sample_weight)
        for extra in self.losses:
            total = extra if total is None else total + extra
        if total is None:
            raise ValueError(
                "No loss to minimize: compile() was given no loss and the model added none with "
                "add_loss(). Pass loss=... to compile()."
            )
        return total

    def compute_metrics(self, x: Any, y: Any, y_pred: Any, sample_weight: Any = None) -> dict[str, float]:
        if y is not None and self._compile_metrics is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def train_step(self, data: Any) -> dict[str, float]:
        """One optimization step on one batch: forward, loss, backward, update."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=True)
        self._loss_tracker.update_state(loss.detach(), sample_weight=_batch_size(x))
        variables = self.trainable_weights
        for v in variables:
            v.grad = None
        loss.backward()
        with no_grad():
            self.optimizer.apply([v.grad for v in variables], variables)
        for v in variables:
            v.grad = None  # the gradients are used up; holding them wastes memory
        with no_grad():
            return self.compute_metrics(x, y, y_pred.detach() if isinstance(y_pred, Tensor) else
                                        map_structure(lambda t: t.detach(), y_pred), sample_weight)

    def test_step(self, data: Any) -> dict[str, float]:
        """One evaluation step: forward and metrics, no gradient."""
        x, y, sample_weight = unpack_x_y_sample_weight(data)
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.compute_loss(x=x, y=y, y_pred=y_pred, sample_weight=sample_weight, training=False)
            self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
            return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data: Any) -> Any:
        x, _, _ = unpack_x_y_sample_weight(data)
        with no_grad():
            return self(x, training=False)

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1):
        """Trains the model for `epochs` passes over the data.

        Returns:
            A History callback whose `.history` maps each logged name ("loss",
            "val_loss", metric names) to its per-epoch values.
        """
        self._assert_compiled("fit")
        _check_positive_int("fit", "epochs", epochs)
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split)
        elif validation_split and not 0.0 < validation_split < 1.0:
            split_validation(x, y, sample_weight, validation_split)  # raises with the message
        adapter = get_data_adapter(x, y, sample_weight, batch_size, shuffle, class_weight, caller="fit")
        steps = _steps("fit", "steps_per_epoch", steps_per_epoch, adapter)
        val_adapter = None
        if validation_data is not None:
            vx, vy, vsw = _unpack_validation(validation_data)
            val_adapter = get_data_adapter(vx, vy, vsw, validation_batch_size or batch_size, False,
                                           caller="fit(validation_data=...)")

        callbacks = _callback_list(callbacks, self, verbose, epochs=epochs, steps=steps)
        self.stop_training = False
        callbacks.on_train_begin()
        logs: dict[str, float] = {}
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            callbacks.on_epoch_begin(epoch)
            for step, batch in _take(adapter.batches(), steps):
                callbacks.on_train_batch_begin(step)
                logs = self.train_step(self._to_tensors(batch, "fit"))
                callbacks.on_train_batch_end(step, logs)
                if self.stop_training:
                    break
            logs = self.get_metrics_result()
            if val_adapter is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._evaluate_adapter(val_adapter, validation_steps, callbacks)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            callbacks.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        callbacks.on_train_end(logs)
        self.history = _history_of(callbacks)
        return self.history

    # ------------------------------------------------------------- evaluate
    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, steps: int | None = None, callbacks: Any = None,
                 return_dict: bool = False):
        """The loss and metrics on the given data.

        Returns:
            A list in the order of `metrics_names` (a single float when there is
            only the loss), or a dict when `return_dict=True`.
        """
        self._assert_compiled("evaluate")
        adapter = get_data_adapter(x, y, sample_weight, batch_size, False, caller="evaluate")
        n = _steps("evaluate", "steps", steps, adapter)
        callbacks = _callback_list(callbacks, self, verbose, epochs=1, steps=n, add_history=False)
        logs = self._evaluate_adapter(adapter, steps, callbacks, own_run=True)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names if name in logs]
        return values[0] if len(values) == 1 else values

    def _evaluate_adapter(self, adapter, steps, callbacks, own_run: bool = False) -> dict[str, float]:
        self.reset_metrics()
        callbacks.on_test_begin()
        logs: dict[str, float] = {}
        for step, batch in _take(adapter.batches(), _steps("evaluate", "steps", steps, adapter)):
            callbacks.on_test_batch_begin(step)
            logs = self.test_step(self._to_tensors(batch, "evaluate"))
            callbacks.on_test_batch_end(step, logs)
        logs = self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    # -------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None):
        """The model's outputs for `x`, as NumPy arrays (a list/dict for several outputs)."""
        adapter = get_data_adapter(x, None, None, batch_size, False, caller="predict")
        n = _steps("predict", "steps", steps, adapter)
        callbacks = _callback_list(callbacks, self, verbose, epochs=1, steps=n, add_history=False)
        callbacks.on_predict_begin()
        outputs = []
        for step, batch in _take(adapter.batches(), n):
            callbacks.on_predict_batch_begin(step)
            out = self.predict_step(self._to_tensors(batch, "predict"))
            out = map_structure(lambda t: t.numpy() if isinstance(t, Tensor) else numpy.asarray(t), out)
            outputs.append(out)
            callbacks.on_predict_batch_end(step, {"outputs": out})
        callbacks.on_predict_end()
        return _concatenate(outputs)

    # ---------------------------------------------------- on a single batch
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False):
        """One training step on exactly this batch; returns the metrics after it."""
        self._assert_compiled("train_on_batch")
        adapter = get_data_adapter(x, y, sample_weight, None, False, class_weight, caller="train_on_batch")
        self.reset_metrics()
        batch = (adapter.x, adapter.y, adapter.sample_weight)
        logs = self.train_step(self._to_tensors(batch, "train_on_batch"))
        return logs if return_dict else _as_list(logs, self.metrics_names)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False):
        self._assert_compiled("test_on_batch")
        adapter = get_data_adapter(x, y, sample_weight, None, False, caller="test_on_batch")
        self.reset_metrics()
        logs = self.test_step(self._to_tensors((adapter.x, adapter.y, adapter.sample_weight), "test_on_batch"))
        return logs if return_dict else _as_list(logs, self.metrics_names)

    def predict_on_batch(self, x: Any):
        adapter = get_data_adapter(x, None, None, None, False, caller="predict_on_batch")
        out = self.predict_step(self._to_tensors((adapter.x, None, None), "predict_on_batch"))
        return map_structure(lambda t: t.numpy(), out)

    # ---------------------------------------------------------------- data
    def _to_tensors(self, batch: tuple, caller: str) -> tuple:
        """A NumPy batch as Tensors on the backend's device (moved one batch at a time)."""
        x, y, sample_weight = batch
        check = getattr(self, "check_input_data", None)
        if check is not None:
            check(x, caller)
        device = backend.default_device()

        def inputs(a):
            a = a if a.dtype.kind == "f" else a.astype("float32")  # pixels as uint8 are still values
            return Tensor(backend.to_device(a, device))

        def targets(a):
            return Tensor(backend.to_device(a, device))

        return (map_structure(inputs, x), map_structure(targets, y), map_structure(targets, sample_weight))


# ------------------------------------------------------------------ helpers
def _batch_size(x: Any) -> int:
    return int(flatten(x)[0].shape[0])


def _check_positive_int(caller: str, name: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{caller}: {name} must be a whole number >= 1, got {value!r}.")


def _steps(caller: str, name: str, steps: int | None, adapter) -> int:
    if steps is None:
        return adapter.num_batches
    _check_positive_int(caller, name, steps)
    if steps > adapter.num_batches:
        raise ValueError(
            f"{caller}: {name}={steps} but the data holds only {adapter.num_batches} batches of "
            f"{adapter.batch_size} ({adapter.num_samples} samples); use at most {adapter.num_batches}."
        )
    return steps


def _take(batches, n: int):
    for step, batch in enumerate(batches):
        if step >= n:
            break
        yield step, batch


def _unpack_validation(validation_data: Any):
    if isinstance(validation_data, (tuple, list)) and len(validation_data) in (2, 3):
        x, y, *rest = validation_data
        return x, y, rest[0] if rest else None
    raise ValueError(
        "fit: validation_data must be a tuple (x_val, y_val) or (x_val, y_val, val_sample_weight); "
        f"got {type(validation_data).__name__}"
        + (f" of length {len(validation_data)}" if hasattr(validation_data, "__len__") else "") + "."
    )


def _callback_list(callbacks: Any, model: Any, verbose: Any, epochs: int, steps: int,
                   add_history: bool = True) -> CallbackList:
    if isinstance(callbacks, CallbackList):
        return callbacks
    return CallbackList(callbacks, add_history=add_history, add_progbar=verbose != 0, model=model,
                        verbose=verbose, epochs=epochs, steps=steps)


def _history_of(callbacks: CallbackList) -> Any:
    from ..callbacks import History

    for cb in callbacks.callbacks:
        if isinstance(cb, History):
            return cb
    return None


def _as_list(logs: dict[str, float], names: list[str]):
    values = [logs[n] for n in names if n in logs]
    return values[0] if len(values) == 1 else values


def _concatenate(outputs: list[Any]) -> Any:
    first = outputs[0]
    if isinstance(first, dict):
        return {k: numpy.concatenate([o[k] for o in outputs]) for k in first}
    if isinstance(first, (list, tuple)):
        return [numpy.concatenate([o[i] for o in outputs]) for i in range(len(first))]
    return numpy.concatenate(outputs)
