"""environment.yml (for conda classrooms) lists what `pip install -e ".[dev]"` installs."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def names(requirements):
    return {re.split(r"[<>=!\[ ]", requirement, maxsplit=1)[0].lower() for requirement in requirements}


def test_environment_file_lists_every_runtime_notebook_and_dev_dependency():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    wanted = names(project["dependencies"]) | names(extras["notebook"]) | names(extras["teach"]) | names(extras["dev"])
    wanted.discard("tinyfit")  # the dev extra pulls in tinyfit[notebook] and tinyfit[teach]
    listed = names(line.strip()[2:] for line in (ROOT / "environment.yml").read_text().splitlines()
                   if line.strip().startswith("- ") and not line.strip().startswith("- -e"))
    assert wanted - listed == set(), "add these to environment.yml's conda list"
