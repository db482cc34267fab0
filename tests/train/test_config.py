"""Bad configs fail before any weight is loaded, with a message that names the problem and the fix."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from reviewgpt.config import load_config
from reviewgpt.errors import ConfigError, MissingExtraError, StoreError
from reviewgpt.train import run
from reviewgpt.train.config import TrainConfig


@pytest.fixture
def no_model_loading(monkeypatch):
    """Make loading weights an error: every check below must fire before it."""
    import reviewgpt.modeling as modeling

    def forbidden(*args, **kwargs):
        raise AssertionError("the model was loaded before the config was rejected")

    monkeypatch.setattr(modeling, "load_causal_lm", forbidden)


def test_s2attn_on_an_unsupported_model_type_fails_before_loading(tmp_path, dataset, make_config, no_model_loading):
    from transformers import AutoConfig

    gpt2 = tmp_path / "gpt2"
    AutoConfig.for_model("gpt2", n_positions=512).save_pretrained(gpt2)
    with pytest.raises(ConfigError, match="S2-Attn is not supported for model type 'gpt2'.*model.s2attn: false"):
        run(make_config(dataset, gpt2, "bad"))


def test_sequence_over_the_scaled_context_fails_before_loading(dataset, tiny_llama, make_config, no_model_loading):
    # tiny model: 128 positions x RoPE factor 2 = 256
    with pytest.raises(ConfigError, match=r"max_seq_len 300 is over the model's context 256 \(128 x RoPE factor 2\)"):
        run(make_config(dataset, tiny_llama, "bad", max_seq_len=300))


def test_missing_dataset_fails_before_loading(data_dir, tiny_llama, make_config, no_model_loading):
    with pytest.raises(StoreError, match="no finished 'dataset' version"):
        run(make_config(data_dir, tiny_llama, "bad"))


def test_missing_extra_names_the_package_to_install(dataset, tiny_llama, make_config, monkeypatch, no_model_loading):
    monkeypatch.setitem(sys.modules, "bitsandbytes", None)  # import fails as if not installed
    with pytest.raises(MissingExtraError, match=r"bitsandbytes.*pip install 'reviewgpt\[train\]'"):
        run(make_config(dataset, tiny_llama, "bad"))


def test_zero3_without_quant_storage_names_the_fix(tmp_path, tiny_llama):
    ds = tmp_path / "zero3.json"
    ds.write_text(json.dumps({"zero_optimization": {"stage": 3}}))
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text(f"model:\n  name_or_path: {tiny_llama}\ntraining:\n  deepspeed: {ds}\n")
    with pytest.raises(ConfigError, match=r"ZeRO-3 .*--set model.quant_storage=bfloat16"):
        load_config(TrainConfig, yaml_file)
    cfg = load_config(TrainConfig, yaml_file, sets=["model.quant_storage=bfloat16"])
    assert cfg.model.quant_storage == "bfloat16"


def test_unknown_key_and_resume_without_run_name_are_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'lora.rank'"):
        load_config(TrainConfig, None, sets=["model.name_or_path=x", "lora.rank=8"])
    with pytest.raises(ConfigError, match="resume needs the run name"):
        load_config(TrainConfig, None, sets=["model.name_or_path=x"], overrides={"resume": True})


@pytest.mark.parametrize("name", ["llama2-longqlora", "llama3-8b-pi", "mistral-7b-qlora", "mixtral-8x7b-qlora"])
def test_shipped_configs_validate(name, monkeypatch):
    repo = Path(__file__).resolve().parents[2]
    monkeypatch.chdir(repo)  # the configs name configs/deepspeed/*.json relative to the repository
    cfg = load_config(TrainConfig, repo / "configs" / f"{name}.yaml")
    assert cfg.model.load_in_4bit and cfg.model.dtype == "bfloat16"
    if name == "llama2-longqlora":
        assert cfg.model.s2attn and cfg.model.rope_scaling == {"rope_type": "linear", "factor": 3.0}
        assert (cfg.lora.r, cfg.lora.alpha, cfg.lora.dropout) == (64, 16, 0.05)
    if name == "mixtral-8x7b-qlora":
        assert cfg.model.quant_storage == "bfloat16" and cfg.training.deepspeed.name == "zero3.json"


def test_attn_auto_is_sdpa_without_flash_attn(monkeypatch):
    import importlib.util

    from reviewgpt.modeling import resolve_attn_implementation

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "flash_attn" else real(name, *a))
    assert resolve_attn_implementation("auto") == "sdpa"
    with pytest.raises(MissingExtraError, match="flash"):
        resolve_attn_implementation("flash_attention_2")


@pytest.mark.parametrize(
    "scaling",
    [
        {"rope_type": "linear", "factor": 3.0},
        {"rope_type": "dynamic", "factor": 2.0},
        {"rope_type": "yarn", "factor": 4.0},
        {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
         "original_max_position_embeddings": 128},
    ],
)
def test_rope_scaling_is_written_into_the_model_config(tiny_llama, scaling):
    from reviewgpt.modeling import load_config as load_model_config

    config = load_model_config(tiny_llama, scaling)
    assert {k: config.rope_parameters[k] for k in scaling} == scaling
    assert config.rope_parameters["rope_theta"] == 10000.0
    # the base's positions: vLLM and TGI multiply them by a linear/dynamic factor themselves
    assert config.max_position_embeddings == 128
    if scaling["rope_type"] == "yarn":
        assert config.rope_parameters["original_max_position_embeddings"] == 128


def test_rope_scaling_is_applied_once_however_often_a_config_is_saved_and_loaded(tiny_llama, tmp_path):
    from reviewgpt.modeling import load_config as load_model_config

    scaling = {"rope_type": "linear", "factor": 3.0}
    config = load_model_config(tiny_llama, scaling)
    for i in range(3):  # a merged model's config, loaded with the run's scaling and saved again
        config.save_pretrained(tmp_path / str(i))
        config = load_model_config(tmp_path / str(i), scaling)
    assert config.rope_parameters == {**scaling, "rope_theta": 10000.0}
    assert config.max_position_embeddings == 128
    with pytest.raises(ConfigError, match="already carries RoPE scaling"):
        load_model_config(tmp_path / "2", {"rope_type": "linear", "factor": 2.0})


def test_incomplete_rope_scaling_is_a_config_error():
    with pytest.raises(ConfigError, match="rope_scaling of type 'llama3' needs low_freq_factor"):
        load_config(TrainConfig, None, sets=["model.name_or_path=x", "model.rope_scaling={rope_type: llama3, factor: 8}"])
    with pytest.raises(ConfigError, match="rope_type 'ntk' is not one of"):
        load_config(TrainConfig, None, sets=["model.name_or_path=x", "model.rope_scaling={rope_type: ntk, factor: 2}"])


def _dataset_version(data_dir: Path, version: str, review_schema: str, tokenizer: dict | None = None) -> None:
    from reviewgpt.store import StageRun

    from .conftest import DATASET_PARAMS, example

    with StageRun(data_dir, "dataset", version, params={**DATASET_PARAMS, "review_schema": review_schema}) as stage:
        if tokenizer is not None:
            stage.extra["tokenizer"] = tokenizer
        for i in range(2):
            stage.append(example(i))


def test_the_run_takes_the_datasets_schema_and_refuses_another(data_dir, tiny_llama, make_config):
    from reviewgpt.train._validate import preflight

    _dataset_version(data_dir, "d7", "7-aspect")
    cfg = make_config(data_dir, tiny_llama, "r7")
    assert preflight(cfg.model_copy(update={"input": "d7"})).schema == "7-aspect"
    with pytest.raises(ConfigError, match="review_schema 4-aspect does not match dataset 'd7'.*7-aspect"):
        preflight(cfg.model_copy(update={"input": "d7", "review_schema": "4-aspect"}))


def test_a_tokenizer_other_than_the_datasets_fails_before_loading(data_dir, tiny_llama, make_config, monkeypatch):
    import reviewgpt.train._model as train_model

    def forbidden(*args, **kwargs):
        raise AssertionError("the model was loaded before the tokenizer was checked")

    monkeypatch.setattr(train_model, "load_causal_lm", forbidden)
    _dataset_version(data_dir, "other", "4-aspect",
                     tokenizer={"name": "some/other-model", "vocab_size": 128256, "chat_template_sha256": "0" * 64})
    with pytest.raises(ConfigError, match="differs from 'some/other-model' in its vocabulary size"):
        run(make_config(data_dir, tiny_llama, "bad").model_copy(update={"input": "other"}))
