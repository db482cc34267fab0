"""Serving a trained model elsewhere: an adapter folder alone carries its RoPE scaling, and the
`reviewgpt infer --backend openai` command that docs/serving.md and `train export` print runs
against an OpenAI-compatible server (the fake one standing in for vLLM)."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from reviewgpt.infer.config import InferConfig
from reviewgpt.records import Prediction
from reviewgpt.store import read_records

from .conftest import RUN

LONG = 600  # tokens: past the tiny base's 512 positions


def _backend(data_dir, **cfg):
    from reviewgpt.infer._hf import HFBackend

    return HFBackend(InferConfig.model_validate({"data_dir": data_dir, "backend": "hf", **cfg,
                                                 "hf": {"dtype": "float32", "device": "cpu"}}))


def _logits(backend, ids):
    with torch.no_grad():
        return backend.model(input_ids=ids).logits


def _adapter_only(run_data, tmp_path, with_overrides: bool):
    """The run's adapter copied out of its run folder, with or without base_config_overrides.json."""
    from reviewgpt.modeling import write_base_config_overrides

    adapter = tmp_path / ("adapter" if with_overrides else "bare-adapter")
    shutil.copytree(run_data / "train" / RUN / "adapter", adapter)
    if with_overrides:
        write_base_config_overrides(adapter, {"rope_parameters": {"rope_type": "linear", "factor": 2.0,
                                                                  "rope_theta": 10000.0}})
    return adapter


def test_an_adapter_folder_alone_is_served_with_its_rope_scaling(run_data, tmp_path):
    info = json.loads((run_data / "train" / RUN / "run_info.json").read_text())
    by_run = _backend(run_data, run=RUN)
    alone = _backend(run_data, model=info["base_model"], adapter=_adapter_only(run_data, tmp_path, True))
    bare = _backend(run_data, model=info["base_model"], adapter=_adapter_only(run_data, tmp_path, False))
    assert alone.model.config.rope_parameters["factor"] == 2.0
    ids = torch.randint(5, 300, (1, LONG), generator=torch.Generator().manual_seed(0))
    want = _logits(by_run, ids)[:, 512:]
    torch.testing.assert_close(_logits(alone, ids)[:, 512:], want)
    assert (_logits(bare, ids)[:, 512:] - want).abs().max() > 1e-3  # what the missing file costs


def test_a_broken_overrides_file_is_a_config_error(run_data, tmp_path):
    from reviewgpt.errors import ConfigError
    from reviewgpt.modeling import BASE_CONFIG_OVERRIDES

    adapter = _adapter_only(run_data, tmp_path, True)
    (adapter / BASE_CONFIG_OVERRIDES).write_text('{"rope_parameters": {"rope_type": "ntk", "factor": 2}}')
    info = json.loads((run_data / "train" / RUN / "run_info.json").read_text())
    with pytest.raises(ConfigError, match="rope_type 'ntk'"):
        _backend(run_data, model=info["base_model"], adapter=adapter)


def test_the_printed_infer_command_runs_against_the_served_model(run_data, monkeypatch):
    from typer.testing import CliRunner

    from reviewgpt.cli import app
    from reviewgpt.testing.openai_server import FakeOpenAIServer
    from reviewgpt.train.export import ServingPlan, serving_commands

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a local server needs no key
    plan = ServingPlan(run="llama3-pi-r1", base_model="meta-llama/Meta-Llama-3-8B-Instruct", max_model_len=12288,
                       hf_overrides={}, lora_rank=64, modules_to_save=[], merged_dir="m", adapter_dir=None,
                       adapter_skipped="x")
    command = serving_commands(plan)["infer"]

    def answer(body: dict) -> str:
        return f"[Significance and novelty]\n<Point {body['seed']}> From the served model."

    with FakeOpenAIServer(answer) as server:
        argv = command[1:]
        argv[argv.index("--base-url") + 1] = server.base_url
        result = CliRunner().invoke(app, [*argv, "--data-dir", str(run_data), "--input", "v1:test"])
    assert result.exit_code == 0, result.output
    preds = list(read_records(run_data / "infer" / "llama3-pi-r1-vllm" / "predictions.jsonl", Prediction))
    assert len(preds) == 15 and {p.system for p in preds} == {"llama3-pi-r1"}
    assert not any(p.unparsable for p in preds)
    assert {r["model"] for r in server.requests} == {"reviewgpt"}
    assert sorted({r["seed"] for r in server.requests}) == [0, 1, 2, 3, 4]
