"""The stage with the LLM judge and the human-human ceiling, against the local OpenAI-compatible server."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from reviewgpt.evaluate.extract import EXTRACT_INSTRUCTIONS, review_text
from reviewgpt.records.crawl import CrawledPaper, Reply
from reviewgpt.records.evaluate import HumanPoints, MatchResult
from reviewgpt.store import StageRun, iter_jsonl, read_records
from reviewgpt.testing.evaluate_inputs import review, write_dataset, write_predictions
from reviewgpt.testing.openai_server import FakeOpenAIServer

HUMAN_REVIEWS = {  # review id -> free text; each sentence "Criticism: X." is one criticism
    "r1": "The paper is nice. Criticism: weak baselines. Criticism: no ablation.",
    "r2": "Well written. Criticism: weak baselines.",
    "r3": "Criticism: unclear proofs.",
}


def responder(body: dict) -> str:
    system = body["messages"][0]["content"]
    user = body["messages"][-1]["content"]
    if system == EXTRACT_INSTRUCTIONS:
        found = [part.split(".")[0].strip() for part in user.split("Criticism:")[1:]]
        return json.dumps({"points": [{"title": text.capitalize(), "detail": f"The review says {text}."} for text in found]})
    a_block, b_block = user.split("Review A:\n")[1].split("\n\nReview B:\n")
    titles_a = [line.split(". ", 1)[1].split(":")[0].lower() for line in a_block.splitlines()]
    titles_b = [line.split(". ", 1)[1].split(":")[0].lower() for line in b_block.splitlines()]
    matches = [{"a": i + 1, "b": titles_b.index(t) + 1, "rationale": "same title", "similarity": 8}
               for i, t in enumerate(titles_a) if t in titles_b]
    return json.dumps({"matches": matches})


def write_crawl(data_dir):
    replies = [Reply(id=rid, kind="review", invitation="x/Official_Review", fields={"review": text, "rating": "6"})
               for rid, text in HUMAN_REVIEWS.items()]
    replies.append(Reply(id="m1", kind="meta_review", invitation="x/Meta_Review", fields={"metareview": "Criticism: x."}))
    with StageRun(data_dir, "crawl", "c1") as run:
        run.append(CrawledPaper(forum="p1", venue_id="ICLR.cc/2024/Conference", api_version=2, replies=replies))
        run.append(CrawledPaper(forum="p2", venue_id="ICLR.cc/2024/Conference", api_version=2, replies=replies[:1]))


@pytest.fixture
def inputs(data_dir):
    write_dataset(data_dir, {"p1": review(rejection=["Weak baselines", "No ablation"]), "p2": review(rejection=["Vague"])})
    write_predictions(data_dir, [("sysA", "p1", 0, review(rejection=["Weak baselines", "Small data"])),
                                 ("sysA", "p2", 0, review(rejection=["Vague"]))])
    write_crawl(data_dir)
    return data_dir


def test_cli_llm_judge_and_human_ceiling(inputs, monkeypatch):
    from reviewgpt.cli import app

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with FakeOpenAIServer(responder) as server:
        args = ["evaluate", "--data-dir", str(inputs), "--version", "e1", "--humans", "c1", "--judge-model", "m-test",
                "--set", f"llm.base_url={server.base_url}", "--set", "bootstrap=0"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        calls = len(server.requests)
        manifest = json.loads((inputs / "evaluate" / "e1" / "manifest.json").read_text())
        assert manifest["extra"]["llm"]["calls"] == calls  # 3 extractions + 2 system + 6 human comparisons
        # a rerun into the same version asks nothing: every review is judged already
        assert CliRunner().invoke(app, args).exit_code == 0
        assert len(server.requests) == calls
    assert "evaluate e1: ok=" in result.output and "report.md" in result.output
    path = inputs / "evaluate" / "e1"
    points = {r.review_id: r for r in read_records(path / "human_points.jsonl", HumanPoints)}
    assert set(points) == {"r1", "r2", "r3"}  # p2 has one review: no pair, nothing extracted
    assert [p.title for p in points["r1"].points] == ["Weak baselines", "No ablation"]
    records = list(read_records(path / "matches.jsonl", MatchResult))
    system = {(r.forum, r.system): r for r in records if r.system == "sysA"}
    assert (system[("p1", "sysA")].hits, system[("p1", "sysA")].hit_rate) == (1, 0.5)
    assert system[("p1", "sysA")].judge == "openai:m-test"
    human = {(r.sample, r.reference): r for r in records if r.system == "human"}
    assert len(human) == 6  # ordered pairs of 3 reviews
    assert (human[(0, "human:r2")].hits, human[(0, "human:r2")].hit_rate) == (1, 0.5)  # r1 vs r2
    assert human[(1, "human:r1")].hit_rate == 1.0  # r2 vs r1
    assert human[(2, "human:r1")].hits == 0  # r3 vs r1
    summary = json.loads((path / "summary.json").read_text())
    # r1: (0.5 + 0) / 2, r2: (1 + 0) / 2, r3: 0 -> mean over the 6 pairs = 1.5 / 6
    assert summary["human_human"]["mean_hit_rate"] == pytest.approx(0.25)
    assert "human" not in summary["systems"]
    assert "## Human–human ceiling" in (path / "report.md").read_text()


def test_llm_extractor_without_an_llm_is_one_clear_error(inputs, monkeypatch):
    from reviewgpt.cli import app

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    result = CliRunner().invoke(app, ["evaluate", "--data-dir", str(inputs), "--humans", "c1", "--judge", "embedding",
                                      "--extractor", "openai"])
    assert result.exit_code != 0
    assert "extracted by an LLM: set OPENAI_API_KEY" in str(result.exception)


def test_a_failed_extraction_is_logged_and_the_rest_goes_on(inputs):
    from reviewgpt.evaluate import run
    from reviewgpt.evaluate.config import EvaluateConfig

    def flaky(body: dict) -> str:
        # the review of r3 gets no valid answer, not even to the repair request
        if "unclear proofs" in body["messages"][1]["content"] and body["messages"][0]["content"] == EXTRACT_INSTRUCTIONS:
            return "not json at all"
        return responder(body)

    with FakeOpenAIServer(flaky) as server:
        cfg = EvaluateConfig(data_dir=inputs, version="e1", humans="c1", judge="openai", bootstrap=0,
                             llm={"base_url": server.base_url, "cache": False})
        report = run(cfg)
    errors = list(iter_jsonl(report.path / "errors.jsonl"))
    assert [(e["id"], e["error"]) for e in errors] == [("p1/r3", "point extraction failed")]
    human = [r for r in read_records(report.path / "matches.jsonl", MatchResult) if r.system == "human"]
    assert len(human) == 2  # r1 <-> r2 only


def test_review_text_reads_v1_and_v2_field_names():
    v1 = Reply(id="a", kind="review", invitation="i", fields={"title": "T", "review": "Body.", "rating": "6: ok"})
    assert review_text(v1) == "Body."
    v2 = Reply(id="b", kind="review", invitation="i",
               fields={"summary": "S.", "weaknesses": "W.", "soundness": "3 good", "rating": "6"})
    assert review_text(v2) == "Summary:\nS.\n\nWeaknesses:\nW."
