"""S2-Attn against a plain reference written here: explicit per-token masks, one dense softmax."""

from __future__ import annotations

import pytest
import torch

from reviewgpt.train.s2attn import group_size_for, s2_attention


def reference(q, k, v, group: int, shift: bool) -> torch.Tensor:
    """Dense attention with a mask that says which (query, key) pairs share a group.

    Unshifted heads: group id = position // group. Shifted heads (second half): group id =
    (position + group/2) // group, i.e. groups offset by half a group. Always causal.
    """
    b, h, n, d = q.shape
    k = k.repeat_interleave(h // k.shape[1], dim=1)
    v = v.repeat_interleave(h // v.shape[1], dim=1)
    pos = torch.arange(n)
    causal = pos[None, :] <= pos[:, None]
    out = []
    for head in range(h):
        offset = group // 2 if shift and head >= h // 2 else 0
        gid = (pos + offset) // group
        allowed = causal & (gid[:, None] == gid[None, :])
        scores = (q[:, head] @ k[:, head].transpose(-1, -2)) / d**0.5
        scores = scores.masked_fill(~allowed, float("-inf"))
        out.append(torch.softmax(scores, dim=-1) @ v[:, head])
    return torch.stack(out, dim=1)


@pytest.mark.parametrize(
    ("n", "group", "h", "h_kv"),
    [(16, 4, 4, 4), (32, 8, 4, 2), (20, 8, 6, 3), (12, 12, 2, 1)],  # 20: not a multiple of the group
)
def test_outputs_and_gradients_match_the_reference(n, group, h, h_kv):
    torch.manual_seed(n + group)
    q = torch.randn(2, h, n, 8, dtype=torch.float64, requires_grad=True)
    k = torch.randn(2, h_kv, n, 8, dtype=torch.float64, requires_grad=True)
    v = torch.randn(2, h_kv, n, 8, dtype=torch.float64, requires_grad=True)
    upstream = torch.randn(2, h, n, 8, dtype=torch.float64)

    got = s2_attention(q, k, v, group_size=group)
    grads_got = torch.autograd.grad((got * upstream).sum(), (q, k, v))
    want = reference(q, k, v, group, shift=True)
    grads_want = torch.autograd.grad((want * upstream).sum(), (q, k, v))

    torch.testing.assert_close(got, want)
    for g, w in zip(grads_got, grads_want, strict=True):
        torch.testing.assert_close(g, w)


def test_one_group_without_shift_is_full_causal_attention():
    torch.manual_seed(0)
    q, k, v = (torch.randn(1, 4, 24, 16) for _ in range(3))
    full = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    torch.testing.assert_close(s2_attention(q, k, v, group_size=24, shift=False), full)


def test_padding_mask_blocks_match_the_reference_for_real_tokens():
    """A right-padded row: real tokens get the same output as without padding."""
    torch.manual_seed(1)
    q, k, v = (torch.randn(1, 4, 16, 8, dtype=torch.float64) for _ in range(3))
    mask = torch.ones(1, 1, 16, 16, dtype=torch.bool).tril()
    mask[..., 12:] = False  # keys 12.. are padding
    got = s2_attention(q, k, v, mask, group_size=8)
    want = reference(q, k, v, 8, shift=True)
    torch.testing.assert_close(got[:, :, :12], want[:, :, :12])


def test_group_size_is_an_even_quarter():
    assert group_size_for(12288) == 3072
    assert group_size_for(10) == 4
    assert group_size_for(3) == 2


def test_registered_attention_trains_sparse_and_infers_full(tiny_llama):
    """Through transformers' AttentionInterface: full attention in eval, S2-Attn in train mode."""
    from reviewgpt.modeling import load_causal_lm
    from reviewgpt.train.s2attn import register_s2attn

    register_s2attn()
    sdpa = load_causal_lm(tiny_llama, dtype="float32", device_map="cpu")
    s2 = load_causal_lm(tiny_llama, dtype="float32", device_map="cpu", attn_implementation="s2attn")
    assert s2.config._attn_implementation == "s2attn"
    ids = torch.randint(5, 300, (1, 64))
    with torch.no_grad():
        torch.testing.assert_close(s2.eval()(input_ids=ids).logits, sdpa.eval()(input_ids=ids).logits)
        sparse = s2.train()(input_ids=ids).logits
        dense = sdpa.train()(input_ids=ids).logits
    # the first group (tokens 0..15, unshifted heads) sees the same context either way; later ones do not
    torch.testing.assert_close(sparse[:, :8], dense[:, :8])
    assert (sparse[:, 32:] - dense[:, 32:]).abs().max() > 1e-3
