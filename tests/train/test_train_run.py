"""The real QLoRA path on CPU: bitsandbytes nf4 + peft LoRA + S2-Attn on tiny Llama and Mistral."""

from __future__ import annotations

import json

import pytest
import torch

from reviewgpt.store import iter_jsonl
from reviewgpt.train import run

pytestmark = pytest.mark.slow


def test_llama_longqlora_trains_and_writes_the_run_folder(dataset, tiny_llama, make_config, tmp_path):
    """Through the command line: YAML config + --set overrides."""
    import yaml
    from typer.testing import CliRunner

    from reviewgpt.cli import app

    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(make_config(dataset, tiny_llama).model_dump(
        mode="json", include={"model", "lora", "training"})))
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--data-dir", str(dataset), "--version", "r1",
                                      "--set", "training.max_steps=8", "--set", "training.save_steps=4"])
    assert result.exit_code == 0, result.output
    assert "train r1: ok=8" in result.output
    folder = dataset / "train" / "r1"
    losses = [r["loss"] for r in iter_jsonl(folder / "metrics.jsonl") if "loss" in r]
    assert len(losses) == 8
    assert sum(losses[-3:]) / 3 < sum(losses[:3]) / 3 - 0.3, losses  # it learns the reviews
    first = next(iter_jsonl(folder / "metrics.jsonl"))
    assert {"step", "loss", "lr", "tokens_per_s"} <= set(first)
    info = json.loads((folder / "run_info.json").read_text())
    assert info == {
        "base_model": str(tiny_llama), "adapter_dir": "adapter",
        "rope_scaling": {"rope_type": "linear", "factor": 2.0}, "max_seq_len": 256, "schema": "4-aspect",
        "dtype": "bfloat16", "load_in_4bit": True, "dataset": str(dataset / "dataset" / "v1"),
    }
    assert (folder / "adapter" / "adapter_config.json").exists()
    assert (folder / "adapter" / "tokenizer_config.json").exists()
    assert (folder / "loss.png").stat().st_size > 1000
    assert "s2attn: true" in (folder / "config.yaml").read_text()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["extra"]["eval_loss"] is not None


def test_resume_continues_from_the_last_checkpoint(dataset, tiny_llama, make_config):
    with pytest.raises(KeyboardInterrupt):  # a run killed after its step-3 checkpoint
        _killed_run(make_config(dataset, tiny_llama, "r2"))
    run_dir = dataset / "train" / "r2"
    assert (run_dir / "checkpoints" / "checkpoint-3").is_dir()
    assert not (run_dir / "adapter").exists()
    report = run(make_config(dataset, tiny_llama, "r2", resume=True))
    steps = [r["step"] for r in iter_jsonl(report.path / "metrics.jsonl") if "loss" in r]
    assert steps == [1, 2, 3, 4, 5, 6]  # steps 1-3 from the first attempt, 4-6 after resuming
    assert (report.path / "adapter" / "adapter_model.safetensors").exists()


def _killed_run(cfg) -> None:
    from transformers import TrainerCallback

    from reviewgpt.train import _trainer

    class Kill(TrainerCallback):
        def on_save(self, args, state, control, **kwargs):
            raise KeyboardInterrupt

    original = _trainer.ReviewTrainer.__init__

    def init_with_kill(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.add_callback(Kill())

    _trainer.ReviewTrainer.__init__ = init_with_kill
    try:
        run(cfg)
    finally:
        _trainer.ReviewTrainer.__init__ = original


def test_merge_reproduces_the_adapter_models_logits(dataset, tiny_llama, make_config):
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    from reviewgpt.modeling import load_causal_lm
    from reviewgpt.train.merge import merge_run

    run(make_config(dataset, tiny_llama, "r3", max_steps=3, lr=5e-2))
    merged_dir = merge_run(dataset, "r3")
    assert (merged_dir / "model.safetensors").exists()
    merged = AutoModelForCausalLM.from_pretrained(merged_dir)
    assert merged.dtype == torch.bfloat16
    assert merged.config.rope_parameters["factor"] == 2.0

    base = load_causal_lm(tiny_llama, rope_scaling={"rope_type": "linear", "factor": 2.0}, device_map="cpu")
    adapted = PeftModel.from_pretrained(base, dataset / "train" / "r3" / "adapter").eval()
    plain = load_causal_lm(tiny_llama, rope_scaling={"rope_type": "linear", "factor": 2.0}, device_map="cpu").eval()
    ids = torch.randint(5, 300, (1, 40))
    with torch.no_grad():
        want = adapted(input_ids=ids).logits.float()
        got = merged.eval()(input_ids=ids).logits.float()
        untrained = plain(input_ids=ids).logits.float()
    assert (want - untrained).abs().max() > 0.05  # the adapter changed the model...
    torch.testing.assert_close(got, want, atol=0.05, rtol=0.02)  # ...and merging kept it (bf16 rounding)


def test_mistral_trains_with_s2attn(dataset, tiny_mistral, make_config):
    report = run(make_config(dataset, tiny_mistral, "m1", max_steps=8, save_steps=100))
    losses = [r["loss"] for r in iter_jsonl(report.path / "metrics.jsonl") if "loss" in r]
    assert losses[-1] < losses[0] - 0.3, losses


def test_max_minutes_stops_after_the_step_that_passes_it_and_saves_the_adapter(dataset, tiny_llama, make_config):
    # any step takes longer than 1e-6 minutes: training stops after its first optimizer step of 6
    report = run(make_config(dataset, tiny_llama, "t1", max_steps=6, max_minutes=1e-6, save_steps=100))
    steps = [r["step"] for r in iter_jsonl(report.path / "metrics.jsonl") if "loss" in r]
    assert steps and max(steps) == 1, steps
    assert (report.path / "adapter" / "adapter_config.json").exists()
