"""What compile() builds: one object for the losses and one for the metrics.

Both line the user's description (one item, a list by output position, or a
dict by output name) up with the model's outputs, so the training step can
treat a one-output and a five-output model the same way.

Names follow Keras 3, because they are the keys of `history.history`:

    one output      "loss", "sparse_categorical_accuracy", "mae" (a string keeps its spelling)
    several         "loss", "class_output_categorical_accuracy", ..., and one
                    "<output>_loss" per output that has a loss
"""

from __future__ import annotations

from numbers import Real
from typing import Any

from .. import backend
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import ops
from ..autograd.tensor import Tensor
from ..data.structure import batch_size_of
from ..utils.declared import declared
from .step_kinds import uses_builtin_steps


def align(spec: Any, output_names: list[str], what: str, broadcast: bool = True) -> list[Any]:
    """`spec` as one entry per output (None where an output has none).

    Args:
        spec: a single item, a list/tuple (by position) or a dict (by output name).
        broadcast: whether a single item applies to every output.
    """
    n = len(output_names)
    if isinstance(spec, dict):
        unknown = [k for k in spec if k not in output_names]
        if unknown:
            raise ValueError(
                f"{what}: key(s) {unknown} match no model output; the outputs are named {output_names}."
            )
        return [spec.get(name) for name in output_names]
    if isinstance(spec, (list, tuple)):
        if len(spec) != n:
            raise ValueError(
                f"{what}: got {len(spec)} entries for a model with {n} output(s) {output_names}; "
                "give one per output (None where an output needs none), or a dict by output name."
            )
        return list(spec)
    if n > 1 and not broadcast and spec is not None:
        raise ValueError(f"{what}: the model has {n} outputs {output_names}; give a list or a dict by output name.")
    return [spec] * n


def flatten_outputs(values: Any, output_names: list[str], what: str) -> list[Any]:
    """Model outputs or targets as a list in output order (None for an output not given)."""
    if isinstance(values, dict):
        extra = [k for k in values if k not in output_names]
        if extra:
            raise ValueError(f"{what}: key(s) {extra} match no model output; the outputs are named {output_names}.")
        return [values.get(name) for name in output_names]
    if isinstance(values, (list, tuple)) and len(output_names) > 1:
        if len(values) != len(output_names):
            raise ValueError(
                f"{what}: got {len(values)} arrays for a model with {len(output_names)} outputs {output_names}."
            )
        return list(values)
    if len(output_names) > 1:
        if values is None:
            return [None] * len(output_names)
        raise ValueError(
            f"{what}: the model has {len(output_names)} outputs {output_names}; pass a list (by position) "
            "or a dict (by output name) with one array per output."
        )
    return [values[0] if isinstance(values, (list, tuple)) and len(values) == 1 else values]


def _sample_weights_per_output(sample_weight: Any, output_names: list[str]) -> list[Any]:
    """One sample weight (or None) per output: a single array applies to every output."""
    if isinstance(sample_weight, (list, tuple, dict)):
        return flatten_outputs(sample_weight, output_names, "sample_weight")
    return [sample_weight] * len(output_names)


class CompileLoss:
    """The compiled loss: each output's loss, weighted and summed.

    With more than one output having a loss, each output's loss is also
    tracked on its own (a Mean named "<output>_loss"), as Keras does.
    """

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]):
        self.output_names = output_names
        self.losses = [None if l is None else resolve_loss(l) for l in align(loss, output_names, "compile(loss=...)")]
        weights = (align(loss_weights, output_names, "compile(loss_weights=...)")
                   if loss_weights is not None else [1.0] * len(output_names))
        self.weights = [_loss_weight(w, name) for w, name in zip(weights, output_names)]
        with_loss = [name for name, l in zip(output_names, self.losses) if l is not None]
        self.trackers = {name: metrics_module.Mean(name=f"{name}_loss") for name in with_loss} \
            if len(output_names) > 1 and len(with_loss) > 1 else {}

    @property
    def metrics(self) -> list[Any]:
        """The per-output loss trackers (none for a one-output model)."""
        return list(self.trackers.values())

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None):
        """Returns (total loss, {output name: that output's loss}) as Tensors."""
        preds = flatten_outputs(y_pred, self.output_names, "model outputs")
        trues = flatten_outputs(y_true, self.output_names, "y")
        weights = _sample_weights_per_output(sample_weight, self.output_names)
        total, parts = None, {}
        for name, fn, w, t, p, sw in zip(self.output_names, self.losses, self.weights, trues, preds, weights):
            if fn is None:
                continue
            if t is None:
                raise ValueError(
                    f"Output {name!r} has a loss but no target was given for it; pass y for every output "
                    f"that has a loss (the outputs are {self.output_names}), or set its loss to None."
                )
            value = fn(t, p, sample_weight=sw) if sw is not None else fn(t, p)
            parts[name] = value
            if name in self.trackers:
                self.trackers[name].update_state(value.detach(), sample_weight=batch_size_of(p))
            weighted = value if w == 1.0 else value * w  # the usual weight of 1 adds no op to the graph
            total = weighted if total is None else total + weighted
        return total, parts


