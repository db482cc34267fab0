"""The chunked loss equals the plain cross-entropy of the full logits, in value and gradient."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from reviewgpt.train._loss import causal_lm_loss_sum


class _WrappedHead(torch.nn.Module):
    """A head that is not a plain linear layer (as peft's wrappers are): the checkpointed chunks run it."""

    def __init__(self, linear: torch.nn.Linear):
        super().__init__()
        self.linear = linear
        self.weight = linear.weight

    def forward(self, x):
        return self.linear(x)


@pytest.mark.parametrize("head_kind", ["linear", "wrapped"])
@pytest.mark.parametrize("chunk", [0, 5, 16, 1000])
def test_chunked_loss_and_grads_match_full_cross_entropy(chunk, head_kind):
    torch.manual_seed(0)
    linear = torch.nn.Linear(8, 50, bias=False)
    head = linear if head_kind == "linear" else _WrappedHead(linear)
    hidden = torch.randn(2, 20, 8, requires_grad=True)
    labels = torch.randint(0, 50, (2, 20))
    labels[:, :7] = -100  # the prompt

    total, count = causal_lm_loss_sum(hidden, labels, head, chunk)
    got_grads = torch.autograd.grad(total / count, (hidden, head.weight))

    logits = linear(hidden)[:, :-1].reshape(-1, 50)
    want = F.cross_entropy(logits, labels[:, 1:].reshape(-1), ignore_index=-100)
    want_grads = torch.autograd.grad(want, (hidden, head.weight))

    assert count == 2 * 13
    torch.testing.assert_close(total / count, want)
    for g, w in zip(got_grads, want_grads, strict=True):
        torch.testing.assert_close(g, w)


def test_chunked_loss_under_bf16_autocast_matches_the_full_cross_entropy():
    """bf16 model and head under autocast, frozen head (the LoRA case): only the hidden states get a gradient."""
    torch.manual_seed(0)
    head = torch.nn.Linear(16, 300, bias=False).to(torch.bfloat16).requires_grad_(False)
    hidden = torch.randn(1, 64, 16, dtype=torch.bfloat16, requires_grad=True)
    labels = torch.randint(0, 300, (1, 64))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        total, count = causal_lm_loss_sum(hidden, labels, head, 24)
        (got,) = torch.autograd.grad(total / count, hidden)
        want_loss = F.cross_entropy(head(hidden)[:, :-1].reshape(-1, 300).float(), labels[:, 1:].reshape(-1))
        (want,) = torch.autograd.grad(want_loss, hidden)
    assert got.dtype == torch.bfloat16
    torch.testing.assert_close(total / count, want_loss, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(got, want, rtol=0.02, atol=1e-4)


def test_trainer_loss_runs_under_the_mixed_precision_autocast(dataset, tiny_llama, make_config, tmp_path, monkeypatch):
    """The decoder is called directly (not through the wrapped forward), yet bf16 runs the LoRA matmuls in bf16."""
    import torch

    from reviewgpt.train import _qlora_linear, _training_arguments
    from reviewgpt.train._model import build_model
    from reviewgpt.train._trainer import ReviewTrainer

    cfg = make_config(dataset, tiny_llama, version="amp")
    assert cfg.model.dtype == "bfloat16"
    model = build_model(cfg, device_map="cpu")
    trainer = ReviewTrainer(model=model, args=_training_arguments(cfg, tmp_path, has_eval=False), loss_chunk_size=16)
    seen: list[torch.dtype] = []
    lora_a = next(m for name, m in model.named_modules() if name.endswith("q_proj.lora_A.default"))
    assert lora_a.weight.dtype == torch.float32  # trainable weights stay fp32 (the optimizer's master copy)
    products = _qlora_linear._low_rank_then_base

    def spy(dropped, lora_A, lora_B, x, weight, scaling):  # the 4-bit LoRA layers' products run here
        seen.extend({dropped.dtype, lora_A.dtype, lora_B.dtype, x.dtype, weight.dtype})
        return products(dropped, lora_A, lora_B, x, weight, scaling)

    monkeypatch.setattr(_qlora_linear, "_low_rank_then_base", spy)
    ids = torch.randint(3, 100, (1, 32))
    loss = trainer.compute_loss(model, {"input_ids": ids, "labels": ids}, num_items_in_batch=32)
    assert torch.isfinite(loss) and seen and set(seen) == {torch.bfloat16}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (fp32 results of bf16 products)")
def test_fused_gradients_are_as_close_to_exact_as_autograds_in_bf16(record_property):
    """The gradients made in forward are rounded to bf16 once, after the scale, as autograd's path rounds them."""
    torch.manual_seed(0)
    head = torch.nn.Linear(512, 8000, bias=False, device="cuda", dtype=torch.bfloat16).requires_grad_(False)
    hidden = torch.randn(1, 3000, 512, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    labels = torch.randint(0, 8000, (1, 3000), device="cuda")
    exact_hidden = hidden.detach().double().requires_grad_()
    exact_loss = F.cross_entropy(F.linear(exact_hidden[:, :-1], head.weight.double()).reshape(-1, 8000),
                                 labels[:, 1:].reshape(-1))
    (exact,) = torch.autograd.grad(exact_loss, exact_hidden)
    errors = {}
    for kind, module in (("fused", head), ("autograd", _WrappedHead(head))):
        with torch.autocast("cuda", dtype=torch.bfloat16):
            total, count = causal_lm_loss_sum(hidden, labels, module, 1024)
            (grad,) = torch.autograd.grad(total / count, hidden)
        errors[kind] = float((grad.double() - exact).norm() / exact.norm())
    record_property("relative_errors", errors)  # in --junitxml output
    assert errors["fused"] <= errors["autograd"] * 1.05, errors
