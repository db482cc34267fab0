"""``reviewgpt train export``: a train run as a server loads it, with the exact serving flags.

``data/train/<run>/export/`` gets:

- ``merged/``: base + adapter in the run's dtype (bf16), safetensors, whose ``config.json`` carries
  the RoPE scaling the run was trained with (``rope_parameters``; ``max_position_embeddings``
  stays the base's, which servers multiply by the linear factor) and whose
  ``tokenizer_config.json`` has ``model_max_length`` = the trained context.
- ``adapter/`` (only when the adapter has no ``modules_to_save``, which vLLM's LoRA loader
  refuses): the LoRA weights, the tokenizer and :data:`reviewgpt.modeling.BASE_CONFIG_OVERRIDES`.
- ``serving.json`` and ``serve.sh``: the vLLM command lines (``--max-model-len`` = the trained
  context, ``--max-lora-rank``, ``--hf-overrides`` for the RoPE scaling) and the
  ``reviewgpt infer --backend openai`` command that reads from the server.
"""

from __future__ import annotations

import json
import shlex
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from reviewgpt.errors import StoreError
from reviewgpt.logging import get_logger
from reviewgpt.records.train import RunInfo, read_run_info
from reviewgpt.store import stage_dir, write_json_atomic

log = get_logger(__name__)

#: vLLM's accepted ``--max-lora-rank`` values (``MaxLoRARanks`` in vllm/config/lora.py, v0.34).
VLLM_LORA_RANKS = (1, 8, 16, 32, 64, 128, 256, 320, 512)
#: The name the served model answers to (``--served-model-name`` / ``--lora-modules NAME=...``).
SERVED_NAME = "reviewgpt"
EXPORT_DIR = "export"
SERVING_JSON = "serving.json"
SERVE_SH = "serve.sh"


@dataclass
class ServingPlan:
    """What ``serving.json`` holds: the lengths, RoPE and LoRA facts and the commands built from them."""

    run: str
    base_model: str
    #: prompt + review tokens the run was trained on: the length a user can rely on
    max_model_len: int
    #: the base-model config overrides (``{"rope_parameters": ...}`` or ``{}``)
    hf_overrides: dict[str, Any]
    lora_rank: int
    modules_to_save: list[str]
    merged_dir: str
    adapter_dir: str | None
    #: why no adapter was exported (None when it was)
    adapter_skipped: str | None
    commands: dict[str, list[str]] = field(default_factory=dict)


def vllm_lora_rank(rank: int) -> int:
    """The smallest ``--max-lora-rank`` vLLM accepts that holds ``rank``."""
    for allowed in VLLM_LORA_RANKS:
        if allowed >= rank:
            return allowed
    raise StoreError(f"LoRA rank {rank} is over vLLM's largest --max-lora-rank {VLLM_LORA_RANKS[-1]}")


def serving_commands(plan: ServingPlan) -> dict[str, list[str]]:
    """The argv of each command: ``vllm_merged``, ``vllm_adapter`` (when exported) and ``infer``."""
    commands = {
        "vllm_merged": [
            "vllm", "serve", plan.merged_dir, "--served-model-name", SERVED_NAME,
            "--dtype", "bfloat16", "--max-model-len", str(plan.max_model_len),
        ],
    }
    if plan.adapter_dir is not None:
        adapter = [
            "vllm", "serve", plan.base_model, "--dtype", "bfloat16", "--max-model-len", str(plan.max_model_len),
            "--enable-lora", "--max-lora-rank", str(vllm_lora_rank(plan.lora_rank)),
            "--lora-modules", f"{SERVED_NAME}={plan.adapter_dir}",
        ]
        if plan.hf_overrides:
            adapter += ["--hf-overrides", json.dumps(plan.hf_overrides, separators=(",", ":"))]
        commands["vllm_adapter"] = adapter
    commands["infer"] = [
        "reviewgpt", "infer", "--backend", "openai", "--base-url", "http://localhost:8000/v1",
        "--model", SERVED_NAME, "--system", plan.run, "--samples", "5", "--version", f"{plan.run}-vllm",
    ]
    return commands


