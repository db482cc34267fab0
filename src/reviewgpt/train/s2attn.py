"""S2-Attn: LongLoRA's shifted sparse attention, as a transformers attention function.

In training, the sequence is cut into groups (a quarter of the sequence by default) and each
token attends causally only within its group; half of the heads use groups shifted by half a
group, so information flows between neighbouring groups. Attention FLOPs drop by the number
of groups. At inference (``module.training`` False, or a KV cache) it is plain full attention,
so a model trained with it is served with ordinary SDPA.

Registered under the name ``"s2attn"`` in transformers' ``AttentionInterface`` (and its mask
interface, so padding masks are built the SDPA way) by :func:`register_s2attn`; any model whose
attention calls the interface (Llama, Mistral, Qwen2, ...) can use it with
``attn_implementation="s2attn"``. No model code is patched.

Unlike LongLoRA's reference code, the shifted heads are not rolled around the end of the
sequence (which lets the first tokens see the last ones); their groups are offset by half a
group and the two half groups at the ends attend alone. Every call is causal within a group,
and a sequence that is not a multiple of the group ends in a shorter group (no padding).

Shapes (``b`` batch, ``h`` heads, ``n`` tokens, ``d`` head dim), example with n=8, group 4::

    unshifted heads: groups [0..3] [4..7]
    shifted heads:   groups [0..1] [2..5] [6..7]

How it runs: the groups of equal length and heads form one SDPA batch (a "piece"). A run of
consecutive groups is a view of q/k/v, so most pieces cost no copy. Two autograd functions,
:class:`_Cut` and :class:`_Join`, move tensors between the [b, h, n, d] layout and the pieces;
their backward writes each piece's gradient straight into its place in one buffer. Plain
slicing would instead give every slice its own zero-filled full-size gradient and then sum them:
at 12k tokens on a 7B model that was ~4 GB of memory traffic per layer and step.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

import torch
import torch.nn.functional as F

S2ATTN = "s2attn"

#: Fraction of the sequence one attention group covers in training (LongLoRA uses 1/4).
DEFAULT_GROUP_RATIO = 0.25

#: Model types whose attention goes through transformers' AttentionInterface and whose
#: layout (q/k/v in [b, h, n, d], causal decoder) S2-Attn supports. Checked before loading.
SUPPORTED_MODEL_TYPES = frozenset({"llama", "mistral", "qwen2", "qwen3", "mixtral", "gemma", "phi3"})


def group_size_for(seq_len: int, ratio: float = DEFAULT_GROUP_RATIO) -> int:
    """The attention group size for a sequence: ``ratio`` of it, rounded up to an even number."""
    size = max(2, math.ceil(seq_len * ratio))
    return size + (size % 2)


# ---------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class _Run:
    """``count`` consecutive groups of ``size`` tokens from ``start``, on heads ``heads``."""

    heads: tuple[int, int]
    start: int
    size: int
    count: int

    def of_bhnd(self, x: torch.Tensor) -> torch.Tensor:
        """The run's groups of a [b, h, n, d] tensor as [b, count, h', size, d] (a view)."""
        h0, h1 = self.heads
        return x[:, h0:h1, self.start : self.start + self.size * self.count].unflatten(2, (self.count, self.size)).transpose(1, 2)

    def of_bnhd(self, x: torch.Tensor) -> torch.Tensor:
        """The run's groups of a [b, n, h, d] tensor as [b, count, h', size, d] (a view)."""
        h0, h1 = self.heads
        return x[:, self.start : self.start + self.size * self.count, h0:h1].unflatten(1, (self.count, self.size)).transpose(2, 3)


#: One SDPA batch: runs with the same group size and number of heads, stacked along the batch.
_Piece = tuple[_Run, ...]


@lru_cache(maxsize=64)
def _plan(n: int, h: int, group: int, shift: bool) -> tuple[_Piece, ...]:
    """The pieces that cover every (head, position) of [h, n] exactly once."""
    halves = [((0, h // 2), 0), ((h // 2, h), group // 2)] if shift else [((0, h), 0)]
    pieces: list[_Piece] = []
    for heads, offset in halves:
        if heads[0] == heads[1]:
            continue
        # group boundaries where (position + offset) is a multiple of the group
        bounds = [0, *range(group - offset if offset else group, n, group), n]
        spans = [(s, e - s) for s, e in zip(bounds, bounds[1:], strict=False) if e > s]
        runs: list[_Run] = []
        for start, size in spans:  # merge consecutive equal groups into runs
            last = runs[-1] if runs else None
            if last and last.size == size and last.start + last.size * last.count == start:
                runs[-1] = _Run(heads, last.start, size, last.count + 1)
            else:
                runs.append(_Run(heads, start, size, 1))
        by_size: dict[int, list[_Run]] = {}
        for run in runs:
            by_size.setdefault(run.size, []).append(run)
        pieces.extend(tuple(group_runs) for group_runs in by_size.values())
    return tuple(pieces)


def _run_rows(piece: _Piece, b: int, stacked: torch.Tensor) -> Iterator[tuple[_Run, torch.Tensor]]:
    """Each run of ``piece`` with its rows of ``stacked`` (the piece's SDPA batch), as [b, count, ...] views."""
    offset = 0
    for run in piece:
        rows = b * run.count
        yield run, stacked[offset : offset + rows].unflatten(0, (b, run.count))
        offset += rows


class _Cut(torch.autograd.Function):
    """[b, h, n, d] -> one [B, h', size, d] tensor per piece; backward fills one gradient buffer."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, pieces: tuple[_Piece, ...]):
        ctx.pieces = pieces
        ctx.shape = x.shape
        out = []
        for piece in pieces:
            parts = [run.of_bhnd(x).flatten(0, 1) for run in piece]
            out.append(parts[0] if len(parts) == 1 else torch.cat(parts, dim=0))
        return tuple(out)

    @staticmethod
    def backward(ctx, *grads: torch.Tensor):
        # every element is covered by exactly one run, so no zero fill and no sum; contiguous, the
        # layout a compiled graph's backward expects of its output gradients (else it copies them)
        grad = torch.empty(ctx.shape, dtype=grads[0].dtype, device=grads[0].device)
        for piece, g in zip(ctx.pieces, grads, strict=True):
            for run, rows in _run_rows(piece, ctx.shape[0], g):
                run.of_bhnd(grad).copy_(rows)
        return grad, None


class _Join(torch.autograd.Function):
    """The pieces' attention outputs -> one contiguous [b, n, h, d] tensor (the layout o_proj reads)."""

    @staticmethod
    def forward(ctx, pieces: tuple[_Piece, ...], shape: tuple[int, int, int, int], *outs: torch.Tensor):
        ctx.pieces = pieces
        ctx.layouts = [(o.shape, o.stride()) for o in outs]
        joined = outs[0].new_empty(shape)
        for piece, o in zip(pieces, outs, strict=True):
            for run, rows in _run_rows(piece, shape[0], o):
                run.of_bnhd(joined).copy_(rows)
        return joined

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grads = []
        for piece, (shape, stride) in zip(ctx.pieces, ctx.layouts, strict=True):
            # the layout of the attention output: what the SDPA backward kernels want for its gradient
            g = torch.empty_strided(shape, stride, dtype=grad.dtype, device=grad.device)
            for run, rows in _run_rows(piece, grad.shape[0], g):
                rows.copy_(run.of_bnhd(grad))
            grads.append(g)
        return None, None, *grads


def _mask_piece(mask: torch.Tensor, piece: _Piece) -> torch.Tensor:
    """The diagonal blocks of a [b, 1, n, n] mask for a piece's groups, as [B, 1, size, size]."""
    per_run = []
    for run in piece:  # in the order of _Cut: run by run, each [b, count] batch-major
        blocks = [mask[:, :, s : s + run.size, s : s + run.size]
                  for s in range(run.start, run.start + run.size * run.count, run.size)]
        per_run.append(torch.stack(blocks, dim=1).flatten(0, 1))
    return per_run[0] if len(per_run) == 1 else torch.cat(per_run, dim=0)


def _causal(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, scale: float | None):
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)


