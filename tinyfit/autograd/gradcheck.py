"""gradcheck: compares autograd's gradients with finite differences, in float64.

For each input element x_j the slope is estimated by central differences,
(L(x_j + eps) - L(x_j - eps)) / (2 eps), and compared with the gradient that
backward() produced. float32 has too few digits for this (differences of nearly
equal numbers lose them all), so every floating input is checked in float64.

How close the two must be depends on the dtype `f` actually computes in. In
float64 a central difference agrees with the true slope to about 1e-9, so the
tolerances are tight enough to catch a gradient that is off by 0.1%. When `f`
computes in float32 whatever it is given (a layer that casts to its own dtype),
only about 7 digits exist: the step is larger and the tolerances looser, so a
correct function still passes, and a gross error (a wrong formula, a missing
sum over a broadcast axis) still fails.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy

from .. import backend
from .grad_mode import no_grad
from .tensor import Tensor

# dtype f computes in -> (eps, atol, rtol). float64: the difference's own error is
# about 1e-9 relative, so rtol 1e-5 leaves room and still fails a 0.1% error on any
# gradient above atol / 1e-3 = 1e-3. float32: eps near the cube root of float32's
# resolution (1.2e-7) balances rounding against truncation, leaving about 1e-4.
TOLERANCES = {
    "float64": (1e-6, 1e-6, 1e-5),
    "float32": (1e-3, 1e-3, 1e-2),
}


class GradcheckError(AssertionError):
    """Raised when autograd and finite differences disagree."""


def gradcheck(
    f: Callable[..., Tensor],
    inputs: Sequence[Any],
    eps: float | None = None,
    atol: float | None = None,
    rtol: float | None = None,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Checks the gradients of `f` at `inputs` against finite differences.

    Args:
        f: a function of tensors returning a Tensor (of any shape: a non-scalar
            output is reduced with fixed random weights, so every output element
            takes part).
        inputs: numbers, lists, arrays or Tensors. Floating ones are checked
            (as float64 copies); integer and bool ones (labels, masks) are passed
            through as constants.
        eps: the finite-difference step.
        atol, rtol: an element passes when |autograd - numeric| <= atol + rtol * |numeric|.
            Left as None, eps, atol and rtol come from `TOLERANCES` for the dtype of f's
            output: (1e-6, 1e-6, 1e-5) in float64, which fails a gradient off by 0.1%,
            and (1e-3, 1e-3, 1e-2) when f computes in float32 anyway.
        raise_exception: raise GradcheckError on failure (default) or return False.
        seed: seeds the weights that reduce a non-scalar output.

    Returns:
        True when every element passes.
    """
    args = [_prepare(x) for x in inputs]
    checked = [i for i, a in enumerate(args) if a.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no floating-point input to check; pass at least one float input.")

    probe = f(*args)
    if not isinstance(probe, Tensor):
        raise TypeError(f"gradcheck: f must return a Tensor, got {type(probe).__name__}.")
    xp = backend.array_module(probe.data)
    computed_in = _computed_in(probe)
    default_eps, default_atol, default_rtol = TOLERANCES[computed_in]
    eps = default_eps if eps is None else eps
    atol = default_atol if atol is None else atol
    rtol = default_rtol if rtol is None else rtol
    weights = None
    if probe.size != 1:
        rng = numpy.random.default_rng(seed)
        weights = backend.to_device(rng.standard_normal(probe.shape), probe.device)

    def objective(*xs: Tensor) -> Tensor:
        out = f(*xs)
        if weights is None:
            return out.sum()
        return (out * Tensor._make(weights, False)).sum()

    loss = objective(*args)
    if not loss.requires_grad:
        raise ValueError("gradcheck: f's output does not depend on any checked input (no graph was recorded).")
    loss.backward()

    worst = None  # (excess over tolerance, input index, position, analytic, numeric)
    failures = total = 0
    for i in checked:
        x = args[i]
        analytic = x.grad if x.grad is not None else xp.zeros_like(x.data)
        flat = x.data.reshape(-1)  # a view: x.data is a fresh contiguous copy
        flat_grad = analytic.reshape(-1)
        for j in range(flat.size):
            original = float(flat[j])
            with no_grad():
                flat[j] = original + eps
                up = float(objective(*args).data)
                flat[j] = original - eps
                down = float(objective(*args).data)
            flat[j] = original
            numeric = (up - down) / (2 * eps)
            got = float(flat_grad[j])
            excess = abs(got - numeric) - (atol + rtol * abs(numeric))
            total += 1
            if excess > 0 or excess != excess:  # NaN never passes
                failures += 1
            if worst is None or excess > worst[0] or excess != excess:
                position = tuple(int(k) for k in _unravel(j, x.shape))
                worst = (excess, i, position, got, numeric)
    if failures == 0:
        return True
    _, i, position, got, numeric = worst
    message = (
        f"gradcheck failed on {failures} of {total} elements. Worst: input {i}, element "
        f"{position}: autograd {got:.6g}, finite difference {numeric:.6g} "
        f"(difference {abs(got - numeric):.3g}, allowed {atol + rtol * abs(numeric):.3g}; "
        f"f computes in {computed_in}: eps={eps:g}, atol={atol:g}, rtol={rtol:g})."
    )
    if raise_exception:
        raise GradcheckError(message)
    return False


def _computed_in(output: Tensor) -> str:
    """The TOLERANCES key for f's output: float64, or float32 for anything narrower."""
    kind, size = output.dtype.kind, output.dtype.itemsize
    if kind == "f" and size >= 8:
        return "float64"
    if kind == "f" and size == 4:
        return "float32"
    raise TypeError(
        f"gradcheck: f returns {output.dtype}; finite differences need float64 (or at least "
        "float32) outputs. Compute the checked function in float64."
    )


def _prepare(x: Any) -> Tensor:
    """A float64 leaf copy of a floating input; integer/bool inputs stay constants."""
    data = x.data if isinstance(x, Tensor) else x
    if not backend.is_array(data):
        data = backend.xp().asarray(data)
    if data.dtype.kind == "f":
        return Tensor(backend.array_module(data).array(data, dtype="float64"), requires_grad=True, dtype="float64")
    return Tensor._make(data, False)


def _unravel(j: int, shape: tuple[int, ...]) -> list[int]:
    position = []
    for n in reversed(shape):
        position.append(j % n)
        j //= n
    return list(reversed(position))
