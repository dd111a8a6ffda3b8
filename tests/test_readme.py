"""Every Python snippet in the README runs as pasted, and prints what its comments say.

Each ```python block runs on its own in a fresh interpreter, in an empty folder, so a block
that leans on names from an earlier block, or on a file next to the README, fails here. A
line `print(...)  # expected` must print the expected text, where `...` stands for anything
and whitespace is loose.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, source) of each ```python block."""
    blocks, lines = [], text.splitlines()
    start = None
    for number, line in enumerate(lines, 1):
        if start is None and line.strip() == "```python":
            start = number
        elif start is not None and line.strip() == "```":
            blocks.append((start, "\n".join(lines[start:number - 1]) + "\n"))
            start = None
    assert start is None, f"README.md: the ```python block opened on line {start} is never closed"
    return blocks


def expected_prints(source: str) -> list[str]:
    return [line.split("#", 1)[1].strip() for line in source.splitlines()
            if line.lstrip().startswith("print(") and "#" in line]


def matches(expected: str, printed: str) -> bool:
    pattern = r"\s*".join(re.escape(part) for part in expected.split())
    pattern = pattern.replace(re.escape("..."), ".*?")
    return re.fullmatch(pattern, printed.strip(), flags=re.DOTALL) is not None


BLOCKS = python_blocks(README.read_text())


def test_the_readme_has_python_snippets():
    assert len(BLOCKS) >= 3


def test_expected_output_matching_is_strict():
    assert matches("Tensor(18.25, ...) [[19.] [27.]]", "Tensor(18.25, dtype=float32) [[19.]\n [27.]]")
    assert not matches("Tensor(18.25, ...) [[19.] [27.]]", "Tensor(18.5, dtype=float32) [[19.]\n [27.]]")
    assert not matches("[[19.] [27.]]", "[[19.] [27.]] extra")


@pytest.mark.slow
@pytest.mark.parametrize("line, source", BLOCKS, ids=[f"line{line}" for line, _ in BLOCKS])
def test_snippet_runs_as_pasted(line, source, tmp_path):
    environment = dict(os.environ, TINYFIT_PROGRESS="off", MPLBACKEND="Agg")
    result = subprocess.run([sys.executable, "-c", source], cwd=tmp_path, env=environment,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"README.md, the block on line {line} fails as pasted:\n{result.stderr[-3000:]}"
    expected = expected_prints(source)
    if expected:
        printed = result.stdout.strip()
        assert matches(" ".join(expected), printed), (
            f"README.md, the block on line {line} prints\n{printed}\nwhere its comments say\n{expected}")
