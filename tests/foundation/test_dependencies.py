"""pyproject.toml declares exactly what src/ imports, and the extras that errors name exist.

Read from the source (ast), not by importing it: a module-level third-party import must be a main
dependency; an import inside a function may also come from an extra; ``require(module, extra, ...)``
names the extra that holds the module (None: a main dependency).
"""

from __future__ import annotations

import ast
import functools
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="needs Python >= 3.11 (tomllib)")

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "reviewgpt"

#: import names whose distribution is not installed here, so ``packages_distributions`` cannot tell
NOT_INSTALLED = {"flash_attn": "flash-attn", "nougat": "nougat-ocr"}
#: imported but deliberately undeclared, with why
UNDECLARED_OK = {"triton": "ships with torch's CUDA builds; _dropout imports it only where importable"}
#: declared but not imported, with why
UNIMPORTED_OK = {
    "accelerate": "transformers' Trainer needs it at run time",
    "gguf": "transformers reads the embedded model's GGUF file through it (from_pretrained(gguf_file=...))",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(requirement: str) -> str:
    return _norm(re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0])


def _declared() -> tuple[set[str], dict[str, set[str]]]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    main = {_requirement_name(r) for r in project["dependencies"]}
    extras = {name: {_requirement_name(r) for r in reqs} for name, reqs in project["optional-dependencies"].items()}
    return main, extras


@functools.lru_cache(maxsize=1)
def _installed() -> dict[str, list[str]]:
    return packages_distributions()


def _distribution(module: str) -> str:
    if module in NOT_INSTALLED:
        return NOT_INSTALLED[module]
    dists = _installed().get(module)
    assert dists, f"{module} is imported by src/ but no installed distribution provides it"
    return _norm(dists[0])


class _Imports(ast.NodeVisitor):
    """Third-party imports of one module: (name, at module level?, line), and require() calls."""

    def __init__(self, constants: dict[str, str | None], forwarding: bool = False):
        #: errors.py: require() passes its own arguments on to MissingExtraError
        self.forwarding = forwarding
        self.depth = 0
        self.imports: list[tuple[str, bool, int]] = []
        #: (distribution, extra, line) of each require() (a module, mapped) and MissingExtraError() (a package)
        self.required: list[tuple[str, str | None, int]] = []
        self.constants = constants

    def visit_FunctionDef(self, node):  # noqa: N802 - ast visitor names
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815

    def visit_Import(self, node):  # noqa: N802
        self.imports += [(alias.name.split(".")[0], self.depth == 0, node.lineno) for alias in node.names]

    def visit_ImportFrom(self, node):  # noqa: N802
        if node.level == 0 and node.module:
            self.imports.append((node.module.split(".")[0], self.depth == 0, node.lineno))

    def visit_Call(self, node):  # noqa: N802
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        if name in ("require", "MissingExtraError") and len(node.args) >= 2 and not self.forwarding:
            module, extra = (self._value(a) for a in node.args[:2])
            if isinstance(module, str):
                dist = _distribution(module.split(".")[0]) if name == "require" else _norm(module)
                self.required.append((dist, extra, node.lineno))
        self.generic_visit(node)

    def _value(self, node):
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in self.constants:
            return self.constants[node.id]
        raise AssertionError(f"line {node.lineno}: require()/MissingExtraError() with a computed argument")


@functools.lru_cache(maxsize=1)
def _scan() -> list[tuple[str, _Imports]]:
    out = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        constants = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
                     and isinstance(n.value, ast.Constant) for t in n.targets if isinstance(t, ast.Name)}
        visitor = _Imports(constants, forwarding=path.name == "errors.py" and path.parent == SRC)
        visitor.visit(tree)
        out.append((str(path.relative_to(REPO)), visitor))
    return out


def _third_party(name: str) -> bool:
    return name not in sys.stdlib_module_names and name not in ("reviewgpt", "__future__") and name not in UNDECLARED_OK


def test_every_third_party_import_is_declared_where_it_is_needed():
    main, extras = _declared()
    any_extra = set().union(*extras.values())
    problems = []
    for where, found in _scan():
        for name, module_level, line in found.imports:
            if not _third_party(name):
                continue
            dist = _distribution(name)
            if module_level and dist not in main:
                problems.append(f"{where}:{line}: '{name}' ({dist}) imported at module level but not a main dependency")
            elif dist not in main | any_extra:
                problems.append(f"{where}:{line}: '{name}' ({dist}) is not declared in pyproject.toml")
        for dist, extra, line in found.required:
            if extra is None:
                if dist not in main:
                    problems.append(f"{where}:{line}: the error names no extra, but {dist} is not a main dependency")
            elif extra not in extras:
                problems.append(f"{where}:{line}: the error names extra '{extra}', which pyproject.toml does not have")
            elif dist not in extras[extra] and dist not in main:
                problems.append(f"{where}:{line}: extra '{extra}' does not hold {dist}")
    assert not problems, "\n".join(problems)


def test_every_declared_dependency_is_imported():
    main, extras = _declared()
    imported = set()
    for _, found in _scan():
        imported |= {_distribution(n) for n, _, _ in found.imports if _third_party(n)}
        imported |= {dist for dist, _, _ in found.required}
    runtime = set().union(*(reqs for name, reqs in extras.items() if name != "dev"))
    unused = (main | runtime) - imported - set(UNIMPORTED_OK)
    assert not unused, f"declared in pyproject.toml but imported nowhere in src/: {sorted(unused)}"


def test_the_scan_sees_lazy_imports_and_require_calls():
    # the checks above only mean something if the scan finds what it must: a function-level import,
    # and a require() whose extra is a module constant (_grobid's _EXTRA)
    scanned = dict(_scan())
    qlora = scanned["src/reviewgpt/train/_qlora_linear.py"]
    assert ("bitsandbytes", False) in {(n, top) for n, top, _ in qlora.imports}
    grobid = scanned["src/reviewgpt/parse/_grobid.py"]
    assert ("scipdf-parser", "grobid") in {(d, e) for d, e, _ in grobid.required}
