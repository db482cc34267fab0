"""S2-Attn against a plain reference written here: explicit per-token masks, one dense softmax."""

from __future__ import annotations

import pytest
import torch

from reviewgpt.train.s2attn import group_size_for, s2_attention


def reference(q, k, v, group: int, shift: bool, key_real: torch.Tensor | None = None) -> torch.Tensor:
    """Dense attention with a mask that says which (query, key) pairs share a group.

    Unshifted heads: group id = position // group. Shifted heads (second half): group id =
    (position + group/2) // group, i.e. groups offset by half a group. Always causal.
    ``key_real``: [b, n] booleans, False for padding keys (nobody attends to them).
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
        if key_real is not None:
            allowed = allowed & key_real[:, None, :]
        scores = (q[:, head] @ k[:, head].transpose(-1, -2)) / d**0.5
        scores = scores.masked_fill(~allowed, -1e9)  # finite: a row of padding has no NaN gradient
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


@pytest.mark.parametrize(("n", "group"), [(20, 8), (16, 8), (27, 6)])
def test_batched_padding_masks_give_each_row_its_own_result(n, group):
    """Right padding of different lengths in one batch (the collator's mask): real tokens match the
    reference, with groups of several lengths in one attention batch (n not a multiple of the group)."""
    torch.manual_seed(n)
    q, k, v = (torch.randn(3, 4, n, 8, dtype=torch.float64, requires_grad=True) for _ in range(3))
    lengths = torch.tensor([n, n - 5, n - 9])
    key_real = torch.arange(n)[None, :] < lengths[:, None]
    mask = (torch.ones(n, n, dtype=torch.bool).tril() & key_real[:, None, :])[:, None]
    upstream = torch.randn(3, 4, n, 8, dtype=torch.float64) * key_real[:, None, :, None]  # no loss on padding

    got = s2_attention(q, k, v, mask, group_size=group)
    want = reference(q, k, v, group, shift=True, key_real=key_real)
    for row, length in enumerate(lengths.tolist()):
        torch.testing.assert_close(got[row, :, :length], want[row, :, :length])
    grads_got = torch.autograd.grad((got * upstream).sum(), (q, k, v))
    grads_want = torch.autograd.grad((want * upstream).sum(), (q, k, v))
    for g, w in zip(grads_got, grads_want, strict=True):
        torch.testing.assert_close(g, w)


def test_output_is_contiguous_in_the_layout_o_proj_reads():
    from reviewgpt.train.s2attn import s2_attention_bnhd

    q, k, v = (torch.randn(2, 4, 24, 8).transpose(1, 2).contiguous().transpose(1, 2) for _ in range(3))
    out = s2_attention_bnhd(q, k, v, group_size=8)
    assert out.shape == (2, 24, 4, 8) and out.is_contiguous()


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
