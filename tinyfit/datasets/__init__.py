"""Datasets with the same loaders as `keras.datasets`."""

from . import mnist

__all__ = ["mnist"]

from ..utils.namespace import api_dir  # noqa: E402 (last, so __all__ is complete)

__dir__ = api_dir(globals())
