"""The values the serving commands depend on, for every shipped config, and the commands docs/serving.md prints.

The base models' own config values (positions, rope_theta) are written here from their hub
``config.json`` files, since tests cannot download them.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from reviewgpt.config import load_config
from reviewgpt.train.config import TrainConfig
from reviewgpt.train.export import ServingPlan, serving_commands, vllm_lora_rank

ROOT = Path(__file__).resolve().parents[2]

#: config -> (run name in docs/serving.md, base model_type, its max_position_embeddings, its rope_theta)
BASES = {
    "llama2-longqlora.yaml": ("llama2-r1", "llama", 4096, 10000.0),
    "llama3-8b-pi.yaml": ("llama3-pi-r1", "llama", 8192, 500000.0),
    "mistral-7b-qlora.yaml": ("mistral-r1", "mistral", 32768, 1000000.0),
    "mixtral-8x7b-qlora.yaml": ("mixtral-r1", "mixtral", 32768, 1000000.0),
}

#: config -> (trained context, RoPE scaling, LoRA rank, modules_to_save)
EXPECTED = {
    "llama2-longqlora.yaml": (12288, {"rope_type": "linear", "factor": 3.0}, 64,
                              ["embed_tokens", "input_layernorm", "post_attention_layernorm", "norm"]),
    "llama3-8b-pi.yaml": (12288, {"rope_type": "linear", "factor": 1.5}, 64, []),
    "mistral-7b-qlora.yaml": (12288, None, 64, []),
    "mixtral-8x7b-qlora.yaml": (12288, None, 64, []),
}


def _plan(name: str) -> ServingPlan:
    """The plan ``train export`` writes for a run of this config (base config values from BASES)."""
    from transformers import AutoConfig

    from reviewgpt.modeling import apply_rope_scaling, base_config_overrides

    cfg = load_config(TrainConfig, ROOT / "configs" / name)
    run, model_type, positions, theta = BASES[name]
    base = AutoConfig.for_model(model_type, max_position_embeddings=positions, rope_theta=theta)
    apply_rope_scaling(base, cfg.model.rope_scaling)
    mts = list(cfg.lora.modules_to_save or [])
    export = f"data/train/{run}/export"
    plan = ServingPlan(
        run=run, base_model=cfg.model.name_or_path, max_model_len=cfg.training.max_seq_len,
        hf_overrides=base_config_overrides(base), lora_rank=cfg.lora.r, modules_to_save=mts,
        merged_dir=f"{export}/merged", adapter_dir=None if mts else f"{export}/adapter",
        adapter_skipped="modules_to_save" if mts else None,
    )
    plan.commands = serving_commands(plan)
    return plan


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shipped_config_holds_the_values_serving_depends_on(name):
    cfg = load_config(TrainConfig, ROOT / "configs" / name)
    context, rope, rank, modules_to_save = EXPECTED[name]
    assert cfg.training.max_seq_len == context
    assert cfg.model.rope_scaling == rope
    assert cfg.lora.r == rank
    assert list(cfg.lora.modules_to_save or []) == modules_to_save
    # vLLM derives the servable length as max_position_embeddings x the linear factor: it must hold
    # the trained context, which --max-model-len then pins
    _, _, positions, _ = BASES[name]
    assert positions * (rope or {}).get("factor", 1.0) >= context
    if rope:
        assert positions * rope["factor"] == context  # the PI configs stretch the base exactly to it


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_serving_flags_follow_the_config(name):
    plan = _plan(name)
    context, rope, rank, modules_to_save = EXPECTED[name]
    merged = plan.commands["vllm_merged"]
    assert merged[merged.index("--max-model-len") + 1] == str(context)
    if modules_to_save:  # vLLM's LoRA loader refuses embeddings and norms trained in full
        assert "vllm_adapter" not in plan.commands
        return
    adapter = plan.commands["vllm_adapter"]
    assert adapter[adapter.index("--max-model-len") + 1] == str(context)
    assert adapter[adapter.index("--max-lora-rank") + 1] == str(vllm_lora_rank(rank)) == "64"
    if rope:
        overrides = json.loads(adapter[adapter.index("--hf-overrides") + 1])
        assert {k: overrides["rope_parameters"][k] for k in rope} == rope
    else:
        assert "--hf-overrides" not in adapter


def _doc_commands(path: Path) -> set[str]:
    """Shell lines of the fenced blocks of a markdown file, continuations joined."""
    text = path.read_text(encoding="utf-8")
    lines: set[str] = set()
    for block in re.findall(r"```(?:bash|sh)\n(.*?)```", text, flags=re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.strip()
            if command and not command.startswith("#"):
                lines.add(" ".join(shlex.split(command)))
    return lines


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_docs_print_the_commands_export_prints(name):
    printed = _doc_commands(ROOT / "docs" / "serving.md")
    for command in _plan(name).commands.values():
        assert " ".join(command) in printed, shlex.join(command)


def test_vllm_lora_rank_rounds_up_to_an_accepted_value():
    assert [vllm_lora_rank(r) for r in (1, 8, 9, 64, 65, 300)] == [1, 8, 16, 64, 128, 320]


@pytest.mark.parametrize("doc", ["docs/serving.md", "docs/infer.md"])
def test_every_serving_command_in_the_docs_is_one_export_prints(doc):
    generated = {" ".join(c) for name in EXPECTED for c in _plan(name).commands.values()}
    shown = {c for c in _doc_commands(ROOT / doc) if c.startswith(("vllm ", "reviewgpt infer --backend openai"))}
    assert shown, doc
    assert shown <= generated, shown - generated
