"""A QLoRA linear layer whose LoRA term costs no full-size pass of its own (training).

peft's 4-bit LoRA layer writes the base product ``x W^T`` (bitsandbytes), writes the LoRA product
``s B A drop(x)`` beside it and adds the two; backward writes the input's gradient twice, through
the base and through the LoRA branch, and autograd adds them. Every one of those [tokens,
features] tensors is a pass over memory. Here each direction writes its output once: the rank-r
product goes first into the output, then the 4-bit base product accumulates onto it in cuBLAS
(``beta = 1``); that extra read hides under a compute-bound matmul.

- forward: ``out = (s A drop(x)) B^T``, then ``out += x W^T``
- backward: ``gx = drop'(s (g B) A)``, then ``gx += g W``

The forward and the input's gradient are one custom op each, so the compiler keeps ``addmm_`` in
place instead of turning it into a copy and a product. The dropout is the counter dropout (its
seed drawn the same way as :class:`~reviewgpt.train._dropout.CounterDropout`'s), regenerated in
backward.
"""

from __future__ import annotations

from types import MethodType
from typing import Any

import torch

from reviewgpt.train._dropout import CounterDropout, draw_seed, masked_scale_into


def _low_rank_then_base(dropped, lora_A, lora_B, x, weight, scaling: float) -> tuple[torch.Tensor, torch.Tensor]:
    """``low_rank = s dropped A^T`` and ``out = low_rank B^T + x W^T``, the base product accumulating in place."""
    low_rank = torch.mm(dropped, lora_A.t()).mul_(scaling)
    return low_rank, torch.mm(low_rank, lora_B.t()).addmm_(x, weight.t())


