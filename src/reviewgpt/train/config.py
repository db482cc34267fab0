"""Typed configuration of the train stage (no heavy imports here: ``reviewgpt --help`` stays fast).

A YAML file (``configs/*.yaml``) fills these sections; ``--set section.key=value`` overrides a
key. Checks that need only the config run at validation; checks that need the model's config
file or the dataset run in :func:`reviewgpt.train._validate.preflight`, still before any weight
is loaded.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field, model_validator

from reviewgpt.config import StageConfig, StrictModel
from reviewgpt.errors import ConfigError
from reviewgpt.modeling import check_rope_scaling
from reviewgpt.models import DEFAULT_MODEL


class ModelSection(StrictModel):
    """The base model and how it is loaded."""

    name_or_path: str = Field(
        DEFAULT_MODEL, description="Hub id or local path of the base (chat) model, or an embedded model's short name."
    )
    dtype: Literal["bfloat16", "float16", "float32"] = Field(
        "bfloat16", description="Weights and compute dtype; the merged model is saved in it."
    )
    load_in_4bit: bool = Field(True, description="QLoRA: bitsandbytes nf4 + double quant, compute in `dtype`.")
    quant_storage: Literal["bfloat16", "float16", "float32"] | None = Field(
        None,
        description="bnb_4bit_quant_storage: pack 4-bit weights in this dtype. Needed by DeepSpeed ZeRO-3 "
        "(set it to `dtype`) so the quantized weights can be sharded.",
    )
    rope_scaling: dict[str, Any] | None = Field(
        None,
        description="RoPE scaling written into the model config, e.g. {rope_type: linear, factor: 3.0} "
        "(linear / dynamic / yarn / llama3).",
    )
    attn_implementation: Literal["auto", "sdpa", "flash_attention_2", "eager"] = Field(
        "auto", description="Attention kernel for full attention: auto = flash-attn 2 when installed, else SDPA."
    )
    s2attn: bool = Field(
        False, description="LongLoRA's shifted sparse attention in training (full attention at inference)."
    )
    s2attn_group_ratio: float = Field(0.25, gt=0, le=1, description="S2-Attn group size as a fraction of the sequence.")


class LoraSection(StrictModel):
    """The LoRA adapter."""

    r: int = Field(64, ge=1, description="LoRA rank.")
    alpha: int = Field(16, ge=1, description="LoRA alpha (scale = alpha / r).")
    dropout: float = Field(0.05, ge=0, lt=1, description="Dropout on the LoRA input (0 skips a copy of x per module).")
    target_modules: list[str] = Field(
        ["q_proj", "k_proj", "v_proj", "o_proj"], min_length=1, description="Linear layers that get an adapter."
    )
    modules_to_save: list[str] = Field(
        [],
        description="Modules trained in full and saved with the adapter, e.g. LongLoRA's "
        "[embed_tokens, input_layernorm, post_attention_layernorm, norm].",
    )


class TrainingSection(StrictModel):
    """The optimisation loop (HF Trainer)."""

    max_seq_len: int = Field(12288, ge=16, description="Longest example in tokens; longer ones are skipped and counted.")
    epochs: float = Field(1.0, gt=0, description="Passes over train.jsonl.")
    max_steps: int = Field(-1, description="Stop after this many optimizer steps (-1: use epochs).")
    max_minutes: float | None = Field(
        None, gt=0,
        description="Stop after the optimizer step that passes this many minutes of training and save the "
        "adapter as at the end (a time budget; the schedule still follows max_steps or epochs).",
    )
    batch_size: int = Field(1, ge=1, description="Examples per device per micro-step.")
    grad_accum: int = Field(16, ge=1, description="Micro-steps per optimizer step.")
    lr: float = Field(1e-4, gt=0, description="Peak learning rate.")
    lr_scheduler: str = Field("constant_with_warmup", description="transformers scheduler name.")
    warmup_steps: int = Field(20, ge=0, description="Linear warm-up steps.")
    weight_decay: float = Field(0.0, ge=0)
    max_grad_norm: float = Field(1.0, gt=0)
    optim: str = Field(
        "paged_adamw_32bit",
        description="transformers optimizer name; paged AdamW needs CUDA (adamw_torch is used on CPU).",
    )
    gradient_checkpointing: bool = Field(True, description="Recompute each layer in backward (memory for ~30% time).")
    loss_chunk_size: int = Field(
        2048,
        ge=0,
        description="Compute the LM head + cross-entropy in chunks of this many tokens, recomputed in backward, "
        "so the full [tokens, vocab] fp32 logits are never held (0: one piece).",
    )
    counter_dropout: bool = Field(
        True,
        description="LoRA dropout drawing eight elements per random number and regenerating its mask in "
        "backward (false: peft's nn.Dropout; the same rate, other masks).",
    )
    fused_qlora: bool = Field(
        True,
        description="4-bit LoRA layers whose LoRA and base products accumulate into one output, forward and "
        "backward (false: peft's layer). Applies to layers with no LoRA dropout or the counter dropout.",
    )
    compile: bool = Field(
        False,
        description="torch.compile each decoder layer's attention, MLP and norms: their elementwise work fuses "
        "(the first steps compile, about a minute on a GPU). Llama and Mistral models; not with ZeRO-3.",
    )
    offload_activations: bool = Field(
        False,
        description="Keep what the forward saves for backward (with gradient checkpointing: each layer's input) "
        "in pinned CPU memory: longer sequences fit in the same GPU memory, at some speed. CUDA only.",
    )
    gc_interval: int = Field(
        1,
        ge=0,
        description="Python's automatic garbage collection is off while training; the young generations are "
        "collected every N optimizer steps (a full collection mid-step stalled compiled runs ~0.4 s; 0: automatic).",
    )
    save_steps: int = Field(100, ge=1, description="Save a checkpoint (for --resume) every N optimizer steps.")
    save_total_limit: int = Field(2, ge=1, description="Checkpoints kept.")
    logging_steps: int = Field(1, ge=1, description="Write a metrics.jsonl line every N optimizer steps.")
    progress_log_steps: int = Field(
        25, ge=0, description="A progress line (step, loss, tokens/s, ETA) on stderr every N optimizer steps (0: none); "
        "a terminal also gets a progress bar."
    )
    report_to: str | list[str] = Field(
        "none", description="Where transformers also reports metrics: none, all, or integrations such as "
        "tensorboard or wandb (their packages installed); metrics.jsonl is written either way."
    )
    eval_steps: int | None = Field(None, ge=1, description="Evaluate on val.jsonl every N steps (None: at the end only).")
    seed: int = Field(42)
    deepspeed: Path | None = Field(
        None, description="DeepSpeed JSON (configs/deepspeed/zero2.json or zero3.json); launch with `reviewgpt train launch`."
    )


class TrainConfig(StageConfig):
    """``reviewgpt train``: a LoRA adapter on a dataset version -> data/train/<run>/.

    ``version`` is the run name, ``input`` the dataset version.
    """

    model: ModelSection = Field(default_factory=ModelSection)
    lora: LoraSection = Field(default_factory=LoraSection)
    training: TrainingSection = Field(default_factory=TrainingSection)
    RENAMED_KEYS: ClassVar[dict[str, str]] = {"schema_name": "review_schema"}

    review_schema: Literal["4-aspect", "7-aspect"] | None = Field(
        None, description="Review schema (default: the dataset's review_schema; written to run_info.json); "
        "formerly schema_name."
    )
    resume: bool = Field(False, description="Continue the run named by `version` from its last checkpoint.")

    @model_validator(mode="after")
    def _check(self) -> TrainConfig:
        if self.resume and not self.version:
            raise ValueError("resume needs the run name: pass --version <run> (the folder under data/train/)")
        stage = deepspeed_zero_stage(self.training.deepspeed)
        if stage == 3 and self.model.load_in_4bit and self.model.quant_storage is None:
            raise ValueError(
                "DeepSpeed ZeRO-3 with 4-bit weights needs model.quant_storage set to the compute dtype "
                f"(add `quant_storage: {self.model.dtype}` under model:, or --set model.quant_storage={self.model.dtype}) "
                "so the quantized weights can be sharded"
            )
        if stage == 3 and self.training.compile:
            raise ValueError("training.compile is not supported with DeepSpeed ZeRO-3 (untested with its "
                             "parameter-gathering hooks); set training.compile: false")
        if self.model.quant_storage and not self.model.load_in_4bit:
            raise ValueError("model.quant_storage only applies with model.load_in_4bit: true")
        try:
            check_rope_scaling(self.model.rope_scaling)
        except ConfigError as exc:
            raise ValueError(f"model.{exc}") from None
        return self


def deepspeed_zero_stage(path: Path | None) -> int | None:
    """The ZeRO stage a DeepSpeed JSON asks for (None without one). Raises ValueError if unreadable."""
    if path is None:
        return None
    try:
        ds = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"training.deepspeed: file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ValueError(f"training.deepspeed: {path} is not valid JSON ({exc.msg})") from None
    return int(ds.get("zero_optimization", {}).get("stage", 0))
