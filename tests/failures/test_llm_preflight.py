"""No API key, a dead server, answers that all fail: the run says so before (or instead of) finishing.

Each case runs the real CLI in a subprocess; the LLM is the fake OpenAI server on loopback.
"""

from __future__ import annotations

import json
import socket

import pytest

from reviewgpt.llm import LLMClient
from reviewgpt.llm.config import LLMConfig
from reviewgpt.reviewtext import ASPECT_SCHEMAS
from reviewgpt.store import iter_jsonl, latest_version, read_manifest
from reviewgpt.testing.evaluate_inputs import review, write_dataset, write_predictions
from reviewgpt.testing.openai_server import FakeOpenAIServer

from .conftest import error_lines, run_cli


def _dead_url() -> str:
    """A loopback URL where nothing listens (a port bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


def _aspects_answer(body: dict) -> str:
    return json.dumps({"aspects": {"Significance and novelty": [{"title": "New", "detail": "It is new."}]}})


def _structured_first(data) -> None:
    """A finished structured aggregation, so we can see LATEST stay on it."""
    done = run_cli("aggregate-reviews", "--data-dir", str(data), "--version", "a0")
    assert done.returncode == 0, done.stderr
    assert latest_version(data, "aggregate") == "a0"


@pytest.mark.parametrize("fault", ["no-key", "dead-server"])
def test_aggregate_openai_without_key_or_server_fails_before_the_first_paper(crawled, fault) -> None:
    _structured_first(crawled)
    args = ["aggregate-reviews", "--data-dir", str(crawled), "--aggregator", "openai", "--version", "a1"]
    if fault == "dead-server":
        args += ["--base-url", _dead_url()]
    result = run_cli(*args)
    assert result.returncode == 1, result.stderr
    [line] = error_lines(result.stderr)
    assert ("no API key" in line) if fault == "no-key" else ("cannot reach the LLM server" in line)
    assert "AssertionError" not in result.stderr
    assert latest_version(crawled, "aggregate") == "a0"
    manifest = read_manifest(crawled / "aggregate" / "a1")
    assert manifest["status"] == "failed" and manifest["counts"]["ok"] == 0
    assert list(iter_jsonl(crawled / "aggregate" / "a1" / "errors.jsonl")) == []  # no per-paper noise


def test_aggregate_where_every_answer_is_invalid_fails_and_keeps_latest(crawled) -> None:
    _structured_first(crawled)
    with FakeOpenAIServer(lambda body: json.dumps({"aspects": {"Not an aspect": []}})) as server:
        result = run_cli("aggregate-reviews", "--data-dir", str(crawled), "--aggregator", "openai",
                         "--base-url", server.base_url, "--version", "a1")
    assert result.returncode == 1, result.stderr
    [line] = error_lines(result.stderr)
    assert "no record written" in line and "unknown aspect" in line
    assert latest_version(crawled, "aggregate") == "a0"
    errors = list(iter_jsonl(crawled / "aggregate" / "a1" / "errors.jsonl"))
    assert errors and all(e["error"] == "invalid-answer" and e["raw"] for e in errors)  # the raw answers are kept


def test_some_failures_exit_0_with_the_count_and_strict_makes_them_an_error(crawled) -> None:
    first_title = next(iter_jsonl(crawled / "crawl" / "c1" / "papers.jsonl"))["title"]

    def one_bad(body: dict) -> str:  # the first paper's answer is invalid, every time
        asked_about_first = any(first_title in m["content"] for m in body["messages"])  # repair retries too
        point = [{"title": "New", "detail": "It is new."}]
        if asked_about_first:
            return json.dumps({"aspects": {"Not an aspect": point}})
        return json.dumps({"aspects": {name: point for name in ASPECT_SCHEMAS["4-aspect"]}})

    with FakeOpenAIServer(one_bad) as server:
        base = ["aggregate-reviews", "--data-dir", str(crawled), "--aggregator", "openai", "--base-url", server.base_url]
        lenient = run_cli(*base, "--version", "a1")
        strict = run_cli(*base, "--version", "a2", "--strict")
        limited = run_cli(*base, "--version", "a3", "--max-failures", "100")
    failed = read_manifest(crawled / "aggregate" / "a1")["counts"]["failed"]
    ok = read_manifest(crawled / "aggregate" / "a1")["counts"]["ok"]
    assert failed > 0 and ok > 0, "the fake server must fail some papers and not others"
    assert lenient.returncode == 0, lenient.stderr
    assert f"failed={failed}" in lenient.stdout and "errors.jsonl" in lenient.stdout
    assert strict.returncode == 1, strict.stderr
    [line] = error_lines(strict.stderr)
    assert f"{failed} items failed and --strict allows none" in line
    assert read_manifest(crawled / "aggregate" / "a2")["status"] == "failed"
    assert limited.returncode == 0
    assert latest_version(crawled, "aggregate") == "a3"


def test_infer_openai_without_key_or_server_fails_before_the_first_sample(data_dir) -> None:
    from reviewgpt.records import ParsedPaper
    from reviewgpt.store import StageRun

    with StageRun(data_dir, "parse", "p1") as run:
        run.append(ParsedPaper(forum="f1", parser="pymupdf", title="T", abstract="A", text="[TITLE]\nT"))
    no_key = run_cli("infer", "--data-dir", str(data_dir), "--backend", "openai", "--input", "p1", "--samples", "2")
    dead = run_cli("infer", "--data-dir", str(data_dir), "--backend", "openai", "--input", "p1",
                   "--base-url", _dead_url(), "--samples", "2")
    for result, cause in ((no_key, "no API key"), (dead, "cannot reach the LLM server")):
        assert result.returncode == 1, result.stderr
        [line] = error_lines(result.stderr)
        assert cause in line
        assert "AssertionError" not in result.stderr
    assert latest_version(data_dir, "infer") is None


def test_evaluate_openai_judge_without_key_fails_and_keeps_latest(data_dir) -> None:
    write_dataset(data_dir, {"f1": review(significance=["Novel idea"])})
    write_predictions(data_dir, [("sys", "f1", 0, review(significance=["Novel idea"]))])
    result = run_cli("evaluate", "--data-dir", str(data_dir), "--judge", "openai", "--version", "e1")
    assert result.returncode == 1, result.stderr
    [line] = error_lines(result.stderr)
    assert "no API key" in line
    assert latest_version(data_dir, "evaluate") is None
    assert not (data_dir / "evaluate" / "e1" / "summary.json").exists()  # no 0.00 hit rate as a result

    dead = run_cli("evaluate", "--data-dir", str(data_dir), "--judge", "openai", "--version", "e2",
                   env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": _dead_url()})
    assert dead.returncode == 1
    assert "cannot reach the LLM server" in error_lines(dead.stderr)[0]


def test_client_without_a_key_fails_every_item_with_the_cause_not_an_assertion(monkeypatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    client = LLMClient(LLMConfig(), cache_dir=None)

    async def ask(i: int):
        return await client.chat([{"role": "user", "content": f"q{i}"}])

    results = [result for _, result in client.map(range(5), ask, "asking")]
    assert len(results) == 5
    assert all("no API key" in str(r) for r in results), [type(r).__name__ for r in results]


def test_evaluate_whose_every_judgement_fails_writes_no_report_and_fails(data_dir) -> None:
    write_dataset(data_dir, {"f1": review(significance=["Novel idea"])})
    write_predictions(data_dir, [("sys", "f1", 0, review(significance=["Novel idea"]))])
    with FakeOpenAIServer(lambda body: "not json at all") as server:
        result = run_cli("evaluate", "--data-dir", str(data_dir), "--judge", "openai", "--version", "e1",
                         env={"OPENAI_API_KEY": "sk-test", "OPENAI_BASE_URL": server.base_url})
    assert result.returncode == 1, result.stdout + result.stderr
    [line] = error_lines(result.stderr)
    assert "no record written" in line and "f1" in line
    assert not (data_dir / "evaluate" / "e1" / "summary.json").exists()
    assert not (data_dir / "evaluate" / "e1" / "report.md").exists()
    assert latest_version(data_dir, "evaluate") is None
