"""The openai backend against the local fake server: same prompts, cleaned answers, JSON baselines."""

from __future__ import annotations

import json

import pytest

from reviewgpt.infer import run
from reviewgpt.infer.config import InferConfig
from reviewgpt.records import Prediction
from reviewgpt.reviewtext import ASPECT_SCHEMAS
from reviewgpt.store import read_records
from reviewgpt.testing.openai_server import FakeOpenAIServer


@pytest.fixture(autouse=True)
def _key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")


def _text_answer(body: dict) -> str:
    seed = body.get("seed")
    return f"Here is my review.\n[Significance and novelty]\n<Point {seed}> Detail for sample {seed}."


def _predictions(data_dir, version):
    return sorted(read_records(data_dir / "infer" / version / "predictions.jsonl", Prediction),
                  key=lambda p: (p.forum, p.sample))


def _cfg(data_dir, server, **overrides):
    return InferConfig.model_validate({
        "data_dir": data_dir, "backend": "openai", "model": "served-model", "samples": 2, "version": "oa",
        "input": "v1:test", "llm": {"base_url": server.base_url, "timeout_s": 5}, **overrides,
    })


def test_openai_backend_sends_the_training_prompt_once_per_sample(run_data):
    with FakeOpenAIServer(_text_answer) as server:
        report = run(_cfg(run_data, server, sampling={"temperature": 0.9, "top_p": 0.95, "max_new_tokens": 300}))
    preds = _predictions(run_data, "oa")
    assert report.counts["ok"] == 6
    assert [p.text for p in preds[:2]] == ["[Significance and novelty]\n<Point 0> Detail for sample 0.",
                                           "[Significance and novelty]\n<Point 1> Detail for sample 1."]
    assert all(p.system == "openai:served-model" and not p.unparsable for p in preds)
    body = server.requests[0]
    assert body["model"] == "served-model" and body["temperature"] == 0.9 and body["top_p"] == 0.95
    assert body["max_tokens"] == 300
    assert body["messages"][0]["content"].startswith("Write a review of this paper.\n\n[TITLE]")
    assert sorted(r["seed"] for r in server.requests) == [0, 0, 0, 1, 1, 1]


def test_failed_samples_are_recorded_retried_on_rerun_and_answers_cached(run_data):
    no_retry = {"max_retries": 0, "timeout_s": 5}
    with FakeOpenAIServer(_text_answer, faults=["500", "500"]) as server:
        report = run(_cfg(run_data, server, llm={"base_url": server.base_url, **no_retry}))
    assert (report.counts["ok"], report.counts["failed"]) == (4, 2)
    errors = (run_data / "infer" / "oa" / "errors.jsonl").read_text().splitlines()
    assert len(errors) == 2 and all(json.loads(line)["id"].startswith("paper") for line in errors)

    with FakeOpenAIServer(_text_answer) as server:
        report = run(_cfg(run_data, server))
        assert len(server.requests) == 2  # only the two failed samples
    assert len(_predictions(run_data, "oa")) == 6

    with FakeOpenAIServer(_text_answer) as server:
        run(_cfg(run_data, server, version="oa2"))
        assert server.requests == []  # a new version is answered from the cache
    assert [p.text for p in _predictions(run_data, "oa2")] == [p.text for p in _predictions(run_data, "oa")]


def test_json_prompt_style_becomes_the_review_text_format(run_data):
    aspects = ASPECT_SCHEMAS["4-aspect"]

    def json_answer(body: dict) -> str:
        assert body["response_format"] == {"type": "json_object"}
        return json.dumps({name: [{"title": f"T{i}", "detail": "D."}] for i, name in enumerate(aspects)})

    with FakeOpenAIServer(json_answer) as server:
        run(_cfg(run_data, server, prompt_style="json", samples=1, model="gpt-4o"))
    preds = _predictions(run_data, "oa")
    assert len(preds) == 3 and all(p.system == "openai:gpt-4o:json" for p in preds)
    assert preds[0].text.startswith("[Significance and novelty]\n<T0> D.\n\n[Potential reasons for acceptance]\n<T1> D.")
    assert preds[0].n_points == 4


def test_json_prompt_style_asks_for_each_records_own_schema(run_data):
    from reviewgpt.records import InstructionExample
    from reviewgpt.store import StageRun

    with StageRun(run_data, "dataset", "d7", records="test.jsonl", id_key="id") as stage:
        stage.append(InstructionExample(id="p7", instruction="Review it.", input="[TITLE]\nT", output="",
                                        input_tokens=0, output_tokens=0, schema="7-aspect"))
    aspects = ASPECT_SCHEMAS["7-aspect"]
    asked = []

    def json_answer(body: dict) -> str:
        asked.append(body["messages"][-1]["content"])
        return json.dumps({name: [{"title": "T", "detail": "D."}] for name in aspects})

    with FakeOpenAIServer(json_answer) as server:
        run(_cfg(run_data, server, prompt_style="json", samples=1, input="d7:test"))
    assert all(name in asked[0] for name in aspects)
    (pred,) = _predictions(run_data, "oa")
    assert pred.text.startswith(f"[{aspects[0]}]") and pred.n_points == 7