def export_run(data_dir: Path, run: str) -> ServingPlan:
    """Write ``data/train/<run>/export/`` (merged model, adapter when servable, serving.json, serve.sh).

    Raises:
        StoreError: the run or its adapter does not exist, or merging gave the wrong dtype.
    """
    from reviewgpt.train.merge import merge_run

    run_dir = stage_dir(data_dir, "train") / run
    info = read_run_info(run_dir)
    source = run_dir / info.adapter_dir
    adapter_config = _adapter_config(source)
    out = run_dir / EXPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    merged = merge_run(data_dir, run, out_name=f"{EXPORT_DIR}/merged")
    overrides = _overrides_of(merged)
    max_len = _trained_context(info, merged)
    modules_to_save = list(adapter_config.get("modules_to_save") or [])
    adapter_dir: Path | None = None
    skipped = None
    if modules_to_save:
        skipped = (f"the adapter trains {', '.join(modules_to_save)} in full (modules_to_save), which vLLM's "
                   "LoRA loader refuses: serve merged/")
    else:
        adapter_dir = _copy_adapter(source, out / "adapter", overrides, max_len)
    rank = max([int(adapter_config.get("r", 0)), *map(int, (adapter_config.get("rank_pattern") or {}).values())])
    plan = ServingPlan(
        run=run, base_model=info.base_model, max_model_len=max_len, hf_overrides=overrides, lora_rank=rank,
        modules_to_save=modules_to_save, merged_dir=str(merged), adapter_skipped=skipped,
        adapter_dir=str(adapter_dir) if adapter_dir else None,
    )
    plan.commands = serving_commands(plan)
    write_json_atomic(out / SERVING_JSON, asdict(plan))
    (out / SERVE_SH).write_text(serve_script(plan), encoding="utf-8")
    log.info("exported %s -> %s", run, out)
    return plan


def serve_script(plan: ServingPlan) -> str:
    """``serve.sh``: the server command (merged model; the adapter variant as a comment) and the infer call."""
    lines = ["#!/bin/sh", f"# Serving train run '{plan.run}' (written by reviewgpt train export).",
             f"# Trained context: {plan.max_model_len} tokens (prompt + review).",
             "# The merged model:", shlex.join(plan.commands["vllm_merged"])]
    if "vllm_adapter" in plan.commands:
        lines += ["# or the base model with the LoRA adapter:", "#   " + shlex.join(plan.commands["vllm_adapter"])]
    else:
        lines += [f"# no adapter variant: {plan.adapter_skipped}"]
    lines += ["# then, from another shell:", "#   " + shlex.join(plan.commands["infer"])]
    return "\n".join(lines) + "\n"


def _adapter_config(adapter: Path) -> dict[str, Any]:
    path = adapter / "adapter_config.json"
    if not path.exists():
        raise StoreError(f"no adapter at {adapter}")
    return json.loads(path.read_text(encoding="utf-8"))


def _overrides_of(model_dir: Path) -> dict[str, Any]:
    from reviewgpt.modeling import base_config_overrides, load_config

    return base_config_overrides(load_config(model_dir))


def _trained_context(info: RunInfo, merged: Path) -> int:
    """The run's ``max_seq_len``; a run without one falls back on the merged config's scaled context."""
    if info.max_seq_len:
        return int(info.max_seq_len)
    from reviewgpt.modeling import load_config, rope_scaling_of, scaled_context

    config = load_config(merged)
    return scaled_context(int(config.max_position_embeddings), rope_scaling_of(config))


def _copy_adapter(source: Path, target: Path, overrides: dict[str, Any], max_len: int) -> Path:
    """The adapter's weights, config and tokenizer, with the base-config overrides and the trained context."""
    from reviewgpt.modeling import load_tokenizer, write_base_config_overrides

    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in source.iterdir():
        if path.is_file() and (path.name.startswith("adapter_") or path.name == "README.md"):
            shutil.copy2(path, target / path.name)
    write_base_config_overrides(target, overrides)
    tokenizer = load_tokenizer(source)
    tokenizer.model_max_length = max_len
    tokenizer.save_pretrained(target)
    return target
