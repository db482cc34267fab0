"""LoRA's two products with the dropped input, the dropout mask made inside the matmul (CUDA, Triton).

The LoRA branch reads its input only through ``drop(x) @ A^T`` (forward) and ``g^T @ drop(x)`` (the
gradient of ``A``). Written as :func:`~reviewgpt.train._dropout.masked_scale` and a cuBLAS product,
each forward writes ``drop(x)`` ([tokens, in]) and reads it back, and the tensor is kept for
backward. Here each product is one Triton kernel that loads ``x`` and applies the mask in registers:
no [tokens, in] tensor is written, and backward keeps ``x`` itself, which the layer's other
products (q, k and v read the same input) keep anyway.

The mask is :func:`masked_scale`'s, bit for bit: element ``(t, k)`` of a [T, K] input is element
``t * K + k`` of the flat tensor, whose Philox counter is ``(t * K + k) // 8`` and 16-bit lane
``k % 8`` (for ``K % 8 == 0``). So the input's gradient, which still applies the mask with
``masked_scale``, drops the same elements.
"""

from __future__ import annotations

from functools import lru_cache

import torch

from reviewgpt.train._dropout import _threshold_and_scale, masked_scale_into

_BLOCK_TOKENS = 64
_BLOCK_IN = 64


def fusable(x: torch.Tensor, rank: int) -> bool:
    """Whether the Triton kernels take this [T, K] input with LoRA rank ``rank`` (else the torch path)."""
    return (x.is_cuda and x.dtype in (torch.bfloat16, torch.float16) and x.shape[1] % 8 == 0
            and 16 <= rank <= 128 and rank & (rank - 1) == 0 and _kernels() is not None)


@lru_cache(maxsize=1)
def _kernels():
    """``(dropped_mm_kernel, grad_a_kernel)``, or None where Triton is not installed."""
    try:
        from reviewgpt.train import _dropout_matmul_triton as kernels
    except ImportError:
        return None
    return kernels.dropped_mm_kernel, kernels.grad_a_kernel


def dropped_mm(x: torch.Tensor, lora_A: torch.Tensor, seed: int, p: float, out_scale: float) -> torch.Tensor:
    """``out_scale * masked_scale(x, seed, p) @ lora_A^T`` for contiguous [T, K] ``x``: [T, R]."""
    if not fusable(x, lora_A.shape[0]):
        return torch.mm(masked_scale_into(x, torch.empty_like(x), seed, p), lora_A.t()).mul_(out_scale)
    return _dropped_mm_triton(x, lora_A, seed, p, out_scale)


def grad_of_a(grad_low_rank: torch.Tensor, x: torch.Tensor, seed: int, p: float) -> torch.Tensor:
    """``grad_low_rank^T @ masked_scale(x, seed, p)`` for [T, R] and contiguous [T, K]: [R, K], in ``x``'s dtype."""
    if not fusable(x, grad_low_rank.shape[1]):
        return torch.mm(grad_low_rank.t(), masked_scale_into(x, torch.empty_like(x), seed, p))
    sms = torch.cuda.get_device_properties(x.device).multi_processor_count
    return _grad_of_a_triton(grad_low_rank, x, seed, p, sms)


def _dropped_mm_triton(x, lora_A, seed: int, p: float, out_scale: float) -> torch.Tensor:
    import triton

    threshold, keep_scale = _threshold_and_scale(p)
    t, k = x.shape
    rank = lora_A.shape[0]
    out = x.new_empty((t, rank))
    _kernels()[0][(triton.cdiv(t, _BLOCK_TOKENS),)](
        x, lora_A.contiguous(), out, t, k, seed, threshold, keep_scale, out_scale,
        R=rank, BM=_BLOCK_TOKENS, BK=_BLOCK_IN)
    return out


def _grad_of_a_triton(grad_low_rank, x, seed: int, p: float, sms: int) -> torch.Tensor:
    import triton

    threshold, keep_scale = _threshold_and_scale(p)
    rank, (t, k) = grad_low_rank.shape[1], x.shape
    column_blocks = triton.cdiv(k, _BLOCK_IN)
    # the tokens split so that the grid fills the GPU about four times over; the splits summed after
    splits = max(1, min(triton.cdiv(t, _BLOCK_TOKENS), triton.cdiv(4 * sms, column_blocks)))
    rows_per_split = triton.cdiv(triton.cdiv(t, splits), _BLOCK_TOKENS) * _BLOCK_TOKENS
    splits = triton.cdiv(t, rows_per_split)
    partial = torch.empty((splits, rank, k), dtype=torch.float32, device=x.device)
    _kernels()[1][(column_blocks, splits)](
        grad_low_rank.contiguous(), x, partial, t, k, seed, threshold, keep_scale, rows_per_split,
        R=rank, BT=_BLOCK_TOKENS, BN=_BLOCK_IN)
    return partial.sum(0).to(x.dtype)
