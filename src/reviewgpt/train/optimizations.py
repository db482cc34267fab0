"""Every change training makes to transformers', peft's and bitsandbytes' objects, in one place.

The implementations live in their own modules (``s2attn``, ``_dropout``, ``_qlora_linear``,
``_compile``); this module decides which of them run, in what order, behind which config switch:

- ``model.s2attn``: attention loaded as ``s2attn`` (:mod:`.s2attn`), by :func:`attention_implementation`;
- always: one 4-bit weight layout on the CPU (:func:`keep_one_4bit_layout`);
- ``training.gradient_checkpointing``: each decoder layer recomputed in backward (transformers, non-reentrant);
- ``training.counter_dropout``: peft's LoRA ``nn.Dropout`` swapped for the counter dropout (:mod:`._dropout`);
- ``training.fused_qlora``: peft's 4-bit LoRA layers run the fused forward (:mod:`._qlora_linear`);
- ``training.compile``: each decoder layer's forward compiled (:mod:`._compile`).

The order is part of the contract: gradient checkpointing is enabled on the base model before the
LoRA wrap (peft then wraps layers transformers already checkpoints), the LoRA layers are swapped
and fused after it, and compilation comes last, so its graphs include the fused LoRA layers.

The per-step switches (``training.loss_chunk_size``, ``offload_activations``, ``gc_interval``) act
in the trainer's loss and callbacks, not on the model; see :mod:`._trainer`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from reviewgpt.logging import get_logger
from reviewgpt.train.config import TrainConfig

if TYPE_CHECKING:
    import torch

log = get_logger(__name__)

GRADIENT_CHECKPOINTING = "gradient_checkpointing"
COUNTER_DROPOUT = "counter_dropout"
FUSED_QLORA = "fused_qlora"
COMPILE = "compile"


def attention_implementation(cfg: TrainConfig) -> str:
    """The ``attn_implementation`` to load the base model with; registers S2-Attn when the config asks for it."""
    if cfg.model.s2attn:
        from reviewgpt.train.s2attn import S2ATTN, register_s2attn

        register_s2attn()
        return S2ATTN
    return cfg.model.attn_implementation


def keep_one_4bit_layout(model: torch.nn.Module) -> None:
    """Stop bitsandbytes repacking 4-bit weights for its AVX512-BF16 CPU kernel.

    bitsandbytes repacks a 4-bit weight in place the first time the layer runs in eval mode without
    grad (a validation pass); the weight then changes shape under the compiled graphs and between
    training steps. Training keeps one layout.
    """
    for module in model.modules():
        if hasattr(module, "support_avx512bf16_for_cpu"):
            module.support_avx512bf16_for_cpu = False


def apply_optimizations(
    model: Any, cfg: TrainConfig, wrap: Callable[[Any], Any]
) -> tuple[Any, list[str]]:
    """Apply the switched-on optimizations to a freshly loaded base model, wrapping it with LoRA in between.

    Args:
        model: the loaded base model, its parameters frozen.
        cfg: the train config whose switches say what to apply.
        wrap: turns the base model into the PEFT model (``get_peft_model`` with the run's LoRA config);
            called once, at its place in the order (see the module docstring).

    Returns:
        The PEFT model, and the names of the optimizations applied, in the order they were.
    """
    t = cfg.training
    applied: list[str] = []
    keep_one_4bit_layout(model)
    if t.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
        applied.append(GRADIENT_CHECKPOINTING)
    peft_model = wrap(model)
    if t.counter_dropout:
        from reviewgpt.train._dropout import use_counter_dropout

        if use_counter_dropout(peft_model):  # the same dropout, with cheaper random draws
            applied.append(COUNTER_DROPOUT)
    if t.fused_qlora:
        from reviewgpt.train._qlora_linear import use_fused_qlora

        # the same 4-bit LoRA layers, with fewer passes over memory
        if use_fused_qlora(peft_model, keep_weight=t.gradient_checkpointing):
            applied.append(FUSED_QLORA)
    if t.compile:  # after wrapping and fusing: the compiled graphs include the LoRA layers
        from reviewgpt.train._compile import compile_layers

        compile_layers(peft_model.get_base_model().get_decoder())  # not yet wrapped by DeepSpeed or DDP
        applied.append(COMPILE)
    log.info("training optimizations: %s", ", ".join(applied) or "none")
    return peft_model, applied
