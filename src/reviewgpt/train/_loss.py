"""Causal-LM loss computed in chunks: the [tokens, vocab] fp32 logits are never held whole.

At 12,288 tokens and a 32k vocabulary the logits are 1.5 GiB in fp32, and the usual path
keeps them, their fp32 copy and their gradient. Here the LM head and cross-entropy run on
``chunk`` tokens at a time. For a plain linear head (the usual case) each chunk's softmax gives
its loss and, in the same pass, the gradient of the loss with respect to the chunk's logits, so
the gradients of the hidden states (and of the head, if trained) are made in forward and backward
only scales them: the head's product runs once per chunk, not again in backward. Other heads
(peft-wrapped, DeepSpeed ZeRO-3-partitioned) run each chunk under activation checkpointing.
"""

from __future__ import annotations

from functools import lru_cache

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

IGNORE_INDEX = -100


def _chunk_loss_sum(hidden: torch.Tensor, labels: torch.Tensor, lm_head: torch.nn.Module) -> torch.Tensor:
    logits = lm_head(hidden).float()
    return F.cross_entropy(logits, labels, ignore_index=IGNORE_INDEX, reduction="sum")


@lru_cache(maxsize=1)
def _cuda_mm_out_dtype() -> bool:
    """Whether this torch's CUDA ``mm`` returns fp32 from bf16/fp16 inputs (``out_dtype``, torch >= 2.8)."""
    try:
        one = torch.ones(1, 1, device="cuda", dtype=torch.bfloat16)
        return torch.mm(one, one, out_dtype=torch.float32).dtype == torch.float32
    except (TypeError, RuntimeError):
        return False


def _mm_fp32(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a @ b`` returned in fp32, unrounded where the GPU can (elsewhere a bf16 product is rounded, then widened)."""
    if a.is_cuda and a.dtype != torch.float32 and _cuda_mm_out_dtype():
        return torch.mm(a, b, out_dtype=torch.float32)
    return torch.mm(a, b).float()


class _LinearCrossEntropySum(torch.autograd.Function):
    """``sum(cross_entropy(hidden @ weight^T, targets))`` chunk by chunk, its gradients made in forward.

    Every target is a token id (the caller has dropped unlabelled positions). The gradients are
    kept in fp32 until backward scales them, so they are rounded to the compute dtype once, as
    autograd's own path rounds them (after the scale), not twice.
    """

    @staticmethod
    def forward(ctx, hidden: torch.Tensor, weight: torch.Tensor, targets: torch.Tensor, chunk: int) -> torch.Tensor:
        grad_hidden = torch.empty_like(hidden, dtype=torch.float32) if hidden.requires_grad else None
        grad_weight = torch.zeros_like(weight, dtype=torch.float32) if weight.requires_grad else None
        total = hidden.new_zeros((), dtype=torch.float32)
        for start in range(0, hidden.shape[0], chunk):
            h, t = hidden[start : start + chunk], targets[start : start + chunk, None]
            logits = F.linear(h, weight)  # under autocast as lm_head(h) would run
            log_probs = torch.log_softmax(logits.float(), dim=-1)
            total -= log_probs.gather(1, t).sum()
            if grad_hidden is None and grad_weight is None:
                continue
            # d(loss)/d(logits) = softmax - one_hot(target), in place of the log-probabilities
            probs = log_probs.exp_().scatter_add_(1, t, log_probs.new_full(t.shape, -1.0))
            d_logits = probs.to(logits.dtype)
            if grad_hidden is not None:
                grad_hidden[start : start + chunk] = _mm_fp32(d_logits, weight.to(d_logits.dtype))
            if grad_weight is not None:
                grad_weight += _mm_fp32(d_logits.t(), h.to(d_logits.dtype))
        ctx.save_for_backward(grad_hidden, grad_weight)
        ctx.hidden_dtype, ctx.weight_dtype = hidden.dtype, weight.dtype
        return total

    @staticmethod
    def backward(ctx, grad_total: torch.Tensor):
        grad_hidden, grad_weight = ctx.saved_tensors
        scale = grad_total.float()
        grad_h = None if grad_hidden is None else (grad_hidden * scale).to(ctx.hidden_dtype)
        grad_w = None if grad_weight is None else (grad_weight * scale).to(ctx.weight_dtype)
        return grad_h, grad_w, None, None


def _plain_linear_weight(lm_head: torch.nn.Module) -> torch.Tensor | None:
    """The weight of a bias-free ``nn.Linear`` head held whole on this rank, else None."""
    if type(lm_head) is not torch.nn.Linear or lm_head.bias is not None:
        return None
    weight = lm_head.weight
    if hasattr(weight, "ds_id"):  # DeepSpeed ZeRO-3: only the module's own forward gathers it
        return None
    return weight


def causal_lm_loss_sum(
    hidden: torch.Tensor, labels: torch.Tensor, lm_head: torch.nn.Module, chunk: int = 2048
) -> tuple[torch.Tensor, int]:
    """Sum of next-token cross-entropy over labelled positions, and their count.

    Args:
        hidden: [b, n, hidden] final hidden states (after the final norm).
        labels: [b, n] token ids, -100 where no loss is taken (prompt, padding).
        lm_head: the output projection.
        chunk: tokens per piece (0: all at once).

    Returns:
        (loss sum as a 0-d fp32 tensor, number of labelled tokens).
    """
    hidden = hidden[:, :-1].reshape(-1, hidden.shape[-1])
    targets = labels[:, 1:].reshape(-1).to(hidden.device)
    labelled = targets != IGNORE_INDEX
    count = int(labelled.sum())
    if count < targets.numel():  # the prompt is masked: the LM head runs on review tokens only
        index = labelled.nonzero().squeeze(1)
        hidden, targets = hidden.index_select(0, index), targets.index_select(0, index)
    chunk = chunk if chunk > 0 else max(hidden.shape[0], 1)
    weight = _plain_linear_weight(lm_head)
    if torch.is_grad_enabled() and weight is not None:
        return _LinearCrossEntropySum.apply(hidden, weight, targets, chunk), count
    if hidden.shape[0] <= chunk:
        return _chunk_loss_sum(hidden, targets, lm_head), count
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, hidden.shape[0], chunk):
        h, t = hidden[start : start + chunk], targets[start : start + chunk]
        if torch.is_grad_enabled():
            total = total + checkpoint(_chunk_loss_sum, h, t, lm_head, use_reentrant=False)
        else:
            total = total + _chunk_loss_sum(h, t, lm_head)
    return total, count
