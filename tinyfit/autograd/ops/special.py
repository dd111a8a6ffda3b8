"""Functions beyond the basic set: erf, sin, cos, log1p, expm1, and the rounding
functions, whose gradient is zero."""

from __future__ import annotations

import math

from ... import backend
from ..function import Function
from .elementwise import _quiet

# Coefficients of a Chebyshev fit of erfc(z) * exp(z*z) (Numerical Recipes, erfcc):
# relative error below 1.2e-7 for every z, which is float32's own resolution.
_ERFC_FIT = (-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806,
             0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277)


class Erf(Function):
    """The error function, 2/sqrt(pi) times the integral of exp(-t^2) from 0 to x."""

    name = "erf"

    def forward(self, a):
        xp = backend.array_module(a)
        self.a = a
        z = abs(a)
        t = 1 / (1 + 0.5 * z)
        poly = a.dtype.type(_ERFC_FIT[-1])
        for c in reversed(_ERFC_FIT[:-1]):
            poly = c + t * poly
        erfc = t * xp.exp(-z * z + poly)
        return (xp.sign(a) * (1 - erfc)).astype(a.dtype)

    def backward(self, grad):
        xp = backend.array_module(self.a)
        return grad * (2 / math.sqrt(math.pi)) * xp.exp(-self.a * self.a)


class Rounding(Function):
    """sign, round, floor, ceil: piecewise constant, so the gradient is zero (as in Keras)."""

    name = "rounding"

    def forward(self, a, how, decimals=0):
        xp = backend.array_module(a)
        return xp.round(a, decimals) if how == "round" else getattr(xp, how)(a)

    def backward(self, grad):
        return backend.array_module(grad).zeros_like(grad)


class Sin(Function):
    name = "sin"

    def forward(self, a):
        self.a = a
        return backend.array_module(a).sin(a)

    def backward(self, grad):
        return grad * backend.array_module(self.a).cos(self.a)


class Cos(Function):
    name = "cos"

    def forward(self, a):
        self.a = a
        return backend.array_module(a).cos(a)

    def backward(self, grad):
        return -grad * backend.array_module(self.a).sin(self.a)


class Log1p(Function):
    """log(1 + a), exact for tiny a, where 1 + a would round to 1."""

    name = "log1p"

    def forward(self, a):
        self.a = a
        xp = backend.array_module(a)
        with _quiet(xp):  # log1p(-1) = -inf is a result, not a crash
            return xp.log1p(a)

    def backward(self, grad):
        return grad / (1 + self.a)


class Expm1(Function):
    """exp(a) - 1, exact for tiny a."""

    name = "expm1"

    def forward(self, a):
        self.out = backend.array_module(a).expm1(a)
        return self.out

    def backward(self, grad):
        return grad * (self.out + 1)
