"""Trainer: compile(), fit(), evaluate(), predict() and the steps they repeat.

`Model` inherits this mixin, so the loop lives here and not in the model. The
division of work follows Keras:

    data adapter    x, y, sample_weight -> NumPy batches (tinyfit/data)
    Trainer         epochs, validation, callbacks, and for each batch one
                    train_step / test_step / predict_step

A batch reaches a step as a tuple of Tensors: `(x,)`, `(x, y)` or
`(x, y, sample_weight)`, as in Keras.

Customizing what happens in fit()
---------------------------------
Override `train_step(self, data)` to change what one step does; fit() keeps
the rest (epochs, shuffling, validation, callbacks, progress, History). The
Keras pattern reads the same in tinyfit, with the gradients coming from the
engine's own `backward()`:

    class CustomModel(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)                   # forward pass
            loss = self.compute_loss(y=y, y_pred=y_pred)      # compiled loss + add_loss terms
            loss.backward()                                   # fills v.grad of every weight
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            for metric in self.metrics:                       # the loss tracker ("loss") is fed
                if metric.name == "loss":                     # by the step, as in Keras 3
                    metric.update_state(loss)
            return self.compute_metrics(x, y, y_pred)         # {"loss": ..., "accuracy": ...}

Who feeds the loss tracker. `model.metrics` starts with the "loss" metric, a
Mean that compile() makes. `compute_loss` only computes the loss; the step that
wants it logged records it: the built-in train_step and test_step do, with the
batch size as weight, and a custom step does it itself as above (or reports
figures of its own: its returned dict is what fit() logs). A custom step that
logs the loss tracker without ever feeding it gets a warning that says so.

What fit() does around a custom step:

- every weight's `.grad` is cleared after each step, so gradients never leak
  from one batch into the next (`self.zero_grad()` does it by hand);
- the returned dict may hold Tensors or floats; callbacks and History get floats.

`test_step(data)` and `predict_step(data)` are overridden the same way.
"""

from __future__ import annotations

import warnings
from typing import Any

from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..autograd.ops import workspace
from ..data import check_can_split, describe_source, get_data_adapter, split_validation
from ..utils.log_values import read_logs
from ..utils.random import set_random_states
from .arguments import check_batch_size, check_int, check_positive_int, unpack_validation
from .added_metrics import AddedMetrics
from .compile_utils import CompileLoss, CompileMetrics, class_index_outputs
from .compiled_step import CompiledStep, check_jit_compile
from .epoch_iterator import EpochIterator, check_epochs, check_validations, steps_for
from .loop_utils import (as_list, callback_list, concatenate_outputs, history_of, no_gradient_message, resume_point,
                         to_tensors, whole_batch)
from .step_function import make_step_function
from .step_kinds import uses_builtin_steps
from .steps import Steps
from .thread_plan import thread_plan, timed_pass
from .training_state import TrainingState


