"""``reviewgpt crawl --source peerread``: a PeerRead-layout folder of real NeurIPS 2025 papers as crawl records."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.crawl._import import split_review_text
from reviewgpt.errors import ConfigError, RunFailedError
from reviewgpt.records.crawl import split_strengths_weaknesses

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "neurips2025"
VENUE = "NeurIPS.cc/2025/Conference"


def _import(path: Path, data_dir: Path, *extra: str):
    return CliRunner().invoke(
        app, ["crawl", "--source", "peerread", "--path", str(path), "--venue", VENUE,
              "--data-dir", str(data_dir), *extra],
    )


def _papers(path: Path) -> dict[str, dict]:
    return {p["forum"]: p for p in map(json.loads, path.read_text().splitlines())}


def test_import_writes_crawl_records_with_split_reviews(data_dir: Path) -> None:
    result = _import(SAMPLE, data_dir, "--version", "v1")
    assert result.exit_code == 0, result.output
    assert "crawl v1: ok=3 skipped=0 failed=0" in result.output
    assert (data_dir / "crawl/LATEST").read_text().strip() == "v1"
    manifest = json.loads((data_dir / "crawl/v1/manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["extra"]["full_texts"] == 2

    papers = _papers(data_dir / "crawl/v1/papers.jsonl")
    assert set(papers) == {"004uTlSufe", "KkOMqJQiWU", "wufHTz3phF"}
    paper = papers["004uTlSufe"]
    assert paper["source"] == "peerread" and paper["api_version"] == 2 and paper["venue_id"] == VENUE
    assert paper["title"] == "How Well Can Differential Privacy Be Audited in One Run?"
    assert paper["decision"] == "Accept (spotlight)" and paper["accepted"] is True
    assert papers["KkOMqJQiWU"]["accepted"] is False and papers["KkOMqJQiWU"]["decision"] == "Reject"

    kinds = [r["kind"] for r in paper["replies"]]
    assert kinds.count("review") == 4 and kinds.count("decision") == 1
    reviews = [r for r in paper["replies"] if r["kind"] == "review"]
    for review in reviews:
        fields = review["fields"]
        assert {"summary", "questions", "limitations", "rating", "confidence"} <= set(fields)
        assert {"strengths", "weaknesses"} <= set(fields) or "strengths_and_weaknesses" in fields
        assert isinstance(fields["rating"], int) and 1 <= fields["rating"] <= 6
        assert not any(heading in str(fields["summary"]) for heading in ("QUESTIONS:", "LIMITATIONS:"))
    # the second review of this paper splits its own "Strengths"/"Weaknesses" sub-headings
    second = reviews[1]["fields"]
    assert second["strengths"].startswith("1. The paper clearly explains its main idea")
    assert second["weaknesses"].startswith("1. There are some limitations on experiments")
    decision = next(r for r in paper["replies"] if r["kind"] == "decision")
    assert decision["fields"]["decision"] == "Accept (spotlight)"
    assert decision["fields"]["comment"].startswith("The reviewers all agree")


def test_docling_text_is_linked_into_the_pdf_cache(data_dir: Path) -> None:
    assert _import(SAMPLE, data_dir, "--version", "v1").exit_code == 0
    papers = _papers(data_dir / "crawl/v1/papers.jsonl")
    linked = Path(papers["004uTlSufe"]["docling_path"])
    assert linked == data_dir / "pdfs" / "004uTlSufe.docling.json"
    assert linked.read_bytes() == (SAMPLE / "parsed_pdfs/004uTlSufe.pdf.json").read_bytes()
    assert papers["wufHTz3phF"]["docling_path"] is None  # the corpus has no text for it
    assert papers["004uTlSufe"]["pdf_path"] is None


def test_no_pdfs_leaves_the_texts_out(data_dir: Path) -> None:
    assert _import(SAMPLE, data_dir, "--no-pdfs").exit_code == 0
    assert not (data_dir / "pdfs").exists() or not any((data_dir / "pdfs").iterdir())


def test_malformed_files_are_item_errors(tmp_path: Path, data_dir: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(SAMPLE, folder)
    (folder / "reviews/broken.json").write_text('{"title": "cut off', encoding="utf-8")
    (folder / "reviews/listy.json").write_text("[1, 2]", encoding="utf-8")
    bad_reviews = json.loads((folder / "reviews/wufHTz3phF.json").read_text())
    bad_reviews["id"], bad_reviews["reviews"] = "noreviews", "not a list"
    (folder / "reviews/noreviews.json").write_text(json.dumps(bad_reviews), encoding="utf-8")
    result = _import(folder, data_dir, "--version", "v1")
    assert result.exit_code == 0, result.output
    assert "ok=3 skipped=0 failed=3" in result.output
    errors = [json.loads(line) for line in (data_dir / "crawl/v1/errors.jsonl").read_text().splitlines()]
    assert sorted(e["id"] for e in errors) == ["broken", "listy", "noreviews"]
    assert {e["error"] for e in errors} == {"malformed-paper"}
    assert any("not a list" in e["detail"] for e in errors)


def test_nothing_importable_fails_and_keeps_latest(tmp_path: Path, data_dir: Path) -> None:
    assert _import(SAMPLE, data_dir, "--version", "good").exit_code == 0
    folder = tmp_path / "bad"
    (folder / "reviews").mkdir(parents=True)
    (folder / "reviews/x.json").write_text("nonsense", encoding="utf-8")
    result = _import(folder, data_dir, "--version", "bad")
    assert isinstance(result.exception, RunFailedError) and result.exception.exit_code == 1
    assert "no paper could be imported" in result.output + str(result.exception)
    assert (data_dir / "crawl/LATEST").read_text().strip() == "good"
    assert json.loads((data_dir / "crawl/bad/manifest.json").read_text())["status"] == "failed"


def test_usage_errors_exit_2(tmp_path: Path, data_dir: Path) -> None:
    result = _import(tmp_path, data_dir)  # no reviews/ folder
    assert isinstance(result.exception, ConfigError) and result.exception.exit_code == 2
    result = CliRunner().invoke(app, ["crawl", "--source", "peerread", "--path", str(SAMPLE), "--data-dir", str(data_dir)])
    assert isinstance(result.exception, ConfigError)  # no venue
    assert "venue" in result.output + str(result.exception)


def test_resume_skips_papers_already_written(data_dir: Path) -> None:
    assert _import(SAMPLE, data_dir, "--version", "v1", "--limit", "1").exit_code == 0
    assert len(_papers(data_dir / "crawl/v1/papers.jsonl")) == 1
    result = _import(SAMPLE, data_dir, "--version", "v1")
    assert result.exit_code == 0, result.output
    assert len((data_dir / "crawl/v1/papers.jsonl").read_text().splitlines()) == 3


def test_split_review_text_keeps_first_heading_and_free_text() -> None:
    text = "SUMMARY:\nA method.\nSUMMARY:\nstill the summary\n\nQUESTIONS:\nWhy?\nNOT A HEADING:\nkept\nLIMITATIONS:\nyes"
    assert split_review_text(text) == {
        "summary": "A method.\nSUMMARY:\nstill the summary", "questions": "Why?\nNOT A HEADING:\nkept", "limitations": "yes",
    }
    assert split_review_text("A free-text review.") == {"review": "A free-text review."}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Strengths:**\n- a\n\n**Weaknesses:**\n- b", ("- a", "- b")),
        ("## Strength\n1. a\n## Weakness\n1. b\n### Weaknesses\nc", ("1. a", "1. b\n\nc")),
        ("Strengths: the idea is good.\nWeaknesses: the tests are few.", ("the idea is good.", "the tests are few.")),
        ("Pros:\n+ fast\nCons：\n- narrow", ("+ fast", "- narrow")),
        ("The paper is good. Strengths:\n- a\nWeaknesses:\n- b", None),  # a preamble would be lost
        ("Strengths:\n- a\nBut the experiments are weak.", None),  # no weaknesses heading
        ("No headings at all.", None),
    ],
)
def test_split_strengths_weaknesses(text: str, expected: tuple[str, str] | None) -> None:
    assert split_strengths_weaknesses(text) == expected
