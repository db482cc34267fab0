"""The infer stage end to end on a tiny train run: N samples per paper, resume, inputs, adapter."""

from __future__ import annotations

import pytest

from reviewgpt.infer import run
from reviewgpt.infer.config import InferConfig
from reviewgpt.records import Prediction
from reviewgpt.store import read_manifest, read_records

RUN = "tiny-run"  # the run conftest's train_run_dir writes


def _config(data_dir, **overrides):
    base = {"data_dir": data_dir, "run": RUN, "samples": 2, "version": "out", "input": "v1:test",
            "sampling": {"max_new_tokens": 12, "temperature": 0.8}}
    return InferConfig.model_validate({**base, **overrides})


def _predictions(data_dir, version="out"):
    return list(read_records(data_dir / "infer" / version / "predictions.jsonl", Prediction))


def test_writes_n_samples_for_each_paper(run_data):
    report = run(_config(run_data))
    preds = _predictions(run_data)
    assert report.counts["ok"] == 6
    assert sorted((p.forum, p.sample) for p in preds) == [(f"paper{i}", s) for i in range(3) for s in range(2)]
    assert all(p.system == RUN and p.backend == "hf:shared" for p in preds)
    assert all(0 < p.completion_tokens <= 12 and p.prompt_tokens > 0 for p in preds)
    # a random model writes no aspect headers: the samples are kept and flagged, not dropped
    assert all(p.unparsable for p in preds)
    manifest = read_manifest(run_data / "infer" / "out")
    assert manifest["status"] == "finished" and manifest["extra"]["unparsable"] == 6
    assert (run_data / "infer" / "LATEST").read_text().strip() == "out"


def test_resume_after_a_kill_writes_only_the_missing_samples(run_data, monkeypatch):
    import reviewgpt.infer._hf as hf

    real = hf.generate_shared
    calls = []
    killed = []

    def killed_on_second_batch(*args, **kwargs):
        calls.append(len(args[1]))
        if len(calls) == 2 and not killed:
            killed.append(True)
            raise RuntimeError("simulated kill in the middle of a batch")
        return real(*args, **kwargs)

    monkeypatch.setattr(hf, "generate_shared", killed_on_second_batch)
    cfg = _config(run_data, hf={"max_batch_papers": 1})
    with pytest.raises(RuntimeError, match="simulated kill"):
        run(cfg)
    assert len(_predictions(run_data)) == 2  # the first paper's two samples were kept
    assert read_manifest(run_data / "infer" / "out")["status"] != "finished"
    assert not (run_data / "infer" / "LATEST").exists()

    calls.clear()
    report = run(cfg)
    preds = _predictions(run_data)
    assert calls == [1, 1]  # only the two unfinished papers were generated again
    assert report.counts["skipped"] == 1
    assert len(preds) == 6 and len({(p.forum, p.sample) for p in preds}) == 6


def test_more_samples_later_adds_only_the_new_sample_indices(run_data):
    run(_config(run_data, samples=1))
    run(_config(run_data, samples=3))
    preds = _predictions(run_data)
    assert sorted((p.forum, p.sample) for p in preds) == [(f"paper{i}", s) for i in range(3) for s in range(3)]


def test_reads_a_parse_version_with_the_schema_instruction(parse_data, train_run_dir):
    import shutil

    shutil.copytree(train_run_dir, parse_data / "train" / RUN)
    run(_config(parse_data, input="p1", samples=1))
    assert sorted(p.forum for p in _predictions(parse_data)) == ["forum0", "forum1"]


def test_reference_engine_and_unmerged_adapter_give_the_shared_engine_greedy_output(run_data):
    greedy = {"max_new_tokens": 10, "temperature": 0}
    run(_config(run_data, samples=1, version="shared", sampling=greedy))
    run(_config(run_data, samples=1, version="generate", sampling=greedy, hf={"engine": "generate"}))
    run(_config(run_data, samples=1, version="unmerged", sampling=greedy, hf={"merge_adapter": False}))
    texts = {v: {p.forum: p.text for p in _predictions(run_data, v)} for v in ("shared", "generate", "unmerged")}
    assert texts["shared"] == texts["generate"] == texts["unmerged"]


def test_long_papers_are_cut_to_the_prompt_budget(run_data):
    run(_config(run_data, samples=1, hf={"max_prompt_tokens": 40}))
    preds = _predictions(run_data)
    assert all(p.prompt_tokens <= 40 for p in preds)
    assert any(p.prompt_truncated for p in preds)


def test_by_default_prompt_and_review_fit_the_trained_context(run_data):
    """The run trained on 400 tokens (prompt + review): a 300-token review leaves the prompt 100."""
    run(_config(run_data, samples=1, sampling={"max_new_tokens": 300, "temperature": 0}))
    preds = _predictions(run_data)
    assert all(p.prompt_tokens <= 100 for p in preds) and any(p.prompt_truncated for p in preds)


def test_config_errors_name_the_fix(data_dir):
    from pydantic import ValidationError

    assert InferConfig(data_dir=data_dir).model == "smollm2-135m-instruct"  # no run, no model: the embedded one
    with pytest.raises(ValidationError, match="openai"):
        InferConfig(data_dir=data_dir, run=RUN, prompt_style="json")
