"""compile/fit/evaluate/predict: the training loop that Model inherits (see trainer.py)."""
