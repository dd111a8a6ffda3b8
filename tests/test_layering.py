"""Imports point down the library's layers, as the README draws them.

Every import of one part of tinyfit from another, lazy ones inside functions
included, goes to a part listed earlier in LAYERS. The few that go up are
listed in UPWARD with the reason; a new one fails here until it is justified
or the code is moved.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinyfit"

# Lowest first: each part may import only parts above it in this list (and itself).
LAYERS = [
    "backend", "config", "autograd", "ops", "tree", "utils", "random",
    "activations", "initializers", "regularizers", "layers",
    "losses", "metrics", "optimizers", "data", "saving", "callbacks", "trainers", "models",
    "datasets", "examples", "course", "__init__",
]

# (importing module, imported part): why it may point up.
UPWARD = {
    ("utils/__init__.py", "data"): "keras.utils.PyDataset is where Keras users look for it (a re-export)",
    ("utils/session.py", "layers"): "lazy: keras.utils.clear_session resets the layers' names, "
                                    "is_keras_tensor knows their symbolic tensors",
    ("utils/history_plot.py", "callbacks"): "lazy: which direction is better for a metric lives with the monitors",
}


def part_of(path: Path) -> str:
    relative = path.relative_to(PACKAGE)
    return relative.parts[0].removesuffix(".py") if relative.parts else "__init__"


def imported_parts(path: Path) -> set[str]:
    """The parts of tinyfit that `path` imports (relative imports, resolved)."""
    relative = path.relative_to(PACKAGE)
    package = list(relative.parts[:-1])  # the module's package, inside tinyfit
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.ImportFrom) or node.level == 0:
            continue
        base = package[:len(package) - (node.level - 1)] if node.level > 1 else package
        if node.level - 1 > len(package):
            continue  # beyond the package: not ours
        target = base + (node.module.split(".") if node.module else [])
        if target:
            found.add(target[0].removesuffix(".py"))
        else:  # "from .. import x, y" at the top of tinyfit: each name is a part
            found.update(alias.name for alias in node.names)
    return found


def upward_imports() -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source_part = part_of(path) if path.name != "__init__.py" or path.parent != PACKAGE else "__init__"
        where = str(path.relative_to(PACKAGE))
        for target in imported_parts(path):
            if target == source_part or target not in LAYERS:
                continue
            if LAYERS.index(target) > LAYERS.index(source_part) and (where, target) not in UPWARD:
                found.append(f"{where} imports {target}")
    return found


def test_every_part_of_the_library_has_a_layer():
    parts = {part_of(p) for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py"}
    assert parts <= set(LAYERS), f"add to LAYERS: {sorted(parts - set(LAYERS))}"


def test_imports_point_down_the_layers():
    assert upward_imports() == []


def test_each_listed_exception_is_still_needed():
    for (where, target), why in UPWARD.items():
        assert target in imported_parts(PACKAGE / where), f"{where} no longer imports {target}: drop it from UPWARD"


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "tinyfit"
    (fake / "ops").mkdir(parents=True)
    (fake / "ops" / "bad.py").write_text("from ..trainers import trainer\n")
    (fake / "ops" / "fine.py").write_text("from ..autograd import Tensor\nfrom . import bad\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert upward_imports() == ["ops/bad.py imports trainers"]


# ------------------------------------------------------------------ import circles
def module_imports(package: Path) -> dict[str, set[str]]:
    """{module: the tinyfit modules it imports when it is imported} (imports at module level only:
    an import inside a function runs later, and cannot make a circle at import time)."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    graph = {}
    for name, path in modules.items():
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        found = set()
        for node in ast.parse(path.read_text(), str(path)).body:
            if not isinstance(node, ast.ImportFrom) or node.level == 0:
                continue
            base = here[:len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            for alias in node.names:
                target = ".".join(base + [alias.name])
                target = target if target in modules else ".".join(base)
                if target in modules and target != name:
                    found.add(target)
        graph[name] = found
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import each other, directly or through others (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in graph[module]:
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_no_import_circle_outside_the_autograd_engine():
    # Tensor and its ops need each other (an op makes Tensors, a Tensor's methods call ops): the
    # engine's own circle, which Python resolves because each side imports the other's module.
    outside = [group for group in circles(module_imports(PACKAGE))
               if not all(module.startswith("tinyfit.autograd.") for module in group)]
    assert outside == []


def test_the_circle_check_sees_a_circle(tmp_path):
    fake = tmp_path / "tinyfit"
    (fake / "utils").mkdir(parents=True)
    (fake / "utils" / "a.py").write_text("from .b import thing\n")
    (fake / "utils" / "b.py").write_text("from . import a\ndef thing():\n    from .c import x\n")
    (fake / "utils" / "c.py").write_text("from .a import thing\n")  # c -> a -> b, but b imports c lazily
    assert circles(module_imports(fake)) == [["tinyfit.utils.a", "tinyfit.utils.b"]]