def _loss_weight(weight: Any, output: str) -> float:
    if weight is None:
        return 1.0
    if isinstance(weight, bool) or not isinstance(weight, Real):
        raise TypeError(
            f"compile(loss_weights=...): the weight for output {output!r} must be a number, got {weight!r}. "
            "(compile's third positional argument is loss_weights; pass metrics by name: metrics=[...].)"
        )
    return float(weight)


class CompileMetrics:
    """The compiled metrics of every output, made at compile time.

    Args:
        metrics: one metric, a list (for a one-output model), a list of lists
            (one list per output) or a dict by output name.
        output_names: the model's outputs.
        losses: the compiled loss of each output (tells what "accuracy" means).
        weighted: whether these metrics take the sample weights (compile's
            weighted_metrics) or not (compile's metrics, as in Keras).
    """

    def __init__(self, metrics: Any, output_names: list[str], losses: list[Any] | None = None,
                 weighted: bool = False, argument: str = "metrics"):
        self.output_names = output_names
        self.weighted = weighted
        losses = losses or [None] * len(output_names)
        per_output = align(_per_output_spec(metrics, output_names, argument), output_names, f"compile({argument}=...)")
        prefix = len(output_names) > 1
        self.per_output: list[list[Any]] = []
        for name, items, loss in zip(output_names, per_output, losses):
            items = [] if items is None else (list(items) if isinstance(items, (list, tuple)) else [items])
            built = [resolve_metric(m, loss, argument) for m in items]
            if prefix:
                for m in built:
                    base = getattr(m, "_compiled_base_name", m.name)
                    m._compiled_base_name = base  # compiling the same object again does not prefix twice
                    m.name = f"{name}_{base}"
            self.per_output.append(built)

    @property
    def metrics(self) -> list[Any]:
        return [m for ms in self.per_output for m in ms]

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not any(self.per_output):
            return  # none compiled (often weighted_metrics): nothing to line up
        trues = flatten_outputs(y_true, self.output_names, "y")
        preds = flatten_outputs(y_pred, self.output_names, "model outputs")
        weights = (_sample_weights_per_output(sample_weight, self.output_names)
                   if self.weighted else [None] * len(preds))
        for ms, t, p, sw in zip(self.per_output, trues, preds, weights):
            if t is None:
                continue  # no target for this output (e.g. it has no loss): nothing to compare with
            for m in ms:
                m.update_state(t, p, sample_weight=sw)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()


def _per_output_spec(spec: Any, output_names: list[str], argument: str) -> Any:
    """A one-output model's flat list becomes one list for that output; several outputs
    need a list of lists or a dict."""
    if spec is None or (isinstance(spec, (list, tuple)) and not spec):
        return None
    if isinstance(spec, (list, tuple)):
        nested = any(isinstance(s, (list, tuple)) for s in spec)
        if len(output_names) == 1 and not nested:
            return [list(spec)]
        if len(output_names) > 1 and spec and not nested:
            raise ValueError(
                f"compile({argument}=...): the model has {len(output_names)} outputs {output_names}; give a "
                "list of lists (one list per output, None or [] for none) or a dict by output name."
            )
        return [s for s in spec]
    if isinstance(spec, dict):
        return spec
    if len(output_names) > 1:
        return [[spec]] * len(output_names)  # one metric for every output
    return [[spec]]


def resolve_loss(identifier: Any) -> Any:
    """A Loss instance: names and plain functions get the default reduction (mean over the batch)."""
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))


def resolve_metric(identifier: Any, loss: Any = None, argument: str = "metrics") -> Any:
    """A Metric instance, logged under the name Keras gives it.

    A string keeps its spelling as the name ("mae" is logged as "mae"). "accuracy"
    and "acc" become BinaryAccuracy, SparseCategoricalAccuracy or CategoricalAccuracy:
    right away when the loss tells which, otherwise on the first batch, from
    the shapes of the targets and outputs.
    """
    if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
        kind = _accuracy_from_loss(loss)
        return kind(name=identifier) if kind is not None else AutoAccuracy(name=identifier, loss=loss)
    if isinstance(identifier, type) and issubclass(identifier, metrics_module.Metric):
        return identifier()
    if isinstance(identifier, metrics_module.Metric):
        return identifier
    try:
        metric = metrics_module.get(identifier)
    except (ValueError, TypeError) as error:
        raise type(error)(f"compile({argument}=...): {error}") from None
    if not isinstance(metric, metrics_module.Metric):
        metric = metrics_module.MeanMetricWrapper(metric, name=getattr(metric, "__name__", "metric"))
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def _accuracy_from_loss(loss: Any) -> type | None:
    fn = getattr(loss, "fn", None)  # a loss given by name is a LossFunctionWrapper around the function
    if isinstance(loss, losses_module.SparseCategoricalCrossentropy) \
            or fn is losses_module.sparse_categorical_crossentropy:
        return metrics_module.SparseCategoricalAccuracy
    if isinstance(loss, losses_module.BinaryCrossentropy) or fn is losses_module.binary_crossentropy:
        return metrics_module.BinaryAccuracy
    if isinstance(loss, losses_module.CategoricalCrossentropy) or fn is losses_module.categorical_crossentropy:
        return metrics_module.CategoricalAccuracy
    return None


