"""Sample weights and the batch reduction, folded into the cross-entropy ops.

A Loss object turns per-sample losses l_i into one number: it multiplies them
by the sample weights w_i and takes their sum, or their sum divided by the number
of samples n ("sum_over_batch_size", Keras's default: a weight of 0 still counts
its sample). Done with separate ops that is a multiply and a mean after the
cross-entropy, two more graph nodes on every training step. The fused
cross-entropies (nn.py) can do it inside themselves instead: they take the
weights as an optional extra input and the reduction as an attribute, and
backward needs only

    the gradient at each l_i:  g (times 1/n) times w_i
    the gradient at each w_i:  g (times 1/n) times l_i
"""

from __future__ import annotations

from typing import Any

from ..function import unbroadcast

REDUCTIONS = (None, "sum", "sum_over_batch_size")  # what the fused ops can do themselves


def check_folding(op: str, losses_shape: tuple, weight: Any, reduction: Any) -> None:
    """Raises a ValueError unless `reduction` is one of REDUCTIONS and `weight` (an array or
    None) gives one weight per sample or a single one."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"{op}: reduction {reduction!r} is not one of {REDUCTIONS}.")
    if weight is not None and weight.shape not in ((), losses_shape):
        raise ValueError(
            f"{op}: a weight of shape {weight.shape} does not fit the per-sample losses of shape "
            f"{losses_shape}; give one weight per sample, shape {losses_shape}, or a single number."
        )


class WeightedReduction:
    """Mixed into a Function whose forward computes per-sample losses and whose optional
    third input is their weight: `_weight_and_reduce` ends its forward, `_loss_grads`
    starts its backward."""

    weight = None
    reduction = None
    scale = None  # 1/n for "sum_over_batch_size"

    def _weight_and_reduce(self, losses: Any, weight: Any, reduction: str | None) -> Any:
        self.weight, self.reduction = weight, reduction
        if weight is not None:
            self.losses = losses  # for the weight's gradient
            losses = losses * weight
        if reduction is None:
            return losses
        total = losses.sum()
        if reduction == "sum":
            return total
        # As the mean op computes it: the sum times 1/n in the losses' dtype (0 for no samples).
        self.scale = total.dtype.type(1.0 / losses.size if losses.size else 0.0)
        return total * self.scale

    def _loss_grads(self, grad: Any) -> tuple[Any, Any]:
        """(gradient at each unweighted loss, gradient at the weight or None). The first is
        a single number for all samples when no weight varies per sample."""
        if self.scale is not None:
            grad = grad * self.scale
        weight = self.weight
        if weight is None:
            return grad, None
        d_weight = unbroadcast(grad * self.losses, weight.shape) if self.needs_grad[2] else None
        return grad * weight, d_weight


def weighted_and_reduced(op: str, losses: Any, weights: tuple, reduction: str | None) -> Any:
    """The same weighting and reduction from primitive Tensor ops, for per-sample losses
    computed without a fused op. `weights` is () or (weight tensor,)."""
    check_folding(op, losses.shape, weights[0].data if weights else None, reduction)
    if weights:
        losses = losses * weights[0]
    if reduction is None:
        return losses
    total = losses.sum()
    return total if reduction == "sum" or not losses.size else total * (1.0 / losses.size)
