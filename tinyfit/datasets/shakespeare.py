"""Six Shakespeare tragedies as one plain text, for character-level language models.

Shipped in the checkout's `datasets/shakespeare_tragedies.txt` (source, licence
and sha256 in datasets/README.md); nothing is downloaded.

>>> from tinyfit.datasets import shakespeare
>>> text = shakespeare.load_data()
>>> characters = sorted(set(text))             # 73 characters
>>> ids = [characters.index(c) for c in text[:20]]
"""

from __future__ import annotations

from pathlib import Path

from .mnist import search_paths, sha256

FILENAME = "shakespeare_tragedies.txt"
SHA256 = "ccc8da6e1d7a58664439507d66477a06af9765208d8d216bd77e49931235d8fe"
PLAYS = ("Hamlet", "Macbeth", "King Lear", "Othello", "Romeo and Juliet", "Julius Caesar")


def load_data(path: str = FILENAME) -> str:
    """Loads Hamlet, Macbeth, King Lear, Othello, Romeo and Juliet and Julius Caesar, in this order.

    Looks in $TINYFIT_DATASETS, then the user cache, then the checkout's `datasets/`
    folder, and checks the file's sha256.

    Returns:
        The text, 841,800 ASCII characters: each play from its title to its last
        line, the plays separated by two empty lines.
    """
    filename = Path(path).name
    candidates = ([Path(path)] if Path(path).is_absolute() else []) + search_paths(filename)
    for candidate in candidates:
        if candidate.is_file():
            digest = sha256(candidate)
            if digest != SHA256:
                raise ValueError(
                    f"shakespeare.load_data: {candidate} has sha256 {digest}, not {SHA256}: the file is changed "
                    "or truncated; restore it from the repository (see datasets/README.md)."
                )
            return candidate.read_text(encoding="ascii")
    where = "\n".join(f"  {p}" for p in candidates)
    raise FileNotFoundError(
        f"shakespeare.load_data: {filename} was not found. It ships in the tinyfit checkout's datasets/ folder; "
        f"put a copy in one of these places (searched in this order):\n{where}\n"
        "or set TINYFIT_DATASETS to the folder that holds it."
    )
