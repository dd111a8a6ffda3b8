"""Which way is better for a logged value: up for accuracy-like names, down for losses and errors.

EarlyStopping, ReduceLROnPlateau and ModelCheckpoint ask it for mode="auto"; plot_history
asks it to mark each curve's best epoch.
"""

from __future__ import annotations

# Names containing one of these are better when higher; everything else (loss,
# mse, mae, ...) is better when lower.
_HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "iou",
                     "true_positive", "true_negative")


def higher_is_better(monitor: str) -> bool:
    """The direction mode="auto" picks: True for accuracy-, AUC-, precision-like names."""
    name = monitor.lower().removeprefix("val_")
    return any(word in name for word in _HIGHER_IS_BETTER)
