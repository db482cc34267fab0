"""Model replies are read in one place: the client takes the text, reviewgpt.llm.answers reads the JSON.

A second reader would bring its own policy (fences, prose, JSON in a string, what counts as
empty) and the stages would accept different answers for the same request.
"""

from __future__ import annotations

import ast
from pathlib import Path

import reviewgpt

ROOT = Path(reviewgpt.__file__).parent
#: the one JSON reader of replies and the one place a reply's text is taken
ALLOWED = {ROOT / "llm" / "answers.py", ROOT / "llm" / "client.py"}


def _uses_the_llm(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("reviewgpt.llm"):
            return True
        if isinstance(node, ast.Import) and any(alias.name.startswith("reviewgpt.llm") for alias in node.names):
            return True
    return False


def second_readers(path: Path, root: Path = ROOT) -> list[str]:
    """Calls in an LLM-using module that read a reply themselves: ``json.loads`` or ``.choices``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if not _uses_the_llm(tree):
        return []
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "loads":
            found.append(f"{path.relative_to(root)}:{node.lineno}: json.loads")
        if isinstance(node, ast.Attribute) and node.attr == "choices":
            found.append(f"{path.relative_to(root)}:{node.lineno}: .choices")
    return found


def test_no_llm_stage_reads_replies_itself() -> None:
    modules = [p for p in sorted(ROOT.rglob("*.py")) if p not in ALLOWED and "testing" not in p.parts]
    assert [hit for path in modules for hit in second_readers(path)] == []


def test_the_scan_finds_a_second_reader(tmp_path: Path) -> None:
    module = tmp_path / "stage.py"
    module.write_text(
        "import json\nfrom reviewgpt.llm import LLMClient\n"
        "def read(completion):\n    return json.loads(completion.choices[0].message.content)\n"
    )
    assert len(second_readers(module, tmp_path)) == 2
