"""plot_model and its parts: diagram.py (what to draw), layout.py (where), svg.py and figure.py (drawing)."""

from .plot_model import ModelPlot, plot_model

__all__ = ["plot_model", "ModelPlot"]
