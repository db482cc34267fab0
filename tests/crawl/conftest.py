"""Venue bundles for the crawl tests, served by the real-HTTP OpenReview test server.

- API v1 venue ``NIPS.cc/2018/Workshop/CDNNRIA``: the REAL notes in
  tests/fixtures/openreview/v1/erikbird_openreviewcrawler (2 submissions, 28 replies, the older
  ``<venue>/-/Paper36/Official_Review`` invitation style), PDFs from tests/fixtures/pdfs.
- API v1 venue ``ICLR.cc/2019/Conference``: one REAL review content (pseudomanifold fixture) under a
  constructed submission note, with the ``<venue>/Paper12/-/Official_Review`` style.
- API v2 venue ``ICLR.cc/2024/Conference``: CONSTRUCTED notes in the shapes
  ``openreview.api.Note.from_json`` reads, using real ICLR 2024 forum ids and titles
  (tests/fixtures/openreview/v2/ranpox_iclr2024_scores).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from reviewgpt.testing.openreview_server import (
    OpenReviewTestServer,
    v2_reply,
    v2_submission,
    v2_venue_group,
    write_bundle,
)

V1_VENUE = "NIPS.cc/2018/Workshop/CDNNRIA"
ICLR19 = "ICLR.cc/2019/Conference"
V2_VENUE = "ICLR.cc/2024/Conference"
BASE_MS = 1_700_000_000_000
V2_PDF = "iclr24.pdf"


def v1_fixture_notes(fixtures_dir: Path) -> tuple[list[dict[str, Any]], dict[str, Path]]:
    """The real v1 notes (submissions + replies) and the PDFs their content.pdf names."""
    data = json.loads((fixtures_dir / "openreview/v1/erikbird_openreviewcrawler/example_output.json").read_text())
    notes: list[dict[str, Any]] = []
    pdfs: dict[str, Path] = {}
    fixture_pdfs = [fixtures_dir / "pdfs/N18-3011.pdf", fixtures_dir / "pdfs/498bb0efad6ec15dd09d941fb309aa18d6df9f5f_OpenIE_IJCAI07.pdf"]
    for submission, pdf_file in zip(data[0]["submissions"], fixture_pdfs, strict=True):
        replies = submission.pop("notes")
        submission.pop("revisions", None)
        notes.append(submission)
        notes.extend(replies)
        pdfs[submission["content"]["pdf"].rsplit("/", 1)[-1]] = pdf_file
    review = json.loads((fixtures_dir / "openreview/v1/pseudomanifold_iclr2019_review_content/B14ejsA5YQ__BJlOnG0gTX.json").read_text())
    # constructed envelope around the real review content
    notes.append({
        "id": "B14ejsA5YQ", "forum": "B14ejsA5YQ", "number": 12, "invitation": f"{ICLR19}/-/Blind_Submission",
        "content": {"title": "Neural Causal Discovery", "abstract": "Constructed.", "authors": ["Anonymous"],
                    "keywords": "causality, time series", "pdf": "/pdf/iclr19.pdf"},
        "signatures": [f"{ICLR19}/Paper12/Authors"], "readers": ["everyone"], "cdate": 1538000000000,
        "tcdate": 1538000000000, "tmdate": 1538000000000, "replyto": None, "ddate": None,
    })
    notes.append({
        "id": "BJlOnG0gTX", "forum": "B14ejsA5YQ", "replyto": "B14ejsA5YQ", "number": 1,
        "invitation": f"{ICLR19}/Paper12/-/Official_Review", "content": review,
        "signatures": [f"{ICLR19}/Paper12/AnonReviewer1"], "readers": ["everyone"],
        "cdate": 1541000000000, "tcdate": 1541000000000, "tmdate": 1541000000000, "ddate": None,
    })
    pdfs["iclr19.pdf"] = fixtures_dir / "pdfs/N18-3011.pdf"
    return notes, pdfs


def v2_venue_notes(fixtures_dir: Path, papers: int = 7) -> list[dict[str, Any]]:
    """Constructed v2 notes: ``papers`` submissions (real ICLR 2024 ids/titles), 4 replies each."""
    rows = list(csv.DictReader((fixtures_dir / "openreview/v2/ranpox_iclr2024_scores/iclr2024_reviews_20231110.head.csv").open()))
    notes = []
    for number, row in enumerate(rows[:papers], 1):
        forum = row["ID"]
        venueid = {3: f"{V2_VENUE}/Rejected_Submission", 5: f"{V2_VENUE}/Withdrawn_Submission"}.get(number, V2_VENUE)
        t = BASE_MS + number * 10_000
        notes.append(v2_submission(V2_VENUE, forum, number, title=row["Title"], abstract=f"Abstract of {row['Title']}.",
                                   venueid=venueid, venue="ICLR 2024 poster" if venueid == V2_VENUE else None,
                                   pdf=f"/pdf/{V2_PDF}", tmdate=t))
        rating = row["Individual Scores"].split("-")[0]
        notes.append(v2_reply(V2_VENUE, forum, number, f"{forum[:6]}Rev1", "Official_Review",
                              {"summary": "A summary.", "strengths": "Clear.", "weaknesses": "Small data.",
                               "rating": f"{rating}: accept, good paper", "confidence": "4: You are confident"}, tmdate=t + 1))
        notes.append(v2_reply(V2_VENUE, forum, number, f"{forum[:6]}Auth", "Official_Comment",
                              {"comment": "We thank the reviewer."}, signature=f"{V2_VENUE}/Submission{number}/Authors",
                              replyto=f"{forum[:6]}Rev1", tmdate=t + 2))
        notes.append(v2_reply(V2_VENUE, forum, number, f"{forum[:6]}Meta", "Meta_Review",
                              {"metareview": "Solid work."}, signature=f"{V2_VENUE}/Submission{number}/Area_Chair_x1", tmdate=t + 3))
        decision = "Reject" if number == 3 else "Accept (poster)"
        if number != 5:
            notes.append(v2_reply(V2_VENUE, forum, number, f"{forum[:6]}Deci", "Decision", {"decision": decision},
                                  signature=f"{V2_VENUE}/Program_Chairs", tmdate=t + 4))
    return notes


@pytest.fixture
def bundle(fixtures_dir: Path, tmp_path: Path) -> Path:
    v1_notes, pdfs = v1_fixture_notes(fixtures_dir)
    pdfs[V2_PDF] = fixtures_dir / "pdfs/N18-3011.pdf"
    groups = [{"id": V1_VENUE, "readers": ["everyone"]}, {"id": ICLR19, "readers": ["everyone"]}, v2_venue_group(V2_VENUE)]
    return write_bundle(tmp_path / "bundle", groups=groups, v1_notes=v1_notes, v2_notes=v2_venue_notes(fixtures_dir), pdfs=pdfs)


@pytest.fixture
def server(bundle: Path):
    with OpenReviewTestServer(bundle, page_size=3) as srv:
        yield srv


def crawl_cfg(srv: OpenReviewTestServer, data_dir: Path, **overrides: Any):
    """A CrawlConfig against the test server: no rate limit, fast retries."""
    from reviewgpt.crawl.config import CrawlConfig

    values: dict[str, Any] = dict(
        data_dir=data_dir, baseurl=srv.baseurl_v1, baseurl_v2=srv.baseurl_v2, rate=0, retries=3, backoff=0.01,
        backoff_max=2, timeout=10,
    )
    values.update(overrides)
    return CrawlConfig(**values)


def read_papers(path: Path) -> dict[str, dict[str, Any]]:
    papers = {}
    for line in path.read_text().splitlines():
        obj = json.loads(line)
        assert obj["forum"] not in papers, f"duplicate record {obj['forum']}"
        papers[obj["forum"]] = obj
    return papers


@pytest.fixture(autouse=True)
def _guest(monkeypatch: pytest.MonkeyPatch) -> None:
    """Crawl tests run as a guest whatever the developer's environment holds."""
    monkeypatch.delenv("OPENREVIEW_USERNAME", raising=False)
    monkeypatch.delenv("OPENREVIEW_PASSWORD", raising=False)
