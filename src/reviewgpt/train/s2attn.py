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
group and the two half groups at the ends attend alone. Every call is causal within a group.

Shapes (``b`` batch, ``h`` heads, ``n`` tokens, ``d`` head dim), example with n=8, group 4::

    unshifted heads: groups [0..3] [4..7]
    shifted heads:   groups [0..1] [2..5] [6..7]
"""

from __future__ import annotations

import math

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


def _causal(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None, scale: float | None):
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v, is_causal=True, scale=scale)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, scale=scale)


def _blocks(x: torch.Tensor, start: int, size: int, count: int) -> torch.Tensor:
    """[b, h, n, d] -> [b*count, h, size, d]: ``count`` consecutive blocks from ``start``."""
    b, h, _, d = x.shape
    x = x[:, :, start : start + size * count]
    return x.reshape(b, h, count, size, d).transpose(1, 2).reshape(b * count, h, size, d)


def _unblocks(x: torch.Tensor, b: int, count: int) -> torch.Tensor:
    """Inverse of :func:`_blocks`: [b*count, h, size, d] -> [b, h, count*size, d]."""
    _, h, size, d = x.shape
    return x.reshape(b, count, h, size, d).transpose(1, 2).reshape(b, h, count * size, d)


def _mask_blocks(mask: torch.Tensor | None, start: int, size: int, count: int) -> torch.Tensor | None:
    """The diagonal blocks of a [b, 1, n, n] mask, as [b*count, 1, size, size] (None stays None)."""
    if mask is None:
        return None
    blocks = [mask[:, :, start + i * size : start + (i + 1) * size, start + i * size : start + (i + 1) * size]
              for i in range(count)]
    return torch.stack(blocks, dim=1).flatten(0, 1)


def _grouped(q, k, v, mask, group: int, shifted: bool, scale):
    """Causal attention within groups of ``group`` tokens; n is a multiple of ``group``."""
    b, n = q.shape[0], q.shape[2]
    count = n // group
    if not shifted:
        out = _causal(_blocks(q, 0, group, count), _blocks(k, 0, group, count), _blocks(v, 0, group, count),
                      _mask_blocks(mask, 0, group, count), scale)
        return _unblocks(out, b, count)
    half = group // 2
    # the two half groups at both ends, as one batch of 2*b sequences of `half` tokens
    ends = [(0, half), (n - half, n)]
    qe, ke, ve = (torch.cat([t[:, :, s:e] for s, e in ends], dim=0) for t in (q, k, v))
    me = None if mask is None else torch.cat([mask[:, :, s:e, s:e] for s, e in ends], dim=0)
    out_ends = _causal(qe, ke, ve, me, scale)
    parts = [out_ends[:b]]
    if count > 1:
        inner = _causal(_blocks(q, half, group, count - 1), _blocks(k, half, group, count - 1),
                        _blocks(v, half, group, count - 1), _mask_blocks(mask, half, group, count - 1), scale)
        parts.append(_unblocks(inner, b, count - 1))
    parts.append(out_ends[b:])
    return torch.cat(parts, dim=2)


def s2_attention(
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
        group_size: tokens per group (even); n need not be a multiple: the end is padded, which a
            causal mask makes invisible to the real tokens.
        shift: shift the second half of the heads by half a group.
        scaling: softmax scale (default 1/sqrt(d)).

    Returns:
        [b, h, n, d] attention output.
    """
    b, h, n, d = query.shape
    h_kv = key.shape[1]
    if h != h_kv:  # expand KV heads so each half of the query heads has its own KV
        key = key.repeat_interleave(h // h_kv, dim=1)
        value = value.repeat_interleave(h // h_kv, dim=1)
    group = min(group_size, n + (n % 2))
    pad = (-n) % group
    if pad:
        query, key, value = (F.pad(t, (0, 0, 0, pad)) for t in (query, key, value))
        if attention_mask is not None:
            attention_mask = F.pad(attention_mask, (0, pad, 0, pad), value=False)
            # padded query rows attend to themselves only (a row with no key gives NaN)
            idx = torch.arange(n, n + pad, device=attention_mask.device)
            attention_mask[:, :, idx, idx] = True
    if not shift:
        out = _grouped(query, key, value, attention_mask, group, False, scaling)
    else:
        split = h // 2
        out = torch.cat(
            [
                _grouped(query[:, :split], key[:, :split], value[:, :split], attention_mask, group, False, scaling),
                _grouped(query[:, split:], key[:, split:], value[:, split:], attention_mask, group, True, scaling),
            ],
            dim=1,
        )
    return out[:, :, :n]


# Not traced by torch.compile: the group size is arithmetic on the sequence length, which fails to
# trace with dynamic shapes; the work inside is SDPA kernels either way.
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
    out = s2_attention(query, key, value, attention_mask, group_size=group_size_for(n, ratio), scaling=scaling)
    return out.transpose(1, 2).contiguous(), None


def register_s2attn() -> None:
    """Make ``attn_implementation="s2attn"`` known to transformers (idempotent)."""
    from transformers import AttentionInterface
    from transformers.masking_utils import ALL_MASK_ATTENTION_FUNCTIONS, sdpa_mask

    AttentionInterface.register(S2ATTN, s2attn_forward)
    ALL_MASK_ATTENTION_FUNCTIONS.register(S2ATTN, sdpa_mask)