def s2_attention_bnhd(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None = None,
    *,
    group_size: int,
    shift: bool = True,
    scaling: float | None = None,
) -> torch.Tensor:
    """Shifted sparse attention on [b, h, n, d] tensors (key/value may have fewer heads: GQA).

    Args:
        query: [b, h, n, d].
        key: [b, h_kv, n, d]; ``h`` a multiple of ``h_kv``.
        value: like ``key``.
        attention_mask: None (pure causal) or a boolean [b, 1, n, n] mask, True = attend.
        group_size: tokens per group (even); n need not be a multiple: the last group is shorter.
        shift: shift the second half of the heads by half a group.
        scaling: softmax scale (default 1/sqrt(d)).

    Returns:
        [b, n, h, d] attention output, contiguous.
    """
    b, h, n, d = query.shape
    h_kv = key.shape[1]
    if h != h_kv:  # expand KV heads so each half of the query heads has its own KV
        key = key.repeat_interleave(h // h_kv, dim=1)
        value = value.repeat_interleave(h // h_kv, dim=1)
    pieces = _plan(n, h, min(group_size, n + (n % 2)), shift)
    qs, ks, vs = (_Cut.apply(t, pieces) for t in (query, key, value))
    outs = [
        _causal(q, k, v, None if attention_mask is None else _mask_piece(attention_mask, piece), scaling)
        for piece, q, k, v in zip(pieces, qs, ks, vs, strict=True)
    ]
    return _Join.apply(pieces, (b, n, h, d), *outs)


def s2_attention(query, key, value, attention_mask=None, *, group_size: int, shift: bool = True, scaling=None):
    """:func:`s2_attention_bnhd` returning [b, h, n, d] like the inputs (a transposed view)."""
    out = s2_attention_bnhd(query, key, value, attention_mask, group_size=group_size, shift=shift, scaling=scaling)
    return out.transpose(1, 2)


# Not traced by torch.compile: the group size is arithmetic on the sequence length, which fails to
# trace with dynamic shapes; the work inside is SDPA kernels and one copy per tensor either way.
@torch.compiler.disable
def s2attn_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """The AttentionInterface entry: S2-Attn in training, SDPA full attention otherwise.

    Returns the output as [b, n, h, d] like transformers' SDPA function.
    """
    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    n = query.shape[2]
    if not module.training or key.shape[2] != n or n < 4:
        return sdpa_attention_forward(module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs)
    if attention_mask is not None and attention_mask.dtype != torch.bool:
        attention_mask = attention_mask > -1  # additive float mask -> boolean (0 keeps, -inf drops)
    config = getattr(module, "config", None)
    ratio = getattr(config, "s2attn_group_ratio", None) or DEFAULT_GROUP_RATIO
    out = s2_attention_bnhd(query, key, value, attention_mask, group_size=group_size_for(n, ratio), scaling=scaling)
    return out, None


def register_s2attn() -> None:
    """Make ``attn_implementation="s2attn"`` known to transformers (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(S2ATTN, s2attn_forward)
    ALL_MASK_ATTENTION_FUNCTIONS.register(S2ATTN, sdpa_mask)
