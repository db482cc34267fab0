"""The openai aggregator over real HTTP: the answer shapes models write, and validate-then-cache."""

from __future__ import annotations

import json
import re

import pytest

from reviewgpt.aggregate import run
from reviewgpt.errors import RunFailedError
from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review
from reviewgpt.store import iter_jsonl
from reviewgpt.testing.openai_server import FakeOpenAIServer

from .aggregate_material import write_crawl
from .test_stage import SCHEMA, openai_cfg, records

ASPECTS = ASPECT_SCHEMAS[SCHEMA]


def _title(body: dict) -> str:
    return re.search(r'of the paper "([^"]*)"', body["messages"][1]["content"]).group(1)


def strings_answer(body: dict) -> str:
    """Each point a plain "Title: detail" string, inside a code fence."""
    obj = {"aspects": {name: [f"Point on {_title(body)[:20]}: reviewers discuss {name.lower()}."] for name in ASPECTS}}
    return "```json\n" + json.dumps(obj) + "\n```"


def mapping_answer(body: dict) -> str:
    """Each aspect an object {title: detail}, the aspects as a JSON string inside the JSON."""
    obj = {name.lower(): {f"Point on {name}": "Two reviewers say so."} for name in ASPECTS}
    return json.dumps({"aspects": json.dumps(obj)})


@pytest.mark.parametrize("responder", [strings_answer, mapping_answer])
def test_points_as_strings_or_as_a_title_detail_object_make_ok_records(data_dir, real_papers, responder):
    write_crawl(data_dir, real_papers)
    with FakeOpenAIServer(responder) as server:
        report = run(openai_cfg(data_dir, server, "v"))
        papers = report.counts["ok"]
        assert papers >= 4 and report.counts["failed"] == 0
        assert len(server.requests) == papers  # no repair request spent
    for record in records(data_dir, "v"):
        assert all(len(record.aspects[name]) == 1 and record.aspects[name][0].title for name in ASPECTS)
        assert parse_review(record.text, SCHEMA).aspects == record.aspects


def test_an_empty_or_incomplete_review_is_an_item_error_with_the_raw_answer_and_never_cached(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    empty = json.dumps({"aspects": {name: [] for name in ASPECTS}})
    incomplete = json.dumps({"aspects": {ASPECTS[0]: ["Clear writing: all reviewers agree."]}})

    def responder(body: dict) -> str:
        return empty if "Pruning" in _title(body) else incomplete

    with FakeOpenAIServer(responder) as server:
        with pytest.raises(RunFailedError, match="no record written"):  # every item invalid: the run fails
            run(openai_cfg(data_dir, server, "bad"))
        first_requests = len(server.requests)
    manifest = json.loads((data_dir / "aggregate" / "bad" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    papers = manifest["counts"]["failed"]
    assert manifest["counts"]["ok"] == 0 and papers >= 4
    assert first_requests == 2 * papers  # each answer, then its repair
    errors = list(iter_jsonl(data_dir / "aggregate" / "bad" / "errors.jsonl"))
    assert {e["error"] for e in errors} == {"invalid-answer"}
    details = " ".join(e["detail"] for e in errors)
    assert "no point under any aspect" in details and f"aspects missing: {ASPECTS[1]}" in details
    assert all(e["raw"] in ([empty, empty], [incomplete, incomplete]) for e in errors)
    assert not list((data_dir / "cache" / "llm").rglob("*.json"))  # nothing invalid was stored

    # a rerun asks again (no invalid answer is replayed); a now-valid answer is cached once validated
    def valid(body: dict) -> str:
        return json.dumps({"aspects": {name: [{"title": "A point", "detail": "Said twice."}] for name in ASPECTS}})

    with FakeOpenAIServer(valid) as server:
        rerun = run(openai_cfg(data_dir, server, "good"))
        assert len(server.requests) == papers and rerun.counts["ok"] == papers
        again = run(openai_cfg(data_dir, server, "good2"))
        assert len(server.requests) == papers and again.counts["ok"] == papers


def test_a_repaired_answer_is_cached_under_the_original_request(data_dir, real_papers):
    write_crawl(data_dir, real_papers[:2])  # one paper is sent (the other is too short)

    def responder(body: dict) -> str:
        if len(body["messages"]) > 2:  # the repair request
            return json.dumps({"aspects": {name: ["Fixed: a valid point."] for name in ASPECTS}})
        return json.dumps({"aspects": 42})

    with FakeOpenAIServer(responder) as server:
        assert run(openai_cfg(data_dir, server, "r1")).counts["ok"] == 1
        assert len(server.requests) == 2
        assert run(openai_cfg(data_dir, server, "r2")).counts["ok"] == 1
        assert len(server.requests) == 2
