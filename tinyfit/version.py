"""tinyfit's version, in a module of its own so that saving can write it into files
without importing the whole package."""

__version__ = "0.1.0"
