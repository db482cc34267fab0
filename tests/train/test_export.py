"""``train export``: the merged model and the adapter, loaded as a server or a plain transformers user
would, give the trained model's logits beyond the base context; the printed flags match serving.json."""

from __future__ import annotations

import json
import shlex

import pytest
import torch

from reviewgpt.train import run

pytestmark = pytest.mark.slow

ROPE = {"rope_type": "linear", "factor": 2.0}
#: the tiny models have 128 base positions; x2 covers the 256 trained: 200 tokens run past the base
LONG = 200


def _sharpened(tiny_dir, out_dir):
    """The tiny model with its queries and keys x8: peaked attention, so positions change the logits
    (with the random init's flat attention, the unscaled model's logits differ by < 0.01 past 128)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_dir, dtype=torch.float32)
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.q_proj.weight.mul_(8.0)
            layer.self_attn.k_proj.weight.mul_(8.0)
    model.save_pretrained(out_dir)
    AutoTokenizer.from_pretrained(tiny_dir).save_pretrained(out_dir)
    return out_dir


@pytest.fixture(scope="module")
def sharp_llama(tmp_path_factory, tiny_llama):
    return _sharpened(tiny_llama, tmp_path_factory.mktemp("sharp-llama"))


@pytest.fixture(scope="module")
def sharp_mistral(tmp_path_factory, tiny_mistral):
    return _sharpened(tiny_mistral, tmp_path_factory.mktemp("sharp-mistral"))


def _export_cli(data_dir, run_name: str):
    from typer.testing import CliRunner

    from reviewgpt.cli import app

    result = CliRunner().invoke(app, ["train", "export", "--run", run_name, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result.stdout  # loading progress goes to stderr


def _flags(argv: list[str]) -> dict[str, str | None]:
    """``--name value`` pairs of a command line (a flag with no value maps to None)."""
    flags: dict[str, str | None] = {}
    for i, arg in enumerate(argv):
        if arg.startswith("--"):
            nxt = argv[i + 1] if i + 1 < len(argv) else None
            flags[arg] = None if nxt is None or nxt.startswith("--") else nxt
    return flags


def _trained_model(base, adapter):
    """The model as training saw it: the base with the run's RoPE scaling, plus the adapter (bf16, unquantized)."""
    from peft import PeftModel

    from reviewgpt.modeling import load_causal_lm

    model = load_causal_lm(base, rope_scaling=ROPE, device_map="cpu")
    return PeftModel.from_pretrained(model, str(adapter)).eval()


def _assert_same_outputs(got, want):
    """Equal up to the bf16 rounding of merged weights: small logit error, the same next tokens."""
    assert (got - want).abs().max() < 0.08
    assert (got - want).abs().mean() < 0.01


def _logits(model, ids):
    with torch.no_grad():
        return model(input_ids=ids).logits.float()


