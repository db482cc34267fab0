"""End to end: the real openreview-py clients against the local HTTP server."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from reviewgpt.crawl import list_venues, run
from reviewgpt.crawl._client import CrawlError
from reviewgpt.store import iter_jsonl
from reviewgpt.testing.openreview_server import Fault, OpenReviewTestServer, v2_submission

from .conftest import ICLR19, V1_VENUE, V2_VENUE, crawl_cfg, read_papers


def _errors(path: Path) -> list[dict]:
    return list(iter_jsonl(path / "errors.jsonl"))


def test_v1_venue_end_to_end_with_real_notes(server: OpenReviewTestServer, data_dir: Path, fixtures_dir: Path) -> None:
    report = run(crawl_cfg(server, data_dir, venues=[V1_VENUE]))
    papers = read_papers(report.path / "papers.jsonl")
    assert set(papers) == {"HkghWScuoQ", "r1eLk2mKiX"}
    paper = papers["r1eLk2mKiX"]
    assert paper["api_version"] == 1 and paper["title"] == "Rethinking the Value of Network Pruning"
    assert paper["tldr"] and paper["decision"] == "accept" and paper["accepted"] is True
    assert len(paper["replies"]) == 22
    kinds = [r["kind"] for r in paper["replies"]]
    assert kinds.count("review") == 3 and kinds.count("decision") == 1 and "author_response" in kinds
    source = json.loads((fixtures_dir / "openreview/v1/erikbird_openreviewcrawler/example_output.json").read_text())
    real_review = next(n for n in source[0]["submissions"][1]["notes"] if n["id"] == "rJgwAWZ0j7")
    ours = next(r for r in paper["replies"] if r["id"] == "rJgwAWZ0j7")
    assert ours["fields"] == real_review["content"]  # rating kept as given
    assert ours["invitation"] == "NIPS.cc/2018/Workshop/CDNNRIA/-/Paper49/Official_Review"
    # PDF: in the shared cache, byte-identical, hash recorded
    pdf = Path(paper["pdf_path"])
    assert pdf == data_dir / "pdfs" / "r1eLk2mKiX.pdf"
    expected = (fixtures_dir / "pdfs/498bb0efad6ec15dd09d941fb309aa18d6df9f5f_OpenIE_IJCAI07.pdf").read_bytes()
    assert pdf.read_bytes() == expected and paper["pdf_sha256"] == hashlib.sha256(expected).hexdigest()
    assert all(r.api == 1 for r in server.requests_to("/notes"))  # auto chose API v1
    manifest = json.loads((report.path / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["counts"]["ok"] == 2


def test_v2_venue_paginated_end_to_end(server: OpenReviewTestServer, data_dir: Path) -> None:
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE, ICLR19], page_size=3))
    papers = read_papers(report.path / "papers.jsonl")
    v2 = {f: p for f, p in papers.items() if p["venue_id"] == V2_VENUE}
    assert len(v2) == 7 and all(p["api_version"] == 2 for p in v2.values())
    # 7 submissions at 3 per page: 3 listing requests, no trailing empty one
    listing = [r for r in server.requests_to("/notes", api=2) if r.query.get("invitation") == f"{V2_VENUE}/-/Submission"]
    assert len(listing) == 3
    assert v2["nHESwXvxWK"]["accepted"] is False and v2["nHESwXvxWK"]["decision"] == "Reject"
    assert v2["3SJE1WLB4M"]["withdrawn"] is True and v2["3SJE1WLB4M"]["accepted"] is False
    accepted = v2["ANvmVS2Yr0"]
    assert accepted["accepted"] is True and accepted["venue"] == "ICLR 2024 poster"
    assert accepted["title"].startswith("Generalization in diffusion models")  # {"value": ...} unwrapped
    review = next(r for r in accepted["replies"] if r["kind"] == "review")
    assert review["fields"]["rating"] == "8: accept, good paper"
    assert {r["kind"] for r in accepted["replies"]} == {"review", "author_response", "meta_review", "decision"}
    # the newer v1 invitation style (<venue>/Paper12/-/Official_Review) in the same run
    assert papers["B14ejsA5YQ"]["replies"][0]["kind"] == "review"
    assert papers["B14ejsA5YQ"]["keywords"] == ["causality", "time series"]


def test_unknown_venue_lists_close_matches(server: OpenReviewTestServer, data_dir: Path) -> None:
    with pytest.raises(CrawlError, match=r"unknown venue 'ICLR.cc/2024/Conferense'.*ICLR.cc/2024/Conference"):
        run(crawl_cfg(server, data_dir, venues=["ICLR.cc/2024/Conferense"]))
    assert not (data_dir / "crawl").exists()  # nothing written


def test_list_venues_filters(server: OpenReviewTestServer, data_dir: Path) -> None:
    cfg = crawl_cfg(server, data_dir)
    assert list_venues(cfg, "iclr") == [ICLR19, V2_VENUE]
    assert V1_VENUE in list_venues(cfg)


def test_429_with_retry_after_then_success(server: OpenReviewTestServer, data_dir: Path) -> None:
    server.add_fault(Fault("/notes", status=429, retry_after=1, times=1, api=2))
    started = time.monotonic()
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE], pdfs=False))
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured
    assert len(read_papers(report.path / "papers.jsonl")) == 7
    statuses = [r.status for r in server.requests_to("/notes", api=2)]
    assert statuses[:2] == [429, 200]


def test_burst_of_500s_on_notes_and_pdfs(server: OpenReviewTestServer, data_dir: Path) -> None:
    server.add_fault(Fault("/notes", status=500, times=3))
    server.add_fault(Fault("/pdf", status=503, times=3))
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE], concurrency=1))
    papers = read_papers(report.path / "papers.jsonl")
    assert len(papers) == 7 and all(p["pdf_path"] for p in papers.values())
    assert _errors(report.path) == []
    assert [r.status for r in server.requests_to("/pdf")].count(503) == 3


def test_refusing_server_gives_a_clear_message(server: OpenReviewTestServer, data_dir: Path) -> None:
    server.add_fault(Fault("/notes", status=429, retry_after=0, times=None))
    with pytest.raises(CrawlError, match=r"kept refusing.*HTTP 429 after 3 retries.*--version"):
        run(crawl_cfg(server, data_dir, venues=[V2_VENUE], version="v1"))
    manifest = json.loads((data_dir / "crawl/v1/manifest.json").read_text())
    assert manifest["status"] == "failed"


def test_unreachable_server_gives_a_clear_message(data_dir: Path) -> None:
    with OpenReviewTestServer() as srv:
        cfg = crawl_cfg(srv, data_dir, venues=[V2_VENUE], retries=0)
    # the server is stopped now: nothing listens on its port
    with pytest.raises(CrawlError, match="cannot reach the OpenReview API"):
        run(cfg)


def test_truncated_pdf_is_an_error_line_and_the_paper_is_kept(server: OpenReviewTestServer, data_dir: Path) -> None:
    server.add_fault(Fault("/pdf", truncate=True, times=None, match="id=ANvmVS2Yr0"))
    server.add_fault(Fault("/pdf", truncate=True, times=1, match="id=3tjTJeXyA7"))  # once: the retry heals it
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE]))
    papers = read_papers(report.path / "papers.jsonl")
    assert len(papers) == 7
    assert papers["ANvmVS2Yr0"]["pdf_path"] is None and papers["ANvmVS2Yr0"]["pdf_sha256"] is None
    assert not (data_dir / "pdfs/ANvmVS2Yr0.pdf").exists()
    assert papers["3tjTJeXyA7"]["pdf_path"] and (data_dir / "pdfs/3tjTJeXyA7.pdf").exists()
    errors = _errors(report.path)
    assert [(e["id"], e["error"]) for e in errors] == [("ANvmVS2Yr0", "pdf-download")]
    assert "truncated" in errors[0]["detail"]
    assert not list((data_dir / "pdfs").glob(".*"))  # no temporary file left behind


def test_valid_cached_pdfs_are_not_downloaded_again(server: OpenReviewTestServer, data_dir: Path) -> None:
    run(crawl_cfg(server, data_dir, venues=[V2_VENUE], version="a"))
    (data_dir / "pdfs/ANvmVS2Yr0.pdf").write_bytes(b"%PDF-1.4 cut")  # a broken cached file is replaced
    server.clear_log()
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE], version="b"))
    assert [r.query["id"] for r in server.requests_to("/pdf")] == ["ANvmVS2Yr0"]
    papers = read_papers(report.path / "papers.jsonl")
    assert all(p["pdf_sha256"] for p in papers.values())


def test_malformed_note_is_logged_and_skipped(server: OpenReviewTestServer, data_dir: Path) -> None:
    bad = v2_submission(V2_VENUE, "zzBadNote01", 99, title="x")
    bad["content"]["title"] = {"value": {"not": "a string"}}
    server.put_note(2, bad)
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE], pdfs=False))
    assert len(read_papers(report.path / "papers.jsonl")) == 7
    assert [(e["id"], e["error"]) for e in _errors(report.path)] == [("zzBadNote01", "malformed-note")]


def test_credentials_from_env_are_used_and_never_logged(
    server: OpenReviewTestServer, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENREVIEW_USERNAME", "reviewer@example.org")
    monkeypatch.setenv("OPENREVIEW_PASSWORD", "s3cret-pass")
    report = run(crawl_cfg(server, data_dir, venues=[V2_VENUE], pdfs=False))
    assert server.requests_to("/login")
    assert all(r.authorized for r in server.requests_to("/notes"))
    for name in ("run.log", "manifest.json"):
        assert "s3cret-pass" not in (report.path / name).read_text()
