"""Utilities: seeding, label encoding, name registries."""

from .labels import to_categorical
from .random import set_random_seed

__all__ = ["set_random_seed", "to_categorical"]
