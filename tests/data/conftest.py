"""The data tests fork worker processes; a fork is safe only while real Keras (and JAX's threads) is not loaded."""

import sys

import pytest


@pytest.fixture(autouse=True)
def no_keras_in_this_process():
    # tests/conftest.py runs every test that imports Keras after the others; this says so if that breaks.
    assert "keras" not in sys.modules, (
        "real Keras was imported into the test process before a data test that forks workers; "
        "take it through the keras3 fixture (tests/conftest.py), which runs such tests last")
