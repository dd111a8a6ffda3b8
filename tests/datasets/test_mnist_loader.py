import hashlib
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from tinyfit.datasets import mnist

SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "mnist.npz"


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("TINYFIT_DATASETS", raising=False)
    return tmp_path


def test_load_data_returns_keras_layout(empty_cache):
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28) and x_train.dtype == np.uint8
    assert y_train.shape == (60000,) and y_test.shape == (10000,)
    assert x_test.shape == (10000, 28, 28)
    assert np.bincount(y_test).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


def test_environment_folder_comes_first(empty_cache, monkeypatch):
    folder = empty_cache / "mine"
    folder.mkdir()
    tiny = dict(x_train=np.zeros((2, 28, 28), np.uint8), y_train=np.array([3, 4], np.uint8),
                x_test=np.zeros((1, 28, 28), np.uint8), y_test=np.array([7], np.uint8))
    np.savez(folder / "mnist.npz", **tiny)
    monkeypatch.setenv("TINYFIT_DATASETS", str(folder))
    (_, y_train), (_, y_test) = mnist.load_data()
    assert y_train.tolist() == [3, 4] and y_test.tolist() == [7]


def test_offline_and_missing_says_where_to_put_the_file(empty_cache, monkeypatch):
    monkeypatch.setattr(mnist, "search_paths", lambda filename=mnist.FILENAME: [empty_cache / "nowhere" / filename])

    def offline(*args, **kwargs):
        raise urllib.error.URLError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(FileNotFoundError) as info:
        mnist.load_data()
    message = str(info.value)
    assert "could not be downloaded" in message and "network unreachable" in message
    assert str(empty_cache / "nowhere" / "mnist.npz") in message and "TINYFIT_DATASETS" in message
    assert not list((empty_cache / "cache").rglob("*.part"))  # nothing half-written left behind


class _FakeResponse:
    def __init__(self, payload):
        self.payload = payload

    def read(self, n):
        chunk, self.payload = self.payload[:n], self.payload[n:]
        return chunk

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_is_checksummed_and_cached(empty_cache, monkeypatch):
    payload = SHIPPED.read_bytes()
    monkeypatch.setattr(mnist, "search_paths", lambda filename=mnist.FILENAME: [mnist.cache_dir() / filename])
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _FakeResponse(payload))
    (x_train, _), _ = mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    cached = mnist.cache_dir() / "mnist.npz"
    assert hashlib.sha256(cached.read_bytes()).hexdigest() in mnist.KNOWN_SHA256


def test_corrupt_download_is_rejected_and_deleted(empty_cache, monkeypatch):
    monkeypatch.setattr(mnist, "search_paths", lambda filename=mnist.FILENAME: [mnist.cache_dir() / filename])
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: _FakeResponse(b"not mnist"))
    with pytest.raises(OSError, match="not a known MNIST file"):
        mnist.load_data()
    assert not (mnist.cache_dir() / "mnist.npz").exists()
    assert not list(mnist.cache_dir().glob("*.part"))
