"""The chunked loss equals the plain cross-entropy of the full logits, in value and gradient."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reviewgpt.train._loss import causal_lm_loss_sum


@pytest.mark.parametrize("chunk", [0, 5, 16, 1000])
def test_chunked_loss_and_grads_match_full_cross_entropy(chunk):
    torch.manual_seed(0)
    head = torch.nn.Linear(8, 50, bias=False)
    hidden = torch.randn(2, 20, 8, requires_grad=True)
    labels = torch.randint(0, 50, (2, 20))
    labels[:, :7] = -100  # the prompt

    total, count = causal_lm_loss_sum(hidden, labels, head, chunk)
    got_grads = torch.autograd.grad(total / count, (hidden, head.weight))

    logits = head(hidden)[:, :-1].reshape(-1, 50)
    want = F.cross_entropy(logits, labels[:, 1:].reshape(-1), ignore_index=-100)
    want_grads = torch.autograd.grad(want, (hidden, head.weight))

    assert count == 2 * 13
    torch.testing.assert_close(total / count, want)
    for g, w in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(g, w)
