"""The shape of the library's code that a reader relies on: short files, callbacks on the public API.

A reader should be able to hold any one file in mind: none is over MAX_LINES. Callbacks see the
model only through its public methods (get_training_state, set_weights, ...), never through its
private fields or the trainer's, so the model may change inside without breaking them.
"""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tinyfit"
MAX_LINES = 500


def long_files(package: Path) -> list[str]:
    found = []
    for path in sorted(package.rglob("*.py")):
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            found.append(f"{path.relative_to(package)}: {lines} lines")
    return found


def private_reads(path: Path) -> list[str]:
    """`<something>.model._name` or `model._name` in a callback, and any import of the trainers."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            owner = node.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
            if name == "model":
                found.append(f"{path.name}:{node.lineno} reads model.{node.attr}")
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and len(node.args) >= 2:
            target, attribute = node.args[0], node.args[1]
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if name == "model" and isinstance(attribute, ast.Constant) and str(attribute.value).startswith("_"):
                found.append(f"{path.name}:{node.lineno} reads model.{attribute.value}")
        if isinstance(node, ast.ImportFrom) and node.module and "trainers" in node.module.split("."):
            found.append(f"{path.name}:{node.lineno} imports {node.module}")
    return sorted(found, key=lambda text: int(text.split(":")[1].split()[0]))


def test_no_file_of_the_library_is_over_500_lines():
    assert long_files(PACKAGE) == []


def test_callbacks_see_the_model_through_its_public_api_only():
    found = [read for path in sorted((PACKAGE / "callbacks").glob("*.py")) for read in private_reads(path)]
    assert found == []


def test_the_checks_see_what_they_look_for(tmp_path):
    (tmp_path / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (tmp_path / "small.py").write_text("x = 1\n" * MAX_LINES)
    assert long_files(tmp_path) == [f"big.py: {MAX_LINES + 1} lines"]
    callback = tmp_path / "peek.py"
    callback.write_text("from ..trainers.trainer import Trainer\n"
                        "class Peek:\n"
                        "    def on_epoch_end(self, epoch, logs=None):\n"
                        "        self.model._train_batches.position\n"
                        "        getattr(self.model, '_compiled_step', None)\n"
                        "        self.model.get_training_state()\n")
    assert private_reads(callback) == ["peek.py:1 imports trainers.trainer", "peek.py:4 reads model._train_batches",
                                       "peek.py:5 reads model._compiled_step"]
