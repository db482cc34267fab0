"""``reviewgpt parse`` as a stage: crawl records in, papers.jsonl + errors.jsonl out, resumable."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.errors import ReviewGPTError
from reviewgpt.parse import run
from reviewgpt.parse._pool import TaskFailure, run_with_deadlines
from reviewgpt.parse.config import ParseConfig
from reviewgpt.records import ParsedPaper
from reviewgpt.store import iter_jsonl, read_manifest

from .parse_pdfs import TITLE, write_demo_paper


def _crawl(data_dir: Path, papers: list[dict]) -> None:
    version = data_dir / "crawl" / "v1"
    version.mkdir(parents=True)
    with open(version / "papers.jsonl", "w") as fh:
        for paper in papers:
            fh.write(json.dumps({"venue_id": "ICLR.cc/2026/Conference", "api_version": 2, **paper}) + "\n")
    (version / "manifest.json").write_text("{}")
    (data_dir / "crawl" / "LATEST").write_text("v1\n")


@pytest.fixture
def crawled(data_dir: Path) -> Path:
    pdfs = data_dir / "pdfs"
    pdfs.mkdir()
    write_demo_paper(pdfs / "good1.pdf")
    write_demo_paper(pdfs / "good2.pdf", columns=2, line_numbers=True)
    (pdfs / "broken.pdf").write_text("this is not a pdf")
    _crawl(
        data_dir,
        [
            # as crawl writes it, relative to where it ran ("data/pdfs/<forum>.pdf"): found under data_dir
            {"forum": "good1", "title": TITLE, "abstract": "meta", "pdf_path": "data/pdfs/good1.pdf"},
            {"forum": "good2", "title": "T2", "abstract": "meta", "pdf_path": str(pdfs / "good2.pdf")},
            {"forum": "broken", "title": "Broken", "pdf_path": "data/pdfs/broken.pdf"},
            {"forum": "gone", "title": "Gone", "pdf_path": "data/pdfs/gone.pdf"},
            {"forum": "nopdf", "title": "Withdrawn"},
        ],
    )
    return data_dir


def test_run_writes_records_errors_and_manifest(crawled: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path / "data" / "pdfs")  # paths must resolve against data_dir, not cwd
    report = run(ParseConfig(data_dir=crawled, version="p1", workers=2))
    assert report.counts == {"ok": 2, "skipped": 1, "failed": 2}
    out = crawled / "parse" / "p1"
    records = {r["forum"]: ParsedPaper.model_validate(r) for r in iter_jsonl(out / "papers.jsonl")}
    assert set(records) == {"good1", "good2"}
    assert records["good1"].title == TITLE and records["good1"].text.startswith(f"[TITLE]\n{TITLE}\n")
    assert records["good2"].n_pages >= 1
    errors = {e["id"]: e for e in iter_jsonl(out / "errors.jsonl")}
    assert errors["broken"]["error"] == "not-a-pdf" and errors["broken"]["stage"] == "parse"
    assert errors["gone"]["error"] == "missing-pdf" and "gone.pdf" in errors["gone"]["detail"]
    manifest = read_manifest(out)
    assert manifest["status"] == "finished" and manifest["params"]["parser"] == "pymupdf"
    assert manifest["extra"]["workers"] == 2 and manifest["extra"]["pages"] >= 2
    assert (crawled / "parse" / "LATEST").read_text().strip() == "p1"


def test_rerun_into_the_same_version_skips_done_papers(crawled: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(crawled.parent)
    run(ParseConfig(data_dir=crawled, version="p1", workers=1, limit=1))
    papers = crawled / "parse" / "p1" / "papers.jsonl"
    assert [r["forum"] for r in iter_jsonl(papers)] == ["good1"]
    report = run(ParseConfig(data_dir=crawled, version="p1", workers=1))
    assert [r["forum"] for r in iter_jsonl(papers)] == ["good1", "good2"]  # good1 not parsed twice
    assert report.counts["ok"] == 2


def test_title_falls_back_to_openreview_when_the_pdf_has_none(data_dir: Path, tmp_path: Path) -> None:
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "Results table page", fontsize=10)
    page.insert_text((72, 100), "Some measured values for the method on the benchmark datasets. " * 3, fontsize=10)
    doc.save(tmp_path / "notitle.pdf")
    _crawl(data_dir, [{"forum": "nt", "title": "The Real Title", "abstract": "The real abstract. " * 10,
                      "pdf_path": str(tmp_path / "notitle.pdf")}])
    run(ParseConfig(data_dir=data_dir, version="v", workers=1))
    record = next(iter_jsonl(data_dir / "parse" / "v" / "papers.jsonl"))
    assert (record["title"], record["title_source"]) == ("The Real Title", "openreview")
    assert record["abstract_source"] == "openreview"


def test_pool_kills_a_task_past_its_time_limit_and_goes_on() -> None:
    started = time.monotonic()
    results = dict(run_with_deadlines(time.sleep, [30, 0, 0], workers=2, time_limit=2.0))
    assert isinstance(results[30], TaskFailure) and results[30].reason == "timeout"
    assert results[0] is None
    assert time.monotonic() - started < 20


def test_pool_survives_a_worker_that_dies() -> None:
    results = list(run_with_deadlines(os._exit, [3, 4], workers=1, time_limit=20))
    assert [r.reason for _, r in results] == ["worker-crashed", "worker-crashed"]


def test_config_checks() -> None:
    with pytest.raises(ValueError, match="--workers 1"):
        ParseConfig(parser="nougat", workers=2)
    assert ParseConfig(parser="nougat").resolved_workers() == 1
    assert ParseConfig().resolved_workers() == (os.cpu_count() or 1)


def test_unreachable_grobid_fails_before_any_work(crawled: Path) -> None:
    with pytest.raises(ReviewGPTError, match="docker run"):
        run(ParseConfig(data_dir=crawled, version="g", parser="grobid", grobid_url="http://127.0.0.1:9"))
    assert not (crawled / "parse" / "g").exists()


def test_cli_single_pdf_prints_text(tmp_path: Path) -> None:
    from reviewgpt.cli import app

    pdf = write_demo_paper(tmp_path / "mine.pdf")
    result = CliRunner().invoke(app, ["parse", "--pdf", str(pdf)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"[TITLE]\n{TITLE}\n\n[ABSTRACT]\n")
    as_json = CliRunner().invoke(app, ["parse", "--pdf", str(pdf), "--json"])
    assert json.loads(as_json.output)["forum"] == "mine"


def test_cli_rejects_unknown_parser(tmp_path: Path) -> None:
    from reviewgpt.cli import app

    result = CliRunner().invoke(app, ["parse", "--parser", "tika", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2  # a usage error, listing the parsers there are
    assert "Invalid value for '--parser'" in result.output and "'pymupdf', 'grobid', 'nougat'" in result.output