class Trainer(Steps, TrainingState):
    """The Keras training API, mixed into Model: compile, fit, evaluate, predict (the steps: steps.py)."""

    # Class-level defaults, so the mixin needs no __init__ of its own: a model is
    # "not compiled" until compile() sets these on the instance.
    compiled = False
    optimizer = None
    loss = None
    stop_training = False
    history = None
    _compile_loss = None
    _compile_metrics = None
    _weighted_metrics = None
    _loss_tracker = None
    _added_metrics = None
    _compiled_step = None  # the training step, recorded and replayed (compiled_step.py)
    _compiled_test_step = None
    # What each batch runs, made once per compile (step_function.py).
    train_function = None
    test_function = None
    predict_function = None

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
                variant that fits the targets. As in Keras, these ignore sample weights.
            weighted_metrics: metrics that take the sample weights (and class weights).
            jit_compile: "auto" (compile the training step where tinyfit knows it is safe),
                True (compile it whenever two recorded steps agree) or False (always eager).
                A compiled step (training, validation, evaluation) is recorded once per batch
                shape and replayed on plain arrays; see tinyfit/trainers/compiled_step.py.
            run_eagerly: True runs every training step eagerly (jit_compile is then
                ignored, with a warning if it was True): handy when debugging a step.
            steps_per_execution, auto_scale_loss: accepted for Keras compatibility;
                tinyfit runs one step at a time.
        """
        check_jit_compile(jit_compile)
        if run_eagerly and jit_compile is True:
            warnings.warn("compile(): run_eagerly=True runs every step eagerly, so jit_compile=True is ignored.",
                          UserWarning, stacklevel=2)
        try:
            self.optimizer = optimizers_module.get(optimizer)
        except (ValueError, TypeError) as error:
            raise type(error)(f"compile(optimizer=...): {error}") from None
        names = self._output_names_for_compile()
        try:
            compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        except (ValueError, TypeError) as error:
            message = str(error)
            raise type(error)(message if message.startswith("compile(") else f"compile(loss=...): {message}") from None
        losses = compile_loss.losses if compile_loss is not None else None
        compile_metrics = CompileMetrics(metrics, names, losses)
        weighted = CompileMetrics(weighted_metrics, names, losses, weighted=True, argument="weighted_metrics")
        taken = {m.name for m in compile_metrics.metrics}
        for m in weighted.metrics:
            if m.name in taken:
                m.name = f"weighted_{m.name}"  # the same metric in both lists: keep both keys apart
        self.loss = loss
        self.loss_weights = loss_weights
        # Kept as given, so model.save can write the compile config.
        self._compile_arguments = {"loss": loss, "loss_weights": loss_weights, "metrics": metrics,
                                   "weighted_metrics": weighted_metrics}
        self._compile_loss = compile_loss
        self._compile_metrics = compile_metrics
        self._weighted_metrics = weighted
        # The "loss" metric: the mean loss over the epoch. The built-in steps feed it (weighted
        # by batch size); a custom step feeds it itself (Keras 3 names it _loss_tracker too).
        self._loss_tracker = metrics_module.Mean(name="loss")
        self._added_metrics = AddedMetrics()  # add_metric() values, by name
        compiling = not run_eagerly and jit_compile is not False
        self._compiled_step = CompiledStep(self, jit_compile, training=True) if compiling else None
        self._compiled_test_step = CompiledStep(self, jit_compile, training=False) if compiling else None
        self.train_function = self.test_function = self.predict_function = None  # made anew for this compile
        self.compiled = True

    def _output_names_for_compile(self) -> list[str]:
        names = getattr(self, "output_names", None)
        return list(names) if names else ["output"]

    def _assert_compiled(self, caller: str) -> None:
        if not self.compiled:
            raise RuntimeError(
                f"{caller}: the model must be compiled first. Call model.compile(optimizer=..., loss=..., "
                "metrics=[...]) before fit(), evaluate(), train_on_batch() or test_on_batch()."
            )

    # --------------------------------------------------------------- metrics
    @property
    def metrics(self) -> list[Any]:
        """What fit() reports, in order: the loss, the compiled metrics, (several outputs) each
        output's loss, then the add_metric() values seen so far. Empty until compile()."""
        if not self.compiled:
            return []
        found = [self._loss_tracker] + self._compile_metrics.metrics + self._weighted_metrics.metrics
        if self._compile_loss is not None:
            found += self._compile_loss.metrics
        return found + self._added_metrics.metrics

    @property
    def metrics_names(self) -> list[str]:
        """The names of `metrics`: the keys of fit's logs and the order of evaluate's list."""
        return [m.name for m in self.metrics]

    @property
    def logged_metric_names(self) -> list[str] | None:
        """The keys fit() will log for each training batch and epoch (validation adds the same
        names prefixed with "val_"), or None when the model's own train_step or compute_metrics
        decides them."""
        if not uses_builtin_steps(self, ("train_step", "compute_metrics")):
            return None
        return self.metrics_names

    def reset_metrics(self) -> None:
        """Resets every metric of `metrics`, and the Metric objects layers hold (a layer may call one
        inside call() and add_metric() its result): each epoch starts afresh."""
        for m in self.metrics:
            m.reset_state()
        held = getattr(self, "_held_metrics", None)  # a Layer's method; Trainer is mixed into Model
        for m in held() if held is not None else []:
            m.reset_state()

    def get_metrics_result(self) -> dict[str, float]:
        """Every metric's current value, as floats keyed by name (NumPy arrays for several values)."""
        return read_logs(self._metric_results())

    # ------------------------------------------------------- step functions
    def make_train_function(self, force: bool = False):
        """The function fit() and train_on_batch() call for each batch, made once per compile.

        It runs the built-in train_step (recorded and replayed where the step compiles) or the
        model's own; `model.train_function` keeps it, and its `how` says which
        (tinyfit/trainers/step_function.py).
        """
        if self.train_function is None or force:
            self.train_function = make_step_function(self, "train")
        return self.train_function

    def make_test_function(self, force: bool = False):
        """The function evaluate(), fit's validation and test_on_batch() call for each batch."""
        if self.test_function is None or force:
            self.test_function = make_step_function(self, "test")
        return self.test_function

    def make_predict_function(self, force: bool = False):
        """The function predict() calls for each batch: predict_step's outputs as NumPy arrays."""
        if self.predict_function is None or force:
            self.predict_function = make_step_function(self, "predict")
        return self.predict_function

    # ------------------------------------------------------------------ fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: bool = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0, steps_per_epoch: int | None = None,
            validation_steps: int | None = None, validation_batch_size: int | None = None,
            validation_freq: int = 1):
        """Trains the model for `epochs` passes over the data.

        Args:
            x, y: inputs and targets: arrays (NumPy, Tensors, pandas), or lists/dicts
                of them for several inputs/outputs (dicts keyed by input/output name).
                Or x alone as a source of (x, y[, sample_weight]) batches: a
                `tinyfit.data.Dataset`, a `PyDataset`, a generator, or any iterable of
                batches such as a PyTorch DataLoader.
            batch_size: samples per step when cutting arrays (32 by default).
            epochs: the epoch to stop at (counting from 1), `initial_epoch` the one
                to start after: fit(epochs=5, initial_epoch=2) runs epochs 3, 4, 5.
            verbose: "auto", 0 (silent), 1 (progress bar) or 2 (one line per epoch).
            callbacks: Callback objects.
            validation_split: the fraction of the data (the last samples, before
                shuffling) kept apart to validate on (arrays only).
            validation_data: (x_val, y_val), (x_val, y_val, val_sample_weight), or a
                source of batches like x.
            shuffle: reshuffle the training samples (a PyDataset's batch order)
                before every epoch.
            class_weight: {class index: weight} (one output): each training sample is
                weighted by its class, read from integer labels or one-hot targets.
            sample_weight: one weight per sample (a dict by output name for several).
            steps_per_epoch: batches per epoch; each epoch goes on where the last
                stopped, and a new (reshuffled) pass starts when the data runs out
                (a generator cannot restart: it must yield enough batches).
            validation_steps: validate on the first batches only.
            validation_batch_size: batch size for validation (default: batch_size).
            validation_freq: validate every this many epochs.

        Returns:
            A History callback whose `.history` maps each logged name ("loss",
            "val_loss", metric names) to its per-epoch values.
        """
        self._assert_compiled("fit")
        if self.optimizer is None:
            raise ValueError("fit: the model was compiled without an optimizer; pass compile(optimizer=...).")
        check_positive_int("fit", "epochs", epochs)
        check_int("fit", "initial_epoch", initial_epoch, minimum=0)
        check_positive_int("fit", "validation_freq", validation_freq)
        check_batch_size("fit", "batch_size", batch_size)
        check_batch_size("fit", "validation_batch_size", validation_batch_size)
        if validation_split:
            check_can_split(x, "fit")
        if validation_split and validation_data is None:
            (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight, validation_split,
                                                                      caller="fit")
        elif validation_split:
            split_validation(x, y, sample_weight, validation_split, caller="fit", check_only=True)
        adapter = get_data_adapter(x, y, sample_weight, batch_size, shuffle, class_weight, caller="fit")
        if steps_per_epoch is not None:
            check_positive_int("fit", "steps_per_epoch", steps_per_epoch)
        check_epochs(adapter, epochs - initial_epoch, steps_per_epoch, describe_source(x))
        epoch_batches = EpochIterator(adapter, steps_per_epoch, continuing=True, caller="fit",
                                      name="steps_per_epoch", check=self._checker(adapter, "fit"))
        val_batches = None
        if validation_data is not None:
            vx, vy, vsw = unpack_validation(validation_data)
            where = "fit(validation_data=...)"
            val_adapter = get_data_adapter(vx, vy, vsw, validation_batch_size or batch_size, False, caller=where)
            steps_for(where, "validation_steps", validation_steps, val_adapter, describe_source(vx))
            validations = sum((epoch + 1) % validation_freq == 0 for epoch in range(initial_epoch, epochs))
            check_validations(val_adapter, validations, validation_steps, describe_source(vx))
            # Weights from class_weight are for training only: validation sees its own sample weights.
            val_batches = EpochIterator(val_adapter, validation_steps, continuing=val_adapter.one_shot,
                                        caller=where, name="validation_steps",
                                        check=self._checker(val_adapter, where))

        callbacks = callback_list(callbacks, self, verbose, epochs=epochs, steps=epoch_batches.steps,
                                   do_validation=val_batches is not None,
                                   validation_steps=val_batches.steps if val_batches is not None else None)
        self.stop_training = False
        callbacks.on_train_begin()
        # A callback holding a backup (BackupAndRestore) may move the start to where an
        # interrupted run stopped: its epoch, the batch within it, the data's order, the RNGs.
        resume = resume_point(callbacks)
        self._train_batches = epoch_batches  # where the data's pass stands: get_training_state() reads it
        if resume is not None:
            initial_epoch = resume["epoch"]
            set_random_states(resume["random"])
            # The data's pass, the epoch's running results and the thread counts of the interrupted run.
            self.set_training_state(resume, step=resume["step"])
        epoch_logs: dict[str, Any] = {}
        train_function = self.make_train_function()
        threads = thread_plan(self, "train", callbacks)
        self._gradient_check = "due"
        first_step = True
        try:
            for epoch in range(initial_epoch, epochs):
                if resume is None:  # a resumed epoch's running results were set by set_training_state
                    self.reset_metrics()
                resume = None
                adapter.on_epoch_begin()
                callbacks.on_epoch_begin(epoch)
                logs: dict[str, Any] | None = None
                for step, batch in epoch_batches.next_epoch():
                    callbacks.on_train_batch_begin(step)
                    data = to_tensors(batch)
                    with threads.step(lambda: timed_pass(self, data, train_function)):
                        logs = train_function(data)
                    if first_step:  # checked once: later steps run the same graph
                        first_step = False
                        if self._gradient_check == "missed":
                            # Raised from tinyfit, as the no-trainable-weights warning is, so a test or
                            # lesson that trips it by accident fails under pyproject's warning filter.
                            warnings.warn(no_gradient_message(self), UserWarning)
                    callbacks.on_train_batch_end(step, logs)
                    if self.stop_training:
                        break
                adapter.on_epoch_end()
                epoch_logs = read_logs(dict(logs)) if logs is not None else self.get_metrics_result()
                if val_batches is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_batches(val_batches, callbacks)
                    epoch_logs.update({f"val_{k}": v for k, v in val_logs.items()})
                callbacks.on_epoch_end(epoch, epoch_logs)
                if self.stop_training:
                    break
        except BaseException:
            callbacks.stopped()  # the bar's line ends before the traceback
            raise
        finally:
            # However fit ends (Ctrl-C included), no pass stays open and no worker keeps running.
            self._gradient_check = None
            threads.close()
            workspace.clear()  # the big arrays kept between steps go back once training ends
            epoch_batches.close()
            self._train_batches = None
            if val_batches is not None:
                val_batches.close()
        callbacks.on_train_end(epoch_logs)
        self.history = history_of(callbacks)
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
        check_batch_size("evaluate", "batch_size", batch_size)
        adapter = get_data_adapter(x, y, sample_weight, batch_size, False, caller="evaluate")
        steps_for("evaluate", "steps", steps, adapter, describe_source(x))
        batches = EpochIterator(adapter, steps, continuing=adapter.one_shot, caller="evaluate", name="steps",
                                check=self._checker(adapter, "evaluate"))
        callbacks = callback_list(callbacks, self, verbose, epochs=1, steps=batches.steps, add_history=False)
        try:
            logs = self._evaluate_batches(batches, callbacks)
        except BaseException:
            callbacks.stopped()
            raise
        finally:
            workspace.clear()
            batches.close()
        return logs if return_dict else as_list(logs, self.metrics_names)

    def _evaluate_batches(self, batches: EpochIterator, callbacks) -> dict[str, Any]:
        self.reset_metrics()
        callbacks.on_test_begin()
        logs: dict[str, Any] | None = None
        test_function = self.make_test_function()
        threads = thread_plan(self, "test", callbacks)
        try:
            for step, batch in batches.next_epoch():
                callbacks.on_test_batch_begin(step)
                data = to_tensors(batch)
                with threads.step(lambda: timed_pass(self, data, test_function)):
                    logs = test_function(data)
                callbacks.on_test_batch_end(step, logs)
        finally:
            threads.close()
        logs = read_logs(dict(logs)) if logs is not None else self.get_metrics_result()
        callbacks.on_test_end(logs)
        return logs

    # -------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto", steps: int | None = None,
                callbacks: Any = None):
        """The model's outputs for `x` (arrays, pandas, or a source of batches whose
        targets, if any, are ignored), as NumPy arrays (a list/dict for several outputs)."""
        check_batch_size("predict", "batch_size", batch_size)
        adapter = get_data_adapter(x, None, None, batch_size, False, caller="predict")
        steps_for("predict", "steps", steps, adapter, describe_source(x))
        batches = EpochIterator(adapter, steps, continuing=adapter.one_shot, caller="predict", name="steps",
                                check=self._checker(adapter, "predict"))
        callbacks = callback_list(callbacks, self, verbose, epochs=1, steps=batches.steps, add_history=False)
        callbacks.on_predict_begin()
        outputs = []
        predict_function = self.make_predict_function()
        threads = thread_plan(self, "predict", callbacks)
        try:
            for step, batch in batches.next_epoch():
                callbacks.on_predict_batch_begin(step)
                data = to_tensors(batch)
                with threads.step(lambda: timed_pass(self, data, predict_function)):
                    out = predict_function(data)
                outputs.append(out)
                callbacks.on_predict_batch_end(step, {"outputs": out})
        except BaseException:
            callbacks.stopped()
            raise
        finally:
            threads.close()
            workspace.clear()
            batches.close()
        callbacks.on_predict_end()
        return concatenate_outputs(outputs)

    # ---------------------------------------------------- on a single batch
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, class_weight: dict | None = None,
                       return_dict: bool = False):
        """One training step on exactly this batch; returns the loss and metrics of this batch.

        Returns:
            The loss (a float) when there are no metrics, else a list in the order
            of `metrics_names`, or a dict when `return_dict=True`.
        """
        self._assert_compiled("train_on_batch")
        adapter = get_data_adapter(x, y, sample_weight, None, False, class_weight, caller="train_on_batch")
        self._check_data(whole_batch(adapter, "train_on_batch")[0], "train_on_batch")
        self.reset_metrics()  # this batch's values, as Keras reports them
        logs = read_logs(dict(self.make_train_function()(to_tensors(adapter.whole()))))
        return logs if return_dict else as_list(logs, self.metrics_names)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None, return_dict: bool = False):
        """The loss and metrics on exactly this batch (no update)."""
        self._assert_compiled("test_on_batch")
        adapter = get_data_adapter(x, y, sample_weight, None, False, caller="test_on_batch")
        self._check_data(whole_batch(adapter, "test_on_batch")[0], "test_on_batch")
        self.reset_metrics()
        logs = read_logs(dict(self.make_test_function()(to_tensors(adapter.whole()))))
        return logs if return_dict else as_list(logs, self.metrics_names)

    def predict_on_batch(self, x: Any):
        """The model's outputs for exactly this batch, as NumPy arrays."""
        adapter = get_data_adapter(x, None, None, None, False, caller="predict_on_batch")
        self._check_data(whole_batch(adapter, "predict_on_batch")[0], "predict_on_batch")
        return self.make_predict_function()(to_tensors(adapter.whole()))

    # ---------------------------------------------------------------- data
    def _checker(self, adapter: Any, caller: str):
        """Checks arrays against the model's inputs now, once, and class-index labels too (the loss
        then gets them checked, as int64); for a source of batches returns the check to run on its
        first batch (the trainer cannot see its data before that)."""
        if adapter.x is not None:
            self._check_data(adapter.x, caller)
            targets = class_index_outputs(self) if getattr(adapter, "y", None) is not None else {}
            if targets:
                adapter.use_class_indices(targets, self._compile_loss.output_names)
            return None
        return lambda x: self._check_data(x, caller)

    def _check_data(self, x: Any, caller: str) -> None:
        """Checks all of x against the model's inputs once, before it is cut into batches."""
        check = getattr(self, "check_input_data", None)
        if check is not None:
            check(x, caller)
