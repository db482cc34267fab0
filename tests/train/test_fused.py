"""The fused RMSNorm computes what transformers' RMSNorm computes, and is wired per instance."""

from __future__ import annotations

import torch
from transformers.models.llama.modeling_llama import LlamaRMSNorm

from reviewgpt.train import _fused


def test_rms_norm_matches_llama_rmsnorm():
    norm = LlamaRMSNorm(32, eps=1e-5)
    norm.weight.data = torch.randn(32)
    x = torch.randn(2, 7, 32)
    torch.testing.assert_close(_fused.rms_norm(x, norm.weight, norm.variance_epsilon), norm(x))


def test_fuse_switches_every_rmsnorm_instance_only(monkeypatch):
    calls = []

    def eager(x, weight, eps):  # stands in for the compiled function: compiling takes ~30 s on CPU
        calls.append(x.shape)
        return _fused.rms_norm(x, weight, eps)

    monkeypatch.setattr(_fused, "_compiled", lambda: eager)
    model = torch.nn.Sequential(LlamaRMSNorm(8), torch.nn.Linear(8, 8), LlamaRMSNorm(8))
    untouched = LlamaRMSNorm(8)
    x = torch.randn(3, 8)
    want = model(x)
    assert _fused.fuse_rms_norms(model) == 2
    torch.testing.assert_close(model(x), want)
    assert len(calls) == 2
    untouched(x)  # the class is not patched
    assert len(calls) == 2
