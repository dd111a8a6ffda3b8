"""What compile() builds: one object for the losses and one for the metrics.

Both line the user's description (one item, a list by output position, or a
dict by output name) up with the model's outputs, so the training step can
treat a one-output and a five-output model the same way.
"""

from __future__ import annotations

from typing import Any

from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import ops


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
    """Model outputs or targets as a list in output order."""
    if isinstance(values, dict):
        missing = [name for name in output_names if name not in values]
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
        raise ValueError(
            f"{what}: the model has {len(output_names)} outputs {output_names}; pass a list (by position) "
            "or a dict (by output name) with one array per output."
        )
    return [values[0] if isinstance(values, (list, tuple)) and len(values) == 1 else values]


class CompileLoss:
    """The compiled loss: each output's loss, weighted and summed."""

    def __init__(self, loss: Any, loss_weights: Any, output_names: list[str]):
        self.output_names = output_names
        self.losses = [None if l is None else resolve_loss(l) for l in align(loss, output_names, "compile(loss=...)")]
        weights = align(loss_weights, output_names, "compile(loss_weights=...)") if loss_weights is not None else [1.0] * len(output_names)
        self.weights = [1.0 if w is None else float(w) for w in weights]

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None):
        """Returns (total loss, {output name: that output's loss}) as Tensors."""
        preds = flatten_outputs(y_pred, self.output_names, "model outputs")
        trues = flatten_outputs(y_true, self.output_names, "y")
        weights = (flatten_outputs(sample_weight, self.output_names, "sample_weight")
                   if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(preds))
        total, parts = None, {}
        for name, fn, w, t, p, sw in zip(self.output_names, self.losses, self.weights, trues, preds, weights):
            if fn is None:
                continue
            if t is None:
                raise ValueError(
                    f"Output {name!r} has a loss but no target was given for it; pass y for every output "
                    "that has a loss (or set its loss to None)."
                )
            value = fn(t, p, sample_weight=sw) if sw is not None else fn(t, p)
            parts[name] = value
            total = value * w if total is None else total + value * w
        return total, parts


class CompileMetrics:
    """The compiled metrics, built on the first batch, when target and output shapes are known."""

    def __init__(self, metrics: Any, output_names: list[str], losses: list[Any] | None = None):
        self.spec = metrics
        self.output_names = output_names
        self.loss_objects = losses or [None] * len(output_names)
        self.per_output: list[list[Any]] | None = None

    @property
    def built(self) -> bool:
        return self.per_output is not None

    @property
    def metrics(self) -> list[Any]:
        return [m for ms in (self.per_output or []) for m in ms]

    def build(self, y_true: Any, y_pred: Any) -> None:
        trues = flatten_outputs(y_true, self.output_names, "y")
        preds = flatten_outputs(y_pred, self.output_names, "model outputs")
        spec = self.spec
        if spec is None:
            spec = []
        if len(self.output_names) == 1 and isinstance(spec, (list, tuple)) and not any(
                isinstance(s, (list, tuple)) for s in spec):
            spec = [list(spec)]
        elif isinstance(spec, (list, tuple)) and len(self.output_names) > 1 and spec and not all(
                isinstance(s, (list, tuple)) or s is None for s in spec):
            raise ValueError(
                f"compile(metrics=...): the model has {len(self.output_names)} outputs {self.output_names}; "
                "give a list of lists (one list per output) or a dict by output name."
            )
        per_output = align(spec, self.output_names, "compile(metrics=...)")
        prefix = len(self.output_names) > 1
        self.per_output = []
        for name, items, t, p, loss in zip(self.output_names, per_output, trues, preds, self.loss_objects):
            items = [] if items is None else (list(items) if isinstance(items, (list, tuple)) else [items])
            built = [resolve_metric(m, t, p, loss) for m in items]
            if prefix:
                for m in built:
                    m.name = f"{name}_{m.name}"
            self.per_output.append(built)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.built:
            self.build(y_true, y_pred)
        trues = flatten_outputs(y_true, self.output_names, "y")
        preds = flatten_outputs(y_pred, self.output_names, "model outputs")
        weights = (flatten_outputs(sample_weight, self.output_names, "sample_weight")
                   if isinstance(sample_weight, (list, tuple, dict)) else [sample_weight] * len(preds))
        for ms, t, p, sw in zip(self.per_output, trues, preds, weights):
            for m in ms:
                m.update_state(t, p, sample_weight=sw)

    def reset_state(self) -> None:
        for m in self.metrics:
            m.reset_state()


def resolve_loss(identifier: Any) -> Any:
    """A Loss instance: names and plain functions get the default reduction (mean over the batch)."""
    loss = losses_module.get(identifier)
    if isinstance(loss, losses_module.Loss):
        return loss
    return losses_module.LossFunctionWrapper(loss, name=getattr(loss, "__name__", None))


def _is_loss(loss: Any, cls: type, fn: Any) -> bool:
    """Whether a compiled loss is `cls`, given as an object or as a name (then wrapped)."""
    return isinstance(loss, cls) or getattr(loss, "fn", None) is fn


def resolve_metric(identifier: Any, y_true: Any, y_pred: Any, loss: Any) -> Any:
    """A Metric instance; "accuracy"/"acc" picks the variant that fits the targets, as Keras does.

    A metric given by name is logged under that name ("mse" stays "mse").
    """
    if isinstance(identifier, str) and identifier in ("accuracy", "acc"):
        pred_shape, true_shape = tuple(y_pred.shape), tuple(y_true.shape)
        binary = pred_shape[-1:] == (1,) or _is_loss(
            loss, losses_module.BinaryCrossentropy, losses_module.binary_crossentropy)
        sparse = len(true_shape) < len(pred_shape) or (true_shape[-1:] == (1,) and pred_shape[-1:] != (1,)) \
            or _is_loss(loss, losses_module.SparseCategoricalCrossentropy,
                        losses_module.sparse_categorical_crossentropy)
        if binary:
            return metrics_module.BinaryAccuracy(name=identifier)
        if sparse:
            return metrics_module.SparseCategoricalAccuracy(name=identifier)
        return metrics_module.CategoricalAccuracy(name=identifier)
    if isinstance(identifier, metrics_module.Metric):
        return identifier
    if callable(identifier) and not isinstance(identifier, type):
        return metrics_module.MeanMetricWrapper(identifier, name=getattr(identifier, "__name__", "metric"))
    metric = metrics_module.get(identifier)
    if not isinstance(metric, metrics_module.Metric):  # a metric function found by name
        metric = metrics_module.MeanMetricWrapper(metric)
    if isinstance(identifier, str):
        metric.name = identifier
    return metric


def to_float(value: Any) -> Any:
    """A metric result as a Python float (one device sync per logged value).

    Results with several values (F1Score(average=None), Precision at several
    thresholds) are logged as NumPy arrays, as Keras does.
    """
    if isinstance(value, float):
        return value
    array = ops.convert_to_numpy(value)
    return float(array) if array.size == 1 else array
