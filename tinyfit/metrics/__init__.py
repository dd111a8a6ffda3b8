"""tinyfit.metrics: what training reports, by object or by name.

    metrics=[keras.metrics.SparseCategoricalAccuracy()]   an object
    metrics=["sparse_categorical_accuracy"]               a name, resolved by `get`

Every class is registered under its own name and its snake_case name, plus
Keras's short names ("mse", "mae", "mape", ...). ("accuracy"/"acc" given to
compile() are resolved there, from the loss and the data, as Keras does.)
"""

from __future__ import annotations

from typing import Callable

from ..losses import losses as _loss_functions
from ..losses.loss import to_snake_case
from .accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .auc import AUC
from .confusion_metrics import (
    FalseNegatives,
    FalsePositives,
    Precision,
    Recall,
    TrueNegatives,
    TruePositives,
)
from .correlation_metrics import (
    ConcordanceCorrelation,
    PearsonCorrelation,
    concordance_correlation,
    pearson_correlation,
)
from .fbeta_score import F1Score, FBetaScore
from .hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from .iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .log_scale_metrics import LogCoshError, MeanSquaredLogarithmicError, Poisson
from .metric import Metric
from .metric_registry import deserialize, get, registry, serialize
from .probabilistic_metrics import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    KLDivergence,
    SparseCategoricalCrossentropy,
)
from .r2_score import R2Score
from .reduction_metrics import Mean, MeanMetricWrapper, Sum
from .regression_metrics import (
    CosineSimilarity,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    RootMeanSquaredError,
)

# The losses' per-sample functions, re-exported as keras.metrics does: metrics=[fn] works too.
from ..losses.focal import binary_focal_crossentropy, categorical_focal_crossentropy
from ..losses.hinge_losses import categorical_hinge, hinge, squared_hinge
from ..losses.log_scale import log_cosh, mean_squared_logarithmic_error, poisson
from ..losses.losses import (
    binary_crossentropy,
    categorical_crossentropy,
    huber,
    kl_divergence,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    sparse_categorical_crossentropy,
)

__all__ = [
    # base classes
    "Metric", "Mean", "Sum", "MeanMetricWrapper",
    # accuracy
    "Accuracy", "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy",
    # regression
    "MeanSquaredError", "MeanAbsoluteError", "MeanAbsolutePercentageError", "RootMeanSquaredError",
    "CosineSimilarity", "LogCoshError", "MeanSquaredLogarithmicError", "R2Score",
    "PearsonCorrelation", "ConcordanceCorrelation",
    # hinge
    "Hinge", "SquaredHinge", "CategoricalHinge",
    # probabilistic
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence",
    "Poisson",
    # intersection over union
    "IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU",
    # confusion matrix
    "Precision", "Recall", "AUC", "F1Score", "FBetaScore",
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    # functions
    "binary_accuracy", "categorical_accuracy", "sparse_categorical_accuracy",
    "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy", "kl_divergence",
    "hinge", "squared_hinge", "categorical_hinge", "log_cosh", "mean_squared_logarithmic_error", "poisson",
    "huber", "binary_focal_crossentropy", "categorical_focal_crossentropy", "pearson_correlation",
    "concordance_correlation",
    # lookup
    "get", "serialize", "deserialize",
]

# The names `get` and model loading resolve (into metric_registry.registry).
_CLASSES = (
    Metric, Mean, Sum, MeanMetricWrapper,
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError, RootMeanSquaredError, CosineSimilarity,
    BinaryCrossentropy, CategoricalCrossentropy, SparseCategoricalCrossentropy, KLDivergence,
    Precision, Recall, AUC, F1Score, FBetaScore,
    TruePositives, FalsePositives, TrueNegatives, FalseNegatives,
    Hinge, SquaredHinge, CategoricalHinge, LogCoshError, MeanSquaredLogarithmicError, Poisson, R2Score,
    PearsonCorrelation, ConcordanceCorrelation, IoU, MeanIoU, BinaryIoU, OneHotIoU, OneHotMeanIoU,
)
for _cls in _CLASSES:
    registry.add(_cls.__name__, _cls)
    registry.add(to_snake_case(_cls.__name__), _cls)
registry.add("fbeta_score", FBetaScore)  # its default name
registry.add("logcosh", LogCoshError)  # its default name
for _short, _cls in {"mse": MeanSquaredError, "mae": MeanAbsoluteError, "mape": MeanAbsolutePercentageError,
                     "bce": BinaryCrossentropy, "kld": KLDivergence,
                     "msle": MeanSquaredLogarithmicError}.items():
    registry.add(_short, _cls)
    registry.add(_short.upper(), _cls)

# Functions a MeanMetricWrapper can be saved with, by name.
_FUNCTIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
               top_k_categorical_accuracy, sparse_top_k_categorical_accuracy,
               _loss_functions.mean_squared_error, _loss_functions.mean_absolute_error,
               _loss_functions.mean_absolute_percentage_error, _loss_functions.huber,
               _loss_functions.kl_divergence, _loss_functions.cosine_similarity,
               _loss_functions.binary_crossentropy, _loss_functions.categorical_crossentropy,
               _loss_functions.sparse_categorical_crossentropy, hinge, squared_hinge, categorical_hinge,
               log_cosh, mean_squared_logarithmic_error, poisson, binary_focal_crossentropy,
               categorical_focal_crossentropy, pearson_correlation, concordance_correlation)
}
for _name, _fn in _FUNCTIONS.items():
    registry.add_function(_name, _fn)


from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
