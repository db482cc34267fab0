"""The package's import graph, read statically (ast): no cycles, and stages meet only through public modules.

Every ``import`` counts, also one inside a function: a lazy import hides a cycle from the
interpreter at load time but still ties the two modules together. Imports under
``if TYPE_CHECKING:`` do not count (they never run).
"""

from __future__ import annotations

import ast
from pathlib import Path

import reviewgpt

PACKAGE_ROOT = Path(reviewgpt.__file__).parent
PACKAGE = "reviewgpt"

#: The pipeline's stage packages: each may use another's public modules, never its ``_private`` ones.
STAGES = ("crawl", "parse", "aggregate", "dataset", "train", "infer", "evaluate")


def module_name(path: Path, root: Path = PACKAGE_ROOT, package: str = PACKAGE) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join([package, *parts])


def all_modules(root: Path = PACKAGE_ROOT, package: str = PACKAGE) -> dict[str, Path]:
    return {module_name(path, root, package): path for path in sorted(root.rglob("*.py"))}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _import_nodes(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import | ast.ImportFrom):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """The package's modules that module ``name`` (at ``path``) imports."""
    is_package = path.name == "__init__.py"
    targets: set[str] = set()
    for node in _import_nodes(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        else:
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            # ``from a.b import c`` imports the module a.b.c when there is one, else a name of a.b
            candidates = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        for candidate in candidates:
            while candidate and candidate not in known:  # ``import a.b.c`` of a non-module attribute
                candidate = candidate.rpartition(".")[0]
            if candidate and candidate != name:
                targets.add(candidate)
    return targets


def import_graph(root: Path = PACKAGE_ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    modules = all_modules(root, package)
    known = set(modules)
    return {name: imported_modules(name, path, known) for name, path in modules.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(groups)


def stage_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def private_cross_stage_imports(graph: dict[str, set[str]]) -> list[str]:
    """``"importer -> imported"`` for each import of another stage's ``_private`` module."""
    found = []
    for importer, targets in sorted(graph.items()):
        for target in sorted(targets):
            stage = stage_of(target)
            private = any(part.startswith("_") and part != "__init__" for part in target.split(".")[2:])
            if stage is not None and private and stage_of(importer) not in (None, stage):
                found.append(f"{importer} -> {target}")
    return found


def test_the_package_has_no_import_cycle() -> None:
    cycles = find_cycles(import_graph())
    assert cycles == [], "import cycles:\n" + "\n".join(" <-> ".join(group) for group in cycles)


def test_no_stage_imports_another_stages_private_module() -> None:
    assert private_cross_stage_imports(import_graph()) == []


def write_package(root: Path, files: dict[str, str]) -> Path:
    for relative, text in files.items():
        path = root / "pkg" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root / "pkg"


def test_the_checks_see_a_lazy_cycle_and_a_private_import(tmp_path: Path) -> None:
    root = write_package(tmp_path, {
        "__init__.py": "",
        "crawl/__init__.py": "",
        "crawl/_client.py": "def f():\n    from pkg.evaluate.calibration import x\n",
        "evaluate/__init__.py": "",
        "evaluate/calibration.py": "from pkg.crawl._client import f\nx = 1\n",
        "evaluate/typed.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.evaluate import calibration\n",
        "evaluate/relative.py": "from .calibration import x\n",
    })
    graph = import_graph(root, "pkg")
    assert find_cycles(graph) == [["pkg.crawl._client", "pkg.evaluate.calibration"]]
    assert graph["pkg.evaluate.typed"] == set()
    assert graph["pkg.evaluate.relative"] == {"pkg.evaluate.calibration"}
    assert private_cross_stage_imports(graph) == ["pkg.evaluate.calibration -> pkg.crawl._client"]
