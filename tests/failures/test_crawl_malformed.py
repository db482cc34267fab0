"""One malformed note fails that note, not the crawl."""

from __future__ import annotations

import json
from pathlib import Path

from reviewgpt.store import iter_jsonl, latest_version, read_manifest
from reviewgpt.testing.openreview_server import OpenReviewTestServer
from reviewgpt.testing.sample_venue import V1_VENUE, V2_VENUE, write_sample_bundle

from .conftest import run_cli


def _break_first_submission(bundle: Path) -> str:
    """Give the first v1 submission a non-numeric tmdate; return its forum."""
    path = bundle / "v1_notes.jsonl"
    notes = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    first = notes[0]
    assert first["id"] == first["forum"]
    first["tmdate"] = "yesterday"
    path.write_text("".join(json.dumps(n) + "\n" for n in notes))
    return first["id"]


def test_a_note_with_a_non_numeric_tmdate_is_an_item_error(tmp_path: Path) -> None:
    bundle = tmp_path / "venue"
    write_sample_bundle(bundle, n_papers=6)
    broken = _break_first_submission(bundle)
    data = tmp_path / "data"
    with OpenReviewTestServer(bundle) as server:
        result = run_cli("crawl", "--data-dir", str(data), "--venue", V1_VENUE, "--venue", V2_VENUE,
                         "--baseurl", server.baseurl_v1, "--baseurl-v2", server.baseurl_v2, "--rate", "0",
                         "--version", "c1")
    assert result.returncode == 0, result.stderr
    assert "failed=1" in result.stdout
    assert broken in result.stdout + result.stderr  # one line naming the note
    [error] = list(iter_jsonl(data / "crawl" / "c1" / "errors.jsonl"))
    assert error["id"] == broken and error["error"] == "malformed-note" and "tmdate" in error["detail"]
    forums = {r["forum"] for r in iter_jsonl(data / "crawl" / "c1" / "papers.jsonl")}
    assert len(forums) == 5 and broken not in forums
    assert read_manifest(data / "crawl" / "c1")["status"] == "finished"
    assert latest_version(data, "crawl") == "c1"
