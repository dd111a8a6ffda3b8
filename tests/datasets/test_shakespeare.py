"""The Shakespeare text shipped in datasets/ is the one its README describes, and load_data finds it."""

import hashlib
from pathlib import Path

import pytest

from tinyfit.datasets import shakespeare

SHIPPED = Path(__file__).resolve().parents[2] / "datasets" / "shakespeare_tragedies.txt"
README = SHIPPED.parent / "README.md"
SHA256 = "ccc8da6e1d7a58664439507d66477a06af9765208d8d216bd77e49931235d8fe"


def test_sha256_matches_readme_and_loader():
    digest = hashlib.sha256(SHIPPED.read_bytes()).hexdigest()
    assert digest == SHA256, (f"{SHIPPED} has sha256 {digest}, expected {SHA256}: the file is changed or "
                              "truncated (a Git LFS pointer?); restore it from the repository")
    assert shakespeare.SHA256 == SHA256
    assert SHA256 in README.read_text()


def test_load_data_gives_the_six_plays_in_order(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # no copy in a user cache shadows the checkout's
    monkeypatch.delenv("TINYFIT_DATASETS", raising=False)
    text = shakespeare.load_data()
    assert len(text) == 841_800 and text.isascii()
    titles = ["HAMLET, PRINCE OF DENMARK", "MACBETH", "KING LEAR", "OTHELLO", "ROMEO AND JULIET", "JULIUS CAESAR"]
    starts = [text.find(t) for t in titles]
    assert starts[0] == 0 and starts == sorted(starts) and -1 not in starts
    assert "Gutenberg" not in text and "\r" not in text
    assert len(set(text)) == 73


def test_a_changed_copy_is_refused(monkeypatch, tmp_path):
    (tmp_path / shakespeare.FILENAME).write_bytes(SHIPPED.read_bytes()[:-1])
    monkeypatch.setenv("TINYFIT_DATASETS", str(tmp_path))
    with pytest.raises(ValueError, match="changed or truncated"):
        shakespeare.load_data()


def test_a_missing_file_names_where_it_was_looked_for(tmp_path):
    with pytest.raises(FileNotFoundError, match="ships in the tinyfit checkout's datasets/ folder"):
        shakespeare.load_data(str(tmp_path / "nowhere" / "missing.txt"))
