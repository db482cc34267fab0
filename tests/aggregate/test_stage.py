"""aggregate-reviews end to end: crawl records in, reviews.jsonl out, with both aggregators."""

from __future__ import annotations

import json
import re

import pytest
from typer.testing import CliRunner

from reviewgpt.aggregate import run
from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.cli import app
from reviewgpt.errors import RunFailedError
from reviewgpt.llm import LLMConfig
from reviewgpt.records import AggregatedReview
from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review
from reviewgpt.store import iter_jsonl, read_manifest, read_records
from reviewgpt.testing.openai_server import FakeOpenAIServer

from .aggregate_material import write_crawl

SCHEMA = "4-aspect"


def schema_answer(body: dict) -> str:
    """A faithful-looking JSON answer: one point per aspect naming the paper from the prompt."""
    prompt = body["messages"][1]["content"]  # the original prompt, also in a repair retry
    title = re.search(r'of the paper "([^"]*)"', prompt).group(1)
    return json.dumps({"aspects": {name: [{"title": f"Point on {title}", "detail": f"About {name.lower()}."}]
                                   for name in ASPECT_SCHEMAS[SCHEMA]}})


def records(data_dir, version) -> list[AggregatedReview]:
    return list(read_records(data_dir / "aggregate" / version / "reviews.jsonl", AggregatedReview))


def test_structured_run_writes_valid_records_and_resumes(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    report = run(AggregateConfig(data_dir=data_dir, version="s1"))
    out = records(data_dir, "s1")
    forums = [r.forum for r in out]
    assert len(forums) == len(set(forums)) == report.counts["ok"]
    assert "r1eLk2mKiX" in forums and "peerread-330" in forums and "v2paper" in forums
    manifest = read_manifest(data_dir / "aggregate" / "s1")
    assert manifest["status"] == "finished"
    assert manifest["skipped_reasons"]["all-reviews-too-short"] >= 1  # "Targeted Dropout": one 94-word review
    assert manifest["extra"]["dropped_replies"]["author_response"] >= 11
    for record in out:
        assert record.aggregator == "structured" and record.schema == SCHEMA
        assert parse_review(record.text, SCHEMA).aspects == record.aspects
    pruning = next(r for r in out if r.forum == "r1eLk2mKiX")
    assert len(pruning.source_reviews) == 3 and pruning.source_ratings

    again = run(AggregateConfig(data_dir=data_dir, version="s1"))  # resume: nothing new appended
    assert [r.forum for r in records(data_dir, "s1")] == forums
    assert again.counts["ok"] == len(forums)


def openai_cfg(data_dir, server, version, **llm) -> AggregateConfig:
    settings = {"timeout_s": 1.0, "concurrency": 4, **llm}
    return AggregateConfig(data_dir=data_dir, version=version, aggregator="openai",
                           llm=LLMConfig(base_url=server.base_url, **settings))


def test_openai_run_survives_faults_and_a_rerun_sends_nothing(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    with FakeOpenAIServer(schema_answer, faults=["429", "500", "hang", "invalid_json"]) as server:
        report = run(openai_cfg(data_dir, server, "o1"))
        sent = len(server.requests)
        out = records(data_dir, "o1")
        forums = [r.forum for r in out]
        assert len(forums) == len(set(forums)) == report.counts["ok"] >= 4
        assert report.counts["failed"] == 0
        assert all(r.aggregator == "openai:gpt-4o-mini" and r.usage["prompt_tokens"] > 0 for r in out)
        assert all(len(r.aspects[name]) == 1 for r in out for name in ASPECT_SCHEMAS[SCHEMA])
        manifest = read_manifest(data_dir / "aggregate" / "o1")
        assert manifest["extra"]["llm"]["retries"] == 3 and manifest["extra"]["llm"]["calls"] == len(forums) + 1
        assert manifest["extra"]["llm"]["cost_usd"] > 0

        # a new version over the same data: every answer comes from data/cache/llm
        rerun = run(openai_cfg(data_dir, server, "o2"))
        assert len(server.requests) == sent
        assert rerun.counts["ok"] == len(forums)
        assert (data_dir / "cache" / "llm").is_dir()


def test_an_answer_invalid_twice_is_an_error_line_and_the_run_goes_on(data_dir, real_papers):
    write_crawl(data_dir, real_papers[:2])  # Targeted Dropout (skipped: too short) and the pruning paper
    with FakeOpenAIServer(lambda body: json.dumps({"aspects": {"Made-up aspect": []}})) as server:
        with pytest.raises(RunFailedError, match="no record written"):  # 0 ok: the run failed
            run(openai_cfg(data_dir, server, "bad"))
    assert read_manifest(data_dir / "aggregate" / "bad")["counts"] == {"ok": 0, "skipped": 1, "failed": 1}
    [error] = list(iter_jsonl(data_dir / "aggregate" / "bad" / "errors.jsonl"))
    assert error["id"] == "r1eLk2mKiX" and "unknown aspect" in error["detail"]


def test_dry_run_counts_calls_and_cost_and_writes_nothing(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    with FakeOpenAIServer(schema_answer) as server:
        dry = run(openai_cfg(data_dir, server, "d1").model_copy(update={"dry_run": True}))
        assert dry.extra["calls"] == dry.extra["papers"] >= 4
        assert dry.extra["prompt_tokens"] > 1000 and dry.extra["cost_usd"] > 0
        assert not (data_dir / "aggregate" / "d1").exists() and server.requests == []
        run(openai_cfg(data_dir, server, "d1"))
        after = run(openai_cfg(data_dir, server, "d2").model_copy(update={"dry_run": True}))
    assert after.extra["calls"] == 0 and after.extra["cached"] == dry.extra["papers"]


def test_max_cost_stops_cleanly_and_a_rerun_continues(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    with FakeOpenAIServer(schema_answer) as server:
        report = run(openai_cfg(data_dir, server, "b1", max_cost_usd=0.0004, max_tokens=200, concurrency=1))
        manifest = read_manifest(data_dir / "aggregate" / "b1")
        assert manifest["status"] == "finished" and "max_cost" in manifest["extra"]["stopped"]
        assert manifest["skipped_reasons"]["max-cost-reached"] >= 1
        assert 1 <= report.counts["ok"] < 6
        full = run(openai_cfg(data_dir, server, "b1", max_tokens=200))
    assert full.counts["ok"] == len({r.forum for r in records(data_dir, "b1")}) >= 6


def test_cli_runs_the_structured_aggregator(data_dir, real_papers):
    write_crawl(data_dir, real_papers)
    result = CliRunner().invoke(
        app, ["aggregate-reviews", "--data-dir", str(data_dir), "--version", "cli", "--review-schema", "7-aspect"]
    )
    assert result.exit_code == 0, result.output
    assert "aggregate cli: ok=" in result.output
    out = records(data_dir, "cli")
    assert out and all(r.schema == "7-aspect" for r in out)
