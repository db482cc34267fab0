"""The hit threshold and the similarity scale are written once, in reviewgpt.evaluate.constants.

A second literal copy drifts: the judge, the report and the CLI's help would disagree after a
change. The scan covers the code that uses the scale (the evaluate stage, its CLI and the
answer validator); docstrings may state the values only next to the constant's name.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import reviewgpt
from reviewgpt.evaluate.constants import HIT_THRESHOLD, SIMILARITY_MAX, SIMILARITY_MIN

ROOT = Path(reviewgpt.__file__).parent
SCANNED = [
    *sorted((ROOT / "evaluate").rglob("*.py")),
    ROOT / "cli" / "evaluate.py",
    ROOT / "cli" / "evaluate_judge.py",
    ROOT / "llm" / "answers.py",
]
CONSTANTS = ROOT / "evaluate" / "constants.py"
#: the scale written out in a string: "5-10", "5..10", "5 to 10", "[default: 7]", ">= 7"
SCALE_TEXT = re.compile(r"\b5 ?(-|\.\.|to) ?10\b|default: 7\b|>= ?7\b|least 7\b")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and ast.get_docstring(node):
            ids.add(id(node.body[0].value))
    return ids


def literal_copies(path: Path) -> list[str]:
    """``path:line: what`` for each copy of the threshold or the scale in the file's code."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docstrings = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant):
            continue
        if type(node.value) in (int, float) and node.value == HIT_THRESHOLD:
            found.append(f"{path.name}:{node.lineno}: the number {node.value}")
        elif isinstance(node.value, str) and id(node) not in docstrings and SCALE_TEXT.search(node.value):
            found.append(f"{path.name}:{node.lineno}: {node.value[:60]!r}")
        elif isinstance(node.value, str) and id(node) in docstrings:
            for line in node.value.splitlines():
                if SCALE_TEXT.search(line) and not re.search(r"HIT_THRESHOLD|SIMILARITY_M(IN|AX)", line):
                    found.append(f"{path.name}:{node.lineno}: docstring {line.strip()[:60]!r} without the constant's name")
    for node in ast.walk(tree):  # a (5, 10) range written out
        if isinstance(node, ast.Tuple) and [getattr(e, "value", None) for e in node.elts] == [SIMILARITY_MIN, SIMILARITY_MAX]:
            found.append(f"{path.name}:{node.lineno}: the range ({SIMILARITY_MIN:g}, {SIMILARITY_MAX:g})")
    return found


def test_no_module_repeats_the_threshold_or_the_scale() -> None:
    copies = [copy for path in SCANNED if path != CONSTANTS for copy in literal_copies(path)]
    assert copies == []


def test_the_scan_finds_copies(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Rated 5 to 10."""\n'
        "THRESHOLD = 7.0\n"
        "RANGE = (5.0, 10.0)\n"
        'HELP = "Similarity (5-10) from which a pair is a hit [default: 7]."\n'
        'def f():\n    """A hit is >= HIT_THRESHOLD (7)."""\n'
    )
    found = literal_copies(sample)
    assert len(found) == 4, found
    assert any("docstring" in line for line in found)


def test_help_and_config_state_the_constants() -> None:
    from reviewgpt.evaluate.config import EvaluateConfig

    assert EvaluateConfig.model_fields["threshold"].default == HIT_THRESHOLD
    assert f"({SIMILARITY_MIN:g}-{SIMILARITY_MAX:g})" in EvaluateConfig.model_fields["threshold"].description
