"""Checks that run before any weight is loaded: a bad config fails in seconds, naming the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewgpt.errors import ConfigError, require
from reviewgpt.store import InputRef, resolve_input
from reviewgpt.train.config import TrainConfig, deepspeed_zero_stage
from reviewgpt.train.s2attn import SUPPORTED_MODEL_TYPES

if TYPE_CHECKING:
    from transformers import PretrainedConfig


@dataclass
class Preflight:
    """What the checks found and the rest of the stage uses."""

    dataset: InputRef
    model_config: PretrainedConfig
    base_context: int
    scaled_context: int
    zero_stage: int | None


def preflight(cfg: TrainConfig) -> Preflight:
    """Check extras, the dataset, the model's config (not its weights) and the lengths.

    Raises:
        MissingExtraError: bitsandbytes / peft / deepspeed missing for what the config asks.
        StoreError: the dataset version (or its train.jsonl) does not exist.
        ConfigError: S2-Attn on an unsupported model type; max_seq_len over the scaled context.
    """
    require("peft", "train", "LoRA training")
    if cfg.model.load_in_4bit:
        require("bitsandbytes", "train", "4-bit QLoRA loading (model.load_in_4bit)")
    zero_stage = deepspeed_zero_stage(cfg.training.deepspeed)
    if cfg.training.deepspeed is not None:
        require("deepspeed", "train", f"training.deepspeed ({cfg.training.deepspeed})")
    dataset = resolve_input(cfg.data_dir, "dataset", cfg.input)
    dataset.file("train.jsonl")

    from reviewgpt.modeling import load_config

    try:
        model_config = load_config(cfg.model.name_or_path)
    except OSError as exc:
        raise ConfigError(f"model.name_or_path '{cfg.model.name_or_path}': cannot read its config ({exc})") from None
    model_type = getattr(model_config, "model_type", "?")
    if cfg.model.s2attn and model_type not in SUPPORTED_MODEL_TYPES:
        raise ConfigError(
            f"model.s2attn: S2-Attn is not supported for model type '{model_type}' "
            f"(supported: {', '.join(sorted(SUPPORTED_MODEL_TYPES))}); set model.s2attn: false"
        )
    base_context = int(getattr(model_config, "max_position_embeddings", 0) or 0)
    factor = float((cfg.model.rope_scaling or {}).get("factor", 1.0))
    original = (cfg.model.rope_scaling or {}).get("original_max_position_embeddings")
    scaled = int((original or base_context) * factor)
    if base_context and cfg.training.max_seq_len > scaled:
        how = f"{original or base_context} x RoPE factor {factor:g}" if cfg.model.rope_scaling else f"{base_context}, no RoPE scaling"
        raise ConfigError(
            f"training.max_seq_len {cfg.training.max_seq_len} is over the model's context {scaled} ({how}); "
            "raise model.rope_scaling.factor or lower training.max_seq_len"
        )
    return Preflight(dataset, model_config, base_context, scaled, zero_stage)