def test_export_serves_the_trained_positions_merged_and_as_adapter(dataset, sharp_llama, make_config):
    from peft import PeftModel
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    # seed 0: the adapter these tolerances were set on. The largest bf16 merge error over a few
    # seeds ranged 0.03-0.79 on this deliberately sharp model, the mean error 0.0007-0.005
    run(make_config(dataset, sharp_llama, "e1", max_steps=4, lr=5e-2, seed=0))
    run_dir = dataset / "train" / "e1"
    # training writes the RoPE overrides beside its adapter
    assert json.loads((run_dir / "adapter" / "base_config_overrides.json").read_text()) == {
        "rope_parameters": {**ROPE, "rope_theta": 10000.0}
    }
    output = _export_cli(dataset, "e1")
    out = run_dir / "export"
    serving = json.loads((out / "serving.json").read_text())
    assert serving["max_model_len"] == 256 and serving["lora_rank"] == 8
    assert serving["hf_overrides"] == {"rope_parameters": {**ROPE, "rope_theta": 10000.0}}
    printed = [line for line in output.splitlines() if not line.startswith("#")]
    assert printed == [shlex.join(serving["commands"][k]) for k in ("vllm_merged", "vllm_adapter", "infer")]
    adapter_cmd = serving["commands"]["vllm_adapter"]
    flags = _flags(adapter_cmd)
    assert "--enable-lora" in flags and flags["--lora-modules"] == f"reviewgpt={out / 'adapter'}"
    assert flags["--max-model-len"] == "256" and flags["--max-lora-rank"] == "8"
    assert json.loads(flags["--hf-overrides"]) == serving["hf_overrides"]
    assert shlex.join(serving["commands"]["vllm_merged"]) in (out / "serve.sh").read_text()

    # the merged config carries the scaling once: base positions kept, trained context on the tokenizer
    merged_config = json.loads((out / "merged" / "config.json").read_text())
    assert merged_config["rope_parameters"]["factor"] == 2.0
    assert merged_config["max_position_embeddings"] == 128
    assert AutoTokenizer.from_pretrained(out / "merged").model_max_length == 256
    merged = AutoModelForCausalLM.from_pretrained(out / "merged").eval()
    assert merged.dtype == torch.bfloat16

    # a plain transformers + PEFT user: base config + the overrides file, then the adapter
    overrides = json.loads((out / "adapter" / "base_config_overrides.json").read_text())
    config = AutoConfig.from_pretrained(sharp_llama, **overrides)
    plain = AutoModelForCausalLM.from_pretrained(sharp_llama, config=config, dtype=torch.bfloat16)
    from_export = PeftModel.from_pretrained(plain, str(out / "adapter")).eval()
    # the same without the overrides: what loading the adapter used to give
    unscaled = PeftModel.from_pretrained(
        AutoModelForCausalLM.from_pretrained(sharp_llama, dtype=torch.bfloat16), str(out / "adapter")).eval()

    trained = _trained_model(sharp_llama, run_dir / "adapter")
    ids = torch.randint(5, 300, (1, LONG), generator=torch.Generator().manual_seed(0))
    want = _logits(trained, ids)[:, 128:]
    _assert_same_outputs(_logits(merged, ids)[:, 128:], want)
    torch.testing.assert_close(_logits(from_export, ids)[:, 128:], want, atol=1e-3, rtol=1e-3)
    # the check can fail: without the overrides, the adapter's argmax leaves the trained model's
    wrong = _logits(unscaled, ids)[:, 128:]
    assert (wrong - want).abs().mean() > 0.04  # 0.08 when written; the merge's error is ~0.0013
    assert (wrong.argmax(-1) == want.argmax(-1)).float().mean() < 0.9

    # against the 4-bit model training ran: nf4 rounding of the base (mean 0.018 when written), well
    # under what a missing scaling costs (0.075)
    from reviewgpt.modeling import load_causal_lm

    four_bit = PeftModel.from_pretrained(
        load_causal_lm(sharp_llama, rope_scaling=ROPE, load_in_4bit=True, device_map="cpu"),
        str(run_dir / "adapter")).eval()
    assert (_logits(merged, ids)[:, 128:] - _logits(four_bit, ids)[:, 128:]).abs().mean() < 0.04

    # loading the merged model again with the run's scaling does not scale it twice
    again = load_causal_lm(out / "merged", rope_scaling=ROPE, device_map="cpu").eval()
    torch.testing.assert_close(_logits(again, ids), _logits(merged, ids))


def test_adapter_with_modules_to_save_is_exported_merged_only(dataset, sharp_mistral, make_config):
    from transformers import AutoModelForCausalLM

    cfg = make_config(dataset, sharp_mistral, "e2", max_steps=3, lr=5e-2, seed=0)
    cfg.lora.modules_to_save = ["embed_tokens", "norm"]
    run(cfg)
    output = _export_cli(dataset, "e2")
    out = dataset / "train" / "e2" / "export"
    serving = json.loads((out / "serving.json").read_text())
    assert serving["adapter_dir"] is None and "vllm_adapter" not in serving["commands"]
    assert "modules_to_save" in serving["adapter_skipped"] and "# no adapter export" in output
    assert not (out / "adapter").exists()
    merged = AutoModelForCausalLM.from_pretrained(out / "merged").eval()
    trained = _trained_model(sharp_mistral, dataset / "train" / "e2" / "adapter")
    ids = torch.randint(5, 300, (1, LONG), generator=torch.Generator().manual_seed(1))
    _assert_same_outputs(_logits(merged, ids)[:, 128:], _logits(trained, ids)[:, 128:])


def test_export_of_a_missing_run_is_one_clean_line(data_dir):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "from reviewgpt.cli import main; main()", "train", "export", "--run", "nope",
         "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 2 and result.stdout == ""
    assert "train run 'nope' not found" in result.stderr and "Traceback" not in result.stderr
