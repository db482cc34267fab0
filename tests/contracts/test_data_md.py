"""docs/DATA.md's tables are the record models and the artifact descriptions, written out."""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA_MD = ROOT / "docs" / "DATA.md"
SCRIPT = runpy.run_path(str(ROOT / "scripts" / "data_md.py"))
render = SCRIPT["render"]


def test_data_md_is_up_to_date():
    text = DATA_MD.read_text(encoding="utf-8")
    assert render(text) == text, "docs/DATA.md is out of date: run python scripts/data_md.py"


def test_a_changed_field_makes_the_page_stale():
    text = DATA_MD.read_text(encoding="utf-8")
    stale = text.replace("| `hit_rate` | float |", "| `hit_rate` | int |")
    assert stale != text
    assert render(stale) == text


def test_every_record_model_and_nested_model_has_a_table():
    names = set(SCRIPT["block_bodies"]())
    assert {"files", "manifest-fields", "fields CrawledPaper", "fields Reply", "fields ParsedPaper",
            "fields Section", "fields AggregatedReview", "fields InstructionExample", "fields RunInfo",
            "fields Prediction", "fields MatchResult", "fields PointMatch", "fields HumanPoints"} <= names


def test_a_missing_or_unknown_block_is_an_error():
    text = DATA_MD.read_text(encoding="utf-8")
    without = text.replace("<!-- generated: fields PointMatch -->", "<!-- generated: fields Nothing -->")
    with pytest.raises(ValueError, match="unknown generated block 'fields Nothing'"):
        render(without)
    start = text.index("<!-- generated: fields HumanPoints -->")
    end = text.index("<!-- end generated -->", start) + len("<!-- end generated -->")
    with pytest.raises(ValueError, match="no block for: fields HumanPoints"):
        render(text[:start] + text[end:])


def test_the_check_mode_fails_on_a_stale_page(tmp_path, capsys):
    page = tmp_path / "DATA.md"
    page.write_text(DATA_MD.read_text(encoding="utf-8").replace("| `forum` | str |", "| `forum` | int |"))
    assert SCRIPT["main"](["--check", "--path", str(page)]) == 1
    assert "run python scripts/data_md.py" in capsys.readouterr().err
    assert SCRIPT["main"](["--path", str(page)]) == 0
    assert SCRIPT["main"](["--check", "--path", str(page)]) == 0


def test_every_field_has_a_description():
    from reviewgpt.artifacts import OUTPUTS

    missing = [
        f"{artifact.model.__name__}.{name}"
        for output in OUTPUTS for artifact in output.artifacts() if artifact.model is not None
        for name, info in artifact.model.model_fields.items() if not info.description
    ]
    assert not missing, "describe these fields (Field(description=...)): " + ", ".join(missing)
