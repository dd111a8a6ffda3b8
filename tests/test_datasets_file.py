"""The MNIST file shipped in datasets/ is the one its README describes."""

import hashlib
from pathlib import Path

import numpy as np
import pytest

MNIST = Path(__file__).resolve().parents[1] / "datasets" / "mnist.npz"
MNIST_SHA256 = "06af5dfe73b70e3bc1c36439982b18a8d76803db9b544f6fdf838a37fbb01b64"


def test_mnist_sha256_matches_readme():
    digest = hashlib.sha256(MNIST.read_bytes()).hexdigest()
    assert digest == MNIST_SHA256, (
        f"{MNIST} has sha256 {digest}, expected {MNIST_SHA256}: the file is changed or "
        "truncated (a Git LFS pointer?); restore it from the repository"
    )


@pytest.fixture(scope="module")
def mnist():
    with np.load(MNIST, allow_pickle=False) as f:
        return {name: f[name] for name in f.files}


def test_mnist_has_keras_layout(mnist):
    assert sorted(mnist) == ["x_test", "x_train", "y_test", "y_train"]
    assert mnist["x_train"].shape == (60000, 28, 28)
    assert mnist["y_train"].shape == (60000,)
    assert mnist["x_test"].shape == (10000, 28, 28)
    assert mnist["y_test"].shape == (10000,)
    for name, array in mnist.items():
        assert array.dtype == np.uint8, name


def test_mnist_label_counts(mnist):
    train = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    test = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    assert np.bincount(mnist["y_train"], minlength=10).tolist() == train
    assert np.bincount(mnist["y_test"], minlength=10).tolist() == test


def test_mnist_pixels_span_full_range(mnist):
    for name in ("x_train", "x_test"):
        assert mnist[name].min() == 0 and mnist[name].max() == 255, name
