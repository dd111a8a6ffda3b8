"""Imports point down the library's layers, as the README draws them.

Every import of one part of tinyfit from another, lazy ones inside functions and
absolute ones (`import tinyfit...`) included, goes to a part listed earlier in
LAYERS, and no two modules import each other but the autograd engine's. The few that go up are
listed in UPWARD with the reason; a new one fails here until it is justified
or the code is moved.
"""

import ast
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "tinyfit"

# Lowest first: each part may import only parts above it in this list (and itself).
# examples/ and course/ are written against the public package (`import tinyfit as keras`),
# so they sit above tinyfit/__init__, which imports neither.
LAYERS = [
    "backend", "config", "version", "autograd", "ops", "tree", "utils", "random",
    "activations", "initializers", "regularizers", "layers",
    "losses", "metrics", "optimizers", "data", "saving", "callbacks", "trainers", "models",
    "datasets", "__init__", "examples", "course",
]

# (importing module, imported part): why it may point up.
UPWARD: dict[tuple[str, str], str] = {}

# The one circle allowed: Tensor and its ops need each other (an op makes Tensors, a Tensor's
# methods call ops), which Python resolves because each side imports the other's module.
ENGINE_CIRCLE = "tinyfit.autograd."


def module_names(package: Path) -> dict[str, Path]:
    """{dotted module name: its file} for every module of the package."""
    modules = {}
    for path in package.rglob("*.py"):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def import_nodes(tree: ast.AST):
    """Every import statement: at module level, in functions, in try/if blocks; not under
    `if TYPE_CHECKING:` (those never run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from import_nodes(ast.Module(body=[child], type_ignores=[]))
            continue
        yield from import_nodes(node)


def imported_modules(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that module `name` (file `path`) imports, relative and
    absolute imports alike (`from . import x`, `import tinyfit.layers`, `from tinyfit import ops`)."""
    root = next(iter(modules)).split(".")[0] if modules else "tinyfit"
    here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in import_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        else:
            if node.level == 0:
                base = node.module.split(".")
            elif node.level - 1 > len(here) - 1:
                continue  # beyond the package: not ours
            else:
                base = here[:len(here) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            targets = []
            for alias in node.names:
                target = ".".join(base + [alias.name])
                targets.append(target if target in modules else ".".join(base))
        for target in targets:
            if target.split(".")[0] != root:
                continue
            if target in modules and target != name:
                found.add(target)
    return found


def module_imports(package: Path) -> dict[str, set[str]]:
    """{module: the package's modules it imports}, lazy imports inside functions included:
    those run later, but a circle through them is still two modules that need each other."""
    modules = module_names(package)
    return {name: imported_modules(name, path, modules) for name, path in modules.items()}


def part_of_module(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def upward_imports() -> list[str]:
    found = []
    for module, targets in sorted(module_imports(PACKAGE).items()):
        source_part = part_of_module(module)
        where = str(module_names(PACKAGE)[module].relative_to(PACKAGE))
        for target_part in sorted({part_of_module(target) for target in targets}):
            if target_part == source_part or target_part not in LAYERS or source_part not in LAYERS:
                continue
            if LAYERS.index(target_part) > LAYERS.index(source_part) and (where, target_part) not in UPWARD:
                found.append(f"{where} imports {target_part}")
    return found


def imported_parts(path: Path) -> set[str]:
    modules = module_names(PACKAGE)
    name = next(name for name, file in modules.items() if file == path)
    return {part_of_module(target) for target in imported_modules(name, path, modules)}


def test_every_part_of_the_library_has_a_layer():
    parts = {part_of_module(module) for module in module_names(PACKAGE)}
    assert parts <= set(LAYERS), f"add to LAYERS: {sorted(parts - set(LAYERS))}"


def test_imports_point_down_the_layers():
    assert upward_imports() == []


def test_each_listed_exception_is_still_needed():
    for (where, target), why in UPWARD.items():
        assert target in imported_parts(PACKAGE / where), f"{where} no longer imports {target}: drop it from UPWARD"


def test_the_check_sees_an_upward_import(tmp_path, monkeypatch):
    fake = tmp_path / "tinyfit"
    (fake / "ops").mkdir(parents=True)
    (fake / "trainers").mkdir()
    (fake / "__init__.py").write_text("")
    (fake / "trainers" / "__init__.py").write_text("")
    (fake / "trainers" / "trainer.py").write_text("")
    (fake / "ops" / "bad.py").write_text("from ..trainers import trainer\n")
    (fake / "ops" / "lazy.py").write_text("def f():\n    import tinyfit.trainers.trainer\n")
    (fake / "ops" / "absolute.py").write_text("from tinyfit import trainers\n")
    (fake / "ops" / "typing_only.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from tinyfit.trainers import trainer\n")
    (fake / "ops" / "fine.py").write_text("from ..autograd import Tensor\nfrom . import bad\nimport numpy\n")
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", fake)
    assert upward_imports() == ["ops/absolute.py imports trainers", "ops/bad.py imports trainers",
                                "ops/lazy.py imports trainers"]


# ------------------------------------------------------------------ import circles
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
    outside = [group for group in circles(module_imports(PACKAGE))
               if not all(module.startswith(ENGINE_CIRCLE) for module in group)]
    assert outside == []


def test_the_engine_circle_is_still_there():
    # If it goes, ENGINE_CIRCLE's allowance goes too.
    assert any(all(module.startswith(ENGINE_CIRCLE) for module in group)
               for group in circles(module_imports(PACKAGE)))


def test_the_circle_check_sees_a_circle_through_any_import(tmp_path):
    fake = tmp_path / "tinyfit"
    (fake / "utils").mkdir(parents=True)
    (fake / "__init__.py").write_text("from . import utils\n")
    (fake / "utils" / "__init__.py").write_text("")
    (fake / "utils" / "a.py").write_text("from .b import thing\n")
    (fake / "utils" / "b.py").write_text("def thing():\n    from .c import x\n")  # lazy: still counts
    (fake / "utils" / "c.py").write_text("try:\n    from tinyfit.utils.a import thing\nexcept ImportError:\n    pass\n")
    (fake / "utils" / "d.py").write_text("import tinyfit\n")  # up to the package, which does not import d
    (fake / "utils" / "e.py").write_text(
        "import typing\nif typing.TYPE_CHECKING:\n    from .f import y\n")  # never runs: no circle
    (fake / "utils" / "f.py").write_text("from .e import z\n")
    assert circles(module_imports(fake)) == [["tinyfit.utils.a", "tinyfit.utils.b", "tinyfit.utils.c"]]
