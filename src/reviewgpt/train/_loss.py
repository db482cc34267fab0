"""Causal-LM loss computed in chunks: the [tokens, vocab] fp32 logits are never held whole.

At 12,288 tokens and a 32k vocabulary the logits are 1.5 GiB in fp32, and the usual path
keeps them, their fp32 copy and their gradient. Here the LM head and cross-entropy run on
``chunk`` tokens at a time under activation checkpointing: each chunk's logits live only
while its loss is computed, in forward and again in backward.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


def _chunk_loss_sum(hidden: torch.Tensor, labels: torch.Tensor, lm_head: torch.nn.Module) -> torch.Tensor:
    logits = lm_head(hidden).float()
    return F.cross_entropy(logits, labels, ignore_index=-100, reduction="sum")


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
    labelled = targets != -100
    count = int(labelled.sum())
    if count < targets.numel():  # the prompt is masked: the LM head runs on review tokens only
        index = labelled.nonzero().squeeze(1)
        hidden, targets = hidden.index_select(0, index), targets.index_select(0, index)
    if chunk <= 0 or hidden.shape[0] <= chunk:
        return _chunk_loss_sum(hidden, targets, lm_head), count
    total = hidden.new_zeros((), dtype=torch.float32)
    for start in range(0, hidden.shape[0], chunk):
        h, t = hidden[start : start + chunk], targets[start : start + chunk]
        if torch.is_grad_enabled():
            total = total + checkpoint(_chunk_loss_sum, h, t, lm_head, use_reentrant=False)
        else:
            total = total + _chunk_loss_sum(h, t, lm_head)
    return total, count