def pick_accuracy(y_true: Any, y_pred: Any) -> type:
    """The accuracy that fits these shapes, as Keras decides it."""
    pred_shape, true_shape = tuple(y_pred.shape), tuple(y_true.shape)
    if pred_shape[-1:] == (1,):
        return metrics_module.BinaryAccuracy
    if len(true_shape) < len(pred_shape) or true_shape[-1:] == (1,):
        return metrics_module.SparseCategoricalAccuracy
    return metrics_module.CategoricalAccuracy


class AutoAccuracy(metrics_module.Metric):
    """compile(metrics=["accuracy"]) when the loss does not say which accuracy fits.

    On the first batch it becomes BinaryAccuracy (one output unit),
    SparseCategoricalAccuracy (class-index targets) or CategoricalAccuracy
    (one-hot targets), and from then on passes everything to it.
    """
    # Class indices make it SparseCategoricalAccuracy, whatever their integer dtype.
    class_index_targets = True

    def __init__(self, name: str = "accuracy", loss: Any = None):
        super().__init__(name=name)
        self.inner: Any = None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if self.inner is None:
            self.inner = pick_accuracy(ops.convert_to_tensor(y_true), ops.convert_to_tensor(y_pred))(name=self.name)
        self.inner.update_state(y_true, y_pred, sample_weight=sample_weight)

    def result(self) -> Any:
        return self.inner.result() if self.inner is not None else ops.convert_to_tensor(0.0)

    def reset_state(self) -> None:
        if self.inner is not None:
            self.inner.reset_state()


def class_index_outputs(model: Any) -> dict[int, tuple[int, str]]:
    """The outputs whose array targets fit may check once and pass on as int64 class indices
    (tinyfit/data/labels.py): {output position: (number of classes, loss name)}.

    Only where nothing but tinyfit's own code reads those targets: the built-in steps,
    compute_loss and compute_metrics, the plain sparse categorical cross-entropy over
    the last axis of an output whose class count is known before the first step (a loss that
    declares `class_index_targets = True` in its own class body: _class_index_op), and
    metrics that declare `class_index_targets = True` in their own class body (a subclass may
    read its targets otherwise). Anywhere else the targets reach the code as given.
    """
    compiled = getattr(model, "_compile_loss", None)
    outputs = getattr(model, "outputs", None)
    if compiled is None or not outputs or len(outputs) != len(compiled.output_names):
        return {}
    if not uses_builtin_steps(model):
        return {}
    found = {}
    for i, (loss, output) in enumerate(zip(compiled.losses, outputs)):
        op = _class_index_op(loss)
        if op is None:
            continue
        shape = tuple(output.shape)
        if len(shape) != 2 or not isinstance(shape[1], int):
            continue
        readers = model._compile_metrics.per_output[i] + model._weighted_metrics.per_output[i]
        if all(declared(m, "class_index_targets") is True for m in readers):
            found[i] = (shape[1], op)
    return found


def _class_index_op(loss: Any) -> str | None:
    """The name, for messages, of `loss` when it reads its targets only as class indices along the
    last axis (it says so in its own class body; one made from a function needs the function's word
    too, and the class axis left last); None otherwise."""
    if declared(loss, "class_index_targets") is not True:
        return None
    if not isinstance(loss, losses_module.LossFunctionWrapper):
        return loss.name
    if declared(loss.fn, "class_index_targets") is not True or loss._fn_kwargs.get("axis", -1) != -1:
        return None
    return getattr(loss.fn, "__name__", loss.name)


def to_float(value: Any) -> Any:
    """A metric result as a Python float (one device sync per logged value).

    Results with several values (F1Score(average=None), Precision at several
    thresholds) are logged as NumPy arrays, as Keras does.
    """
    if isinstance(value, float):
        return value
    data = value.data if isinstance(value, Tensor) else value
    if backend.is_array(data) and data.size == 1:
        return float(data)  # the usual single number, without a copy to NumPy first
    array = ops.convert_to_numpy(value)
    return float(array) if array.size == 1 else array
