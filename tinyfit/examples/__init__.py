"""Runnable examples: `python -m tinyfit.examples.<name>`."""
