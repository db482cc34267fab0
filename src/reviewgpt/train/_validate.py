"""Checks that run before any weight is loaded: a bad config fails in seconds, naming the problem."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reviewgpt.artifacts import DATASET, DatasetInfo
from reviewgpt.errors import ConfigError, require
from reviewgpt.store import InputRef, resolve_input
from reviewgpt.train._compile import COMPILE_MODEL_TYPES
from reviewgpt.train.config import TrainConfig
from reviewgpt.train.s2attn import SUPPORTED_MODEL_TYPES


@dataclass
class Preflight:
    """What the checks found and the rest of the stage uses."""

    dataset: InputRef
    #: the dataset's review schema (what the run learns to write; infer reads it from run_info.json)
    schema: str
    #: how the dataset counted tokens (:func:`reviewgpt.prompting.tokenizer_identity`), when it says
    dataset_tokenizer: dict[str, Any] | None


def preflight(cfg: TrainConfig) -> Preflight:
    """Check extras, the dataset, the model's config (not its weights) and the lengths.

    Raises:
        MissingExtraError: bitsandbytes / peft / deepspeed missing for what the config asks.
        StoreError: the dataset version (or its train split) does not exist, or its manifest lacks a
            field train reads.
        ConfigError: S2-Attn on an unsupported model type; max_seq_len over the scaled context.
    """
    require("peft", "train", "LoRA training")
    if cfg.model.load_in_4bit:
        require("bitsandbytes", "train", "4-bit QLoRA loading (model.load_in_4bit)")
    if cfg.training.deepspeed is not None:
        require("deepspeed", "train", f"training.deepspeed ({cfg.training.deepspeed})")
    dataset = resolve_input(cfg.data_dir, "dataset", cfg.input)
    dataset.file(DATASET.train)
    info = DatasetInfo.read(dataset.path, dataset.version)
    if cfg.review_schema and cfg.review_schema != info.review_schema:
        raise ConfigError(
            f"review_schema {cfg.review_schema} does not match dataset '{dataset.version}', built with "
            f"review_schema {info.review_schema}; drop review_schema to use the dataset's"
        )
    schema = info.review_schema

    from reviewgpt.modeling import load_config, scaled_context

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
    if cfg.training.compile and model_type not in COMPILE_MODEL_TYPES:
        raise ConfigError(
            f"training.compile: not supported for model type '{model_type}' "
            f"(supported: {', '.join(sorted(COMPILE_MODEL_TYPES))}); set training.compile: false"
        )
    base_context = int(getattr(model_config, "max_position_embeddings", 0) or 0)
    factor = float((cfg.model.rope_scaling or {}).get("factor", 1.0))
    original = (cfg.model.rope_scaling or {}).get("original_max_position_embeddings")
    scaled = scaled_context(base_context, cfg.model.rope_scaling)
    if base_context and cfg.training.max_seq_len > scaled:
        how = f"{original or base_context} x RoPE factor {factor:g}" if cfg.model.rope_scaling else f"{base_context}, no RoPE scaling"
        raise ConfigError(
            f"training.max_seq_len {cfg.training.max_seq_len} is over the model's context {scaled} ({how}); "
            "raise model.rope_scaling.factor or lower training.max_seq_len"
        )
    return Preflight(dataset, schema, info.tokenizer_identity)


def check_tokenizer(tokenizer: Any, name: str, counted_with: dict[str, Any] | None) -> None:
    """The training tokenizer must count as the dataset did, or its budgets and masks are wrong.

    Raises:
        ConfigError: another vocabulary (or merges, or size) or chat template than the dataset's,
            naming both tokenizers.
    """
    if not counted_with:
        return
    from reviewgpt.prompting import tokenizer_identity, tokenizer_mismatch

    problem = tokenizer_mismatch(counted_with, tokenizer_identity(name, tokenizer))
    if problem is not None:
        raise ConfigError(
            f"model.name_or_path '{name}' does not tokenize as the dataset was counted: {problem}; "
            f"rebuild the dataset with --tokenizer {name}"
        )
