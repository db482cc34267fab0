"""The LLM judge against the local OpenAI-compatible test server (real HTTP, JSON mode)."""

from __future__ import annotations

import json

import pytest

from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.evaluate.judges.llm import LLMJudge, parse_judgement
from reviewgpt.llm import LLMClient, LLMConfig
from reviewgpt.testing.openai_server import FakeOpenAIServer


def judge_for(server: FakeOpenAIServer, cache_dir=None, **cfg) -> LLMJudge:
    config = LLMConfig(model="judge-test", base_url=server.base_url, timeout_s=5, max_retries=2, **cfg)
    return LLMJudge(LLMClient(config, cache_dir=cache_dir), config.model)


def listed(body: dict, side: str) -> list[str]:
    """The numbered points of one review as the prompt shows them."""
    text = body["messages"][-1]["content"]
    block = text.split(f"Review {side}:\n", 1)[1].split("\n\nReview", 1)[0]
    return [line.split(". ", 1)[1] for line in block.splitlines() if line.strip()]


def same_text_responder(body: dict) -> str:
    """Pairs identical points (similarity 9), and also pairs every leftover A point with B1 (similarity 6)."""
    a, b = listed(body, "A"), listed(body, "B")
    matches = [{"a": i + 1, "b": b.index(t) + 1, "rationale": "same", "similarity": 9} for i, t in enumerate(a) if t in b]
    matches += [{"a": f"A{i + 1}", "b": "B1", "rationale": "weak", "similarity": 6} for i, t in enumerate(a) if t not in b]
    return json.dumps({"matches": matches})


def test_judge_sends_json_mode_and_reads_one_to_one_matches(tmp_path):
    comparison = Comparison("k", ("x: one", "y: two", "z: three"), ("y: two", "x: one"))
    with FakeOpenAIServer(same_text_responder) as server:
        judge = judge_for(server)
        ((got, matches),) = list(judge.match_all([comparison]))
        body = server.requests[0]
    assert got is comparison
    assert body["response_format"] == {"type": "json_object"}
    assert body["model"] == "judge-test"
    assert "A1. x: one" in body["messages"][-1]["content"]
    # z/three was also paired with B1, but B1 is already x/one's (9 > 6): dropped
    assert [(m.a, m.b, m.similarity) for m in matches] == [(1, 2, 9.0), (2, 1, 9.0)]
    assert judge.name == "openai:judge-test"


def test_invalid_answer_gets_one_repair_then_fails_only_that_comparison():
    answers = iter([json.dumps({"matches": [{"a": 7, "b": 1, "similarity": 9}]}),  # A7 does not exist
                    json.dumps({"matches": [{"a": 1, "b": 1, "similarity": 8, "rationale": "ok"}]})])
    with FakeOpenAIServer(lambda body: next(answers)) as server:
        ((_, matches),) = list(judge_for(server).match_all([Comparison("k", ("p",), ("q",))]))
        repair = server.requests[1]["messages"][-1]["content"]
    assert [(m.a, m.b) for m in matches] == [(1, 1)]
    assert "not a point of review A" in repair

    with FakeOpenAIServer(lambda body: json.dumps({"matches": [{"a": 1, "b": 1, "similarity": 42}]})) as server:
        results = dict((c.key, r) for c, r in judge_for(server).match_all(
            [Comparison("bad", ("p",), ("q",)), Comparison("empty", (), ("q",))]
        ))
    assert isinstance(results["bad"], Exception) and "similarity" in str(results["bad"])
    assert results["empty"] == []  # nothing to compare: no call


def test_server_faults_are_retried_and_answers_are_cached(tmp_path):
    comparisons = [Comparison(f"k{i}", (f"a{i}",), (f"a{i}",)) for i in range(4)]
    with FakeOpenAIServer(same_text_responder, faults=["500", "429"], retry_after_s=0.05) as server:
        first = {c.key: r for c, r in judge_for(server, cache_dir=tmp_path).match_all(comparisons)}
        sent = len(server.requests)
        second = {c.key: r for c, r in judge_for(server, cache_dir=tmp_path).match_all(comparisons)}
        assert len(server.requests) == sent  # all four answered from the cache
    assert all(len(r) == 1 and r[0].similarity == 9 for r in first.values())
    assert first == second


@pytest.mark.parametrize(
    "answer, error",
    [({"pairs": []}, "matches"), ({"matches": [{"a": 1, "b": 1, "similarity": "high"}]}, "similarity"),
     ({"matches": [{"a": True, "b": 1, "similarity": 7}]}, "point number")],
)
def test_parse_judgement_rejects_bad_shapes(answer, error):
    with pytest.raises(ValueError, match=error):
        parse_judgement(answer, 2, 2)