# One op per forward (dropout, both LoRA products and the base product): on a slow host the compiled
# layers' forward is launch-bound, and each op call and kernel launch from Python costs there.
@torch.library.custom_op("reviewgpt::qlora_forward", mutates_args=())
def qlora_forward(
    x: torch.Tensor, lora_A: torch.Tensor, lora_B: torch.Tensor, weight: torch.Tensor, scaling: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(out, low_rank)`` for 2-D ``x`` [tokens, in], ``weight`` [out, in] (dequantized), no dropout."""
    low_rank, out = _low_rank_then_base(x, lora_A, lora_B, x, weight, scaling)
    return out, low_rank


@qlora_forward.register_fake
def _(x, lora_A, lora_B, weight, scaling):
    return x.new_empty((x.shape[0], weight.shape[0])), x.new_empty((x.shape[0], lora_A.shape[0]))


@torch.library.custom_op("reviewgpt::qlora_dropout_forward", mutates_args=(), tags=(torch.Tag.nondeterministic_seeded,))
def qlora_dropout_forward(
    x: torch.Tensor, lora_A: torch.Tensor, lora_B: torch.Tensor, weight: torch.Tensor, scaling: float, p: float
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(out, dropped, low_rank, seed)``: :func:`qlora_forward` with dropout ``p`` on the LoRA input, fresh seed."""
    seed = draw_seed()
    dropped = masked_scale_into(x, torch.empty_like(x), int(seed), p)
    low_rank, out = _low_rank_then_base(dropped, lora_A, lora_B, x, weight, scaling)
    return out, dropped, low_rank, seed


@qlora_dropout_forward.register_fake
def _(x, lora_A, lora_B, weight, scaling, p):
    return (
        x.new_empty((x.shape[0], weight.shape[0])),
        torch.empty_like(x),
        x.new_empty((x.shape[0], lora_A.shape[0])),
        torch.empty(1, dtype=torch.int64, device="cpu"),
    )


@torch.library.custom_op("reviewgpt::dropped_low_rank_then_base_mm", mutates_args=())
def dropped_low_rank_then_base_mm(
    grad_low_rank: torch.Tensor, lora_A: torch.Tensor, seed: torch.Tensor | None, p: float, grad: torch.Tensor, weight: torch.Tensor
) -> torch.Tensor:
    """The input's gradient: ``drop'(grad_low_rank @ lora_A) + grad @ weight`` (the dropout's mask from ``seed``)."""
    grad_x = torch.mm(grad_low_rank, lora_A)
    if p > 0:
        masked_scale_into(grad_x, grad_x, int(seed), p)
    return grad_x.addmm_(grad, weight)


@dropped_low_rank_then_base_mm.register_fake
def _(grad_low_rank, lora_A, seed, p, grad, weight):
    return grad.new_empty((grad.shape[0], weight.shape[1]))


def _dequantize(packed: torch.Tensor, quant_state: Any, dtype: torch.dtype) -> torch.Tensor:
    from bitsandbytes.functional import dequantize_4bit

    return dequantize_4bit(packed, quant_state).to(dtype)


class QLoRALinearFunction(torch.autograd.Function):
    """``x W^T + s B A drop(x)`` for 2-D ``x`` with a 4-bit ``W``; all tensors in the compute dtype.

    ``keep_weight``: save the dequantized weight for backward instead of dequantizing it again. Under
    gradient checkpointing only the recompute keeps it (the first forward's saved tensors are
    dropped), so it costs one layer's weights in the compute dtype while that layer's backward runs
    (0.36 GiB on a 7B model) and saves one of each weight's three dequantizations per step. Without
    checkpointing it would keep every weight, so it is off there.
    """

    @staticmethod
    def forward(ctx, x, lora_A, lora_B, scaling, p, packed, quant_state, keep_weight):
        weight = _dequantize(packed, quant_state, x.dtype)
        if p > 0:
            out, dropped, low_rank, seed = qlora_dropout_forward(x, lora_A, lora_B, weight, scaling, p)
        else:
            (out, low_rank), dropped, seed = qlora_forward(x, lora_A, lora_B, weight, scaling), x, None
        ctx.save_for_backward(dropped, low_rank, lora_A, lora_B, seed, weight if keep_weight else packed)
        ctx.scaling, ctx.p, ctx.keep_weight, ctx.quant_state = scaling, p, keep_weight, quant_state
        return out

    @staticmethod
    def backward(ctx, grad):
        dropped, low_rank, lora_A, lora_B, seed, weight = ctx.saved_tensors  # weight: the packed one unless kept
        grad = grad.contiguous()
        grad_low_rank = torch.mm(grad, lora_B) * ctx.scaling
        grad_A = torch.mm(grad_low_rank.t(), dropped) if ctx.needs_input_grad[1] else None
        grad_B = torch.mm(grad.t(), low_rank) if ctx.needs_input_grad[2] else None
        grad_x = None
        if ctx.needs_input_grad[0]:
            if not ctx.keep_weight:
                weight = _dequantize(weight, ctx.quant_state, grad.dtype)
            grad_x = dropped_low_rank_then_base_mm(grad_low_rank, lora_A, seed, ctx.p, grad, weight)
        return grad_x, grad_A, grad_B, None, None, None, None, None


def _single_plain_adapter(layer: Any, kwargs: dict) -> str | None:
    """The one active vanilla-LoRA adapter this layer can run fused, or None (peft's forward then runs)."""
    if layer.disable_adapters or layer.merged or kwargs or len(layer.active_adapters) != 1:
        return None
    adapter = layer.active_adapters[0]
    if adapter not in layer.lora_A or adapter in getattr(layer, "lora_variant", {}):
        return None
    base = layer.base_layer
    if base.bias is not None or layer.lora_B[adapter].bias is not None:
        return None
    if getattr(base.weight, "quant_state", None) is None or getattr(base.weight.quant_state, "packing_format_for_cpu", False):
        return None
    dropout = layer.lora_dropout[adapter]
    if not isinstance(dropout, (CounterDropout, torch.nn.Identity)):
        return None
    return adapter


def fused_forward(layer: Any, x: torch.Tensor, *args, keep_weight: bool = False, **kwargs) -> torch.Tensor:
    """A peft 4-bit LoRA layer's forward through :class:`QLoRALinearFunction`, where it applies."""
    adapter = None if args else _single_plain_adapter(layer, kwargs)
    if adapter is None:
        return type(layer).forward(layer, x, *args, **kwargs)
    base = layer.base_layer
    dtype = base.compute_dtype or x.dtype
    dropout = layer.lora_dropout[adapter]
    p = dropout.p if isinstance(dropout, CounterDropout) and dropout.training else 0.0
    flat = x.reshape(-1, x.shape[-1]).to(dtype).contiguous()
    out = QLoRALinearFunction.apply(
        flat,
        layer.lora_A[adapter].weight.to(dtype),
        layer.lora_B[adapter].weight.to(dtype),
        float(layer.scaling[adapter]),
        p,
        base.weight,
        base.weight.quant_state,
        keep_weight,
    )
    return out.view(*x.shape[:-1], out.shape[-1]).to(x.dtype)


def use_fused_qlora(model: torch.nn.Module, *, keep_weight: bool = False) -> int:
    """Give every peft 4-bit LoRA layer of ``model`` :func:`fused_forward` (module state unchanged).

    Args:
        keep_weight: keep each dequantized weight for backward (with gradient checkpointing only; see
            :class:`QLoRALinearFunction`).

    Returns:
        How many layers now run fused.
    """
    try:
        from peft.tuners.lora.bnb import Linear4bit
    except ImportError:  # bitsandbytes not installed: no 4-bit layers
        return 0
    # one function object for all layers: compiled layers guard on its identity, so a function per
    # layer would compile every decoder layer anew. A plain function, not a functools.partial: torch
    # 2.11's Dynamo cannot call a bound partial and broke the graph at each of a layer's linears
    def forward(layer: Any, x: torch.Tensor, *args, **kwargs) -> torch.Tensor:
        return fused_forward(layer, x, *args, keep_weight=keep_weight, **kwargs)

    fused = 0
    for module in model.modules():
        if isinstance(module, Linear4bit):
            module.forward = MethodType(forward, module)
            fused += 1
    return fused
