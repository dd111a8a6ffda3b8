"""Callbacks: code run by fit(), evaluate() and predict() at the start and end of epochs and batches."""

from .backup_and_restore import BackupAndRestore
from .callback import Callback
from .callback_list import CallbackList
from .csv_logger import CSVLogger
from .early_stopping import EarlyStopping
from .history import History
from .lambda_callback import LambdaCallback
from .learning_rate_scheduler import LearningRateScheduler
from .live_plot import LivePlot
from .model_checkpoint import ModelCheckpoint
from .monitor_callback import MonitorCallback
from .progbar_logger import ProgbarLogger
from .reduce_lr_on_plateau import ReduceLROnPlateau
from .tensorboard import TensorBoard
from .terminate_on_nan import TerminateOnNaN

__all__ = [
    "Callback",
    "CallbackList",
    "History",
    "ProgbarLogger",
    "MonitorCallback",
    "EarlyStopping",
    "ReduceLROnPlateau",
    "LearningRateScheduler",
    "CSVLogger",
    "LambdaCallback",
    "TerminateOnNaN",
    "TensorBoard",
    "LivePlot",
    "ModelCheckpoint",
    "BackupAndRestore",
]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
