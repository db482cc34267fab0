"""The model for training: 4-bit base + LoRA, kept in bf16 (no fp32 upcast of the residual stream).

``peft.prepare_model_for_kbit_training`` casts every non-quantized weight (norms, embeddings,
LM head) to fp32, which makes the whole residual stream, the norms and the LoRA dropout run in
fp32: on a 7B model at 12k tokens that is about half of the GPU time in casts and fp32
elementwise work. Here the base stays in its compute dtype; LoRA weights are fp32 masters
(peft's default) used under bf16 autocast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from reviewgpt.logging import get_logger
from reviewgpt.modeling import load_causal_lm
from reviewgpt.train.config import TrainConfig
from reviewgpt.train.optimizations import apply_optimizations, attention_implementation

if TYPE_CHECKING:
    from peft import PeftModel

log = get_logger(__name__)


def default_device_map(deepspeed: bool) -> str | dict[str, Any] | None:
    """Where the base model goes: DeepSpeed places it itself; else this process's GPU, or the CPU."""
    import torch

    if deepspeed:
        return None
    if torch.cuda.is_available():
        return {"": int(os.environ.get("LOCAL_RANK", 0))}
    return "cpu"


def build_model(cfg: TrainConfig, *, device_map: str | dict[str, Any] | None = None) -> PeftModel:
    """Load the base model as the config says and wrap it with a fresh LoRA adapter.

    Under DeepSpeed ZeRO-3 this must run after the ``TrainingArguments`` (which carry the ZeRO-3
    config) exist, so ``from_pretrained`` loads inside ``deepspeed.zero.Init`` and no rank
    materializes the whole model.
    """
    import torch
    from peft import LoraConfig, get_peft_model

    m = cfg.model
    model = load_causal_lm(
        m.name_or_path,
        dtype=m.dtype,
        load_in_4bit=m.load_in_4bit,
        rope_scaling=m.rope_scaling,
        attn_implementation=attention_implementation(cfg),
        device_map=device_map,
        quant_storage=m.quant_storage,
    )
    model.config.s2attn_group_ratio = m.s2attn_group_ratio
    model.config.use_cache = False
    for param in model.parameters():
        param.requires_grad_(False)
    lora = LoraConfig(
        r=cfg.lora.r,
        lora_alpha=cfg.lora.alpha,
        lora_dropout=cfg.lora.dropout,
        target_modules=list(cfg.lora.target_modules),
        modules_to_save=list(cfg.lora.modules_to_save) or None,
        bias="none",
        task_type="CAUSAL_LM",
    )
    # the adapter's random initialisation follows training.seed (the Trainer seeds only after this),
    # so two runs of one config on one machine start from the same weights
    torch.manual_seed(cfg.training.seed)
    peft_model, _ = apply_optimizations(model, cfg, wrap=lambda base: get_peft_model(base, lora))
    trainable, total = peft_model.get_nb_trainable_parameters()
    log.info("trainable parameters: %s of %s (%.2f%%)", f"{trainable:,}", f"{total:,}", 100 * trainable / max(total, 1))
    return peft_model


def backbone_and_head(model: Any) -> tuple[Any, Any]:
    """The decoder stack and LM head inside a (DeepSpeed/DDP-wrapped) PEFT causal LM."""
    while hasattr(model, "module"):  # DeepSpeedEngine / DDP
        model = model.module
    if hasattr(model, "get_base_model"):
        model = model.get_base_model()
    return model.get_decoder(), model.get_output_embeddings()
