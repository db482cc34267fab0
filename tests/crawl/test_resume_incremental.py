"""A crawl killed half way and resumed; ``--since-last`` picking up new and edited notes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewgpt.crawl import run
from reviewgpt.store import is_being_written, latest_version
from reviewgpt.testing.openreview_server import Fault, OpenReviewTestServer, v2_reply, v2_submission

from .conftest import BASE_MS, V1_VENUE, V2_PDF, V2_VENUE, crawl_cfg, read_papers


def _cli(server: OpenReviewTestServer, data_dir: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-c", "from reviewgpt.cli import main; main()", "crawl",
        "--baseurl", server.baseurl_v1, "--baseurl-v2", server.baseurl_v2, "--data-dir", str(data_dir),
        "--rate", "0", "--concurrency", "1", *args,
    ]


def test_killed_crawl_resumes_without_redoing_finished_papers(server: OpenReviewTestServer, data_dir: Path) -> None:
    server.add_fault(Fault("/pdf", status=200, delay=0.4, times=None))  # slow PDFs: time to kill it half way
    papers_file = data_dir / "crawl/run1/papers.jsonl"
    proc = subprocess.Popen(_cli(server, data_dir, "--venue", V2_VENUE, "--version", "run1"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and (not papers_file.exists() or papers_file.read_text().count("\n") < 2):
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    first = read_papers(papers_file)
    assert 2 <= len(first) < 7
    assert json.loads((data_dir / "crawl/run1/manifest.json").read_text())["status"] == "interrupted"
    assert latest_version(data_dir, "crawl") is None  # LATEST moves only when a run finishes

    server.clear_faults()
    server.clear_log()
    done = subprocess.run(_cli(server, data_dir, "--venue", V2_VENUE, "--version", "run1"),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    papers = read_papers(papers_file)  # no duplicates (read_papers asserts it)
    assert len(papers) == 7 and all(p["pdf_path"] for p in papers.values())
    refetched = {r.query["id"] for r in server.requests_to("/pdf")}
    assert not refetched & set(first)  # finished papers were not downloaded again
    assert latest_version(data_dir, "crawl") == "run1"
    assert not is_being_written(data_dir / "crawl/run1")  # the lock file stays; its flock went with the run


def test_since_last_merges_new_review_edited_review_and_new_paper(server: OpenReviewTestServer, data_dir: Path) -> None:
    first = run(crawl_cfg(server, data_dir, venues=[V2_VENUE, V1_VENUE], version="night1"))
    before = read_papers(first.path / "papers.jsonl")
    later = BASE_MS + 10_000_000
    forum = "ANvmVS2Yr0"
    # one new review, one edited review (same id, new text, newer tmdate), one new paper with a review
    server.put_note(2, v2_reply(V2_VENUE, forum, 1, "NewReview01", "Official_Review",
                                {"summary": "Late review.", "rating": "6: marginally above the acceptance threshold"},
                                tmdate=later))
    edited = v2_reply(V2_VENUE, forum, 1, f"{forum[:6]}Rev1", "Official_Review",
                      {"summary": "Edited after the rebuttal.", "rating": "10: strong accept"}, tmdate=later + 1)
    server.put_note(2, edited)
    server.put_note(2, v2_submission(V2_VENUE, "NewPaper001", 8, title="A new paper", pdf=f"/pdf/{V2_PDF}",
                                     tmdate=later + 2))
    server.put_note(2, v2_reply(V2_VENUE, "NewPaper001", 8, "NewPaperRev", "Official_Review",
                                {"summary": "Fine.", "rating": "8: accept, good paper"}, tmdate=later + 3))
    # and a new comment on the API v1 venue
    server.put_note(1, {"id": "NewV1Comment", "forum": "HkghWScuoQ", "replyto": "HkghWScuoQ",
                        "invitation": "NIPS.cc/2018/Workshop/CDNNRIA/-/Paper36/Official_Comment",
                        "content": {"comment": "Congratulations."}, "signatures": ["~Some_One1"],
                        "cdate": later, "tcdate": later, "tmdate": later})
    server.clear_log()

    second = run(crawl_cfg(server, data_dir, since_last=True, version="night2"))
    after = read_papers(second.path / "papers.jsonl")
    assert set(after) == set(before) | {"NewPaper001"}
    replies = {r["id"]: r for r in after[forum]["replies"]}
    assert set(replies) == {r["id"] for r in before[forum]["replies"]} | {"NewReview01"}
    assert replies[f"{forum[:6]}Rev1"]["fields"]["summary"] == "Edited after the rebuttal."
    assert replies["NewReview01"]["fields"]["rating"] == "6: marginally above the acceptance threshold"
    assert after["NewPaper001"]["replies"][0]["id"] == "NewPaperRev" and after["NewPaper001"]["pdf_path"]
    assert "NewV1Comment" in {r["id"] for r in after["HkghWScuoQ"]["replies"]}
    for untouched in set(before) - {forum, "HkghWScuoQ"}:
        assert after[untouched] == before[untouched]  # nothing lost, nothing rewritten
    # it asked only for what changed: no submission listing, one PDF (the new paper's)
    listed = [r.query for r in server.requests_to("/notes")]
    assert all("details" not in q for q in listed), listed
    assert [r.query["id"] for r in server.requests_to("/pdf")] == ["NewPaper001"]
    assert latest_version(data_dir, "crawl") == "night2"
    assert read_papers(first.path / "papers.jsonl") == before  # the previous version is untouched

    # nothing changed since: a third run asks one page per venue and keeps every record
    server.clear_log()
    third = run(crawl_cfg(server, data_dir, since_last=True, version="night3"))
    assert read_papers(third.path / "papers.jsonl").keys() == after.keys()
    assert len(server.requests_to("/notes")) == 2


def test_recrawl_cron_script_runs_an_incremental_crawl(server: OpenReviewTestServer, data_dir: Path) -> None:
    if not shutil.which("flock"):
        pytest.skip("flock not installed")
    run(crawl_cfg(server, data_dir, venues=[V2_VENUE], pdfs=False, version="first"))
    script = Path(__file__).resolve().parents[2] / "scripts/recrawl-cron.sh"
    env = {**os.environ, "REVIEWGPT_DATA_DIR": str(data_dir), "REVIEWGPT_BIN": str(Path(sys.executable).parent / "reviewgpt")}
    done = subprocess.run([str(script), "--baseurl", server.baseurl_v1, "--baseurl-v2", server.baseurl_v2, "--rate", "0",
                           "--no-pdfs"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    newest = latest_version(data_dir, "crawl")
    assert newest != "first"
    assert len(read_papers(data_dir / "crawl" / newest / "papers.jsonl")) == 7
