"""Datasets with the same loaders as `keras.datasets`."""

from . import mnist

__all__ = ["mnist"]
