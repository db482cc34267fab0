"""The fused QLoRA linear equals peft's 4-bit LoRA layer: output and every gradient, with and without dropout."""

from __future__ import annotations

import copy

import pytest
import torch

pytest.importorskip("bitsandbytes", reason="needs the train extra: pip install -e '.[train]'")

from reviewgpt.train._dropout import masked_scale, use_counter_dropout  # noqa: E402
from reviewgpt.train._qlora_linear import (  # noqa: E402
    dropped_low_rank_then_base_mm,
    qlora_dropout_forward,
    qlora_forward,
    use_fused_qlora,
)

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"))]


class _Block(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.up = torch.nn.Linear(64, 96, bias=False)
        self.down = torch.nn.Linear(96, 64, bias=False)

    def forward(self, x):
        return self.down(torch.relu(self.up(x)))


def _qlora_block(device: str, dtype: torch.dtype, dropout: float):
    import bitsandbytes as bnb
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(0)
    dense = _Block()
    block = torch.nn.Module()
    for name in ("up", "down"):
        linear = getattr(dense, name)
        quantized = bnb.nn.Linear4bit(linear.in_features, linear.out_features, bias=False, compute_dtype=dtype, quant_type="nf4")
        quantized.weight = bnb.nn.Params4bit(linear.weight.data.clone(), requires_grad=False, quant_type="nf4")
        setattr(block, name, quantized.to(device))
    block.forward = _Block.forward.__get__(block)
    block.is_loaded_in_4bit = True  # what transformers sets on a 4-bit model; peft then wraps with its 4-bit LoRA layer
    model = get_peft_model(block, LoraConfig(r=8, lora_alpha=16, lora_dropout=dropout, target_modules=["up", "down"]))
    for name, param in model.named_parameters():
        if "lora_B" in name:  # peft starts B at zero; a random B makes every gradient non-trivial
            torch.nn.init.normal_(param, std=0.1)
    use_counter_dropout(model)
    return model.train()


def _run(model, x, upstream, seed: int):
    torch.manual_seed(seed)  # the dropout seeds come from the default generator, as in training
    x = x.detach().clone().requires_grad_(True)
    out = model(x)
    (out.float() * upstream).sum().backward()
    grads = {name: param.grad.detach().clone() for name, param in model.named_parameters() if param.grad is not None}
    return out.detach(), x.grad.detach(), grads


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("dropout", [0.0, 0.2])
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
@pytest.mark.parametrize("keep_weight", [False, True], ids=["dequantize-again", "keep-weight"])
def test_fused_layers_equal_peft_layers(device, dropout, dtype, keep_weight):
    reference = _qlora_block(device, dtype, dropout)
    fused = copy.deepcopy(reference)
    assert use_fused_qlora(fused, keep_weight=keep_weight) == 2
    x = torch.randn(3, 37, 64, device=device, dtype=dtype)
    upstream = torch.randn(3, 37, 64, device=device)
    want_out, want_gx, want_grads = _run(reference, x, upstream, seed=11)
    got_out, got_gx, got_grads = _run(fused, x, upstream, seed=11)

    assert set(got_grads) == set(want_grads) and len(got_grads) == 4  # lora_A and lora_B of both layers
    pairs = {"output": (got_out, want_out), "input gradient": (got_gx, want_gx)}
    pairs |= {name: (got_grads[name], grad) for name, grad in want_grads.items()}
    if dtype == torch.float32:
        for name, (got, want) in pairs.items():
            torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4, msg=name)
            assert want.abs().sum() > 0
        return
    # bf16: both round differently, so each is held to the fp32 result of the same 4-bit layers;
    # the fused layer must be about as close to it as peft's
    truth_out, truth_gx, truth_grads = _run(_qlora_block(device, torch.float32, dropout), x.float(), upstream, seed=11)
    truths = {"output": truth_out, "input gradient": truth_gx} | truth_grads
    for name, (got, want) in pairs.items():
        fused_error, peft_error = _relative_error(got, truths[name]), _relative_error(want, truths[name])
        assert fused_error < 2 * peft_error + 5e-3, f"{name}: fused {fused_error:.2e} vs peft {peft_error:.2e}"


def _relative_error(got: torch.Tensor, want: torch.Tensor) -> float:
    return ((got.float() - want.float()).norm() / want.float().norm()).item()


def test_dropout_is_seeded_from_the_default_generator_and_off_in_eval():
    """With dropout on, a different seed changes the result: the fused layer really drops."""
    model = _qlora_block("cpu", torch.float32, 0.5)
    use_fused_qlora(model)
    x = torch.randn(2, 16, 64)
    upstream = torch.randn(2, 16, 64)
    a, _, _ = _run(model, x, upstream, seed=1)
    b, _, _ = _run(model, x, upstream, seed=1)
    c, _, _ = _run(model, x, upstream, seed=2)
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    model.eval()
    with torch.no_grad():  # eval: no dropout, so the seed does not matter
        torch.manual_seed(1)
        d = model(x)
        torch.manual_seed(2)
        torch.testing.assert_close(model(x), d)


def test_layers_outside_the_fused_case_keep_peft_forward():
    model = _qlora_block("cpu", torch.float32, 0.0)
    use_fused_qlora(model)
    x = torch.randn(2, 5, 64)
    fused = model(x)
    with model.disable_adapter():  # adapters off: peft's own forward, the base model alone
        base = model(x)
    inner = model.get_base_model()
    want = inner.down.base_layer(torch.relu(inner.up.base_layer(x)))
    torch.testing.assert_close(base, want)
    assert not torch.allclose(fused, base)


def test_the_ops_pass_torch_library_checks():
    x, lora_A, lora_B, weight = torch.randn(9, 5), torch.randn(4, 5), torch.randn(6, 4), torch.randn(6, 5)
    torch.library.opcheck(qlora_forward, (x, lora_A, lora_B, weight, 0.5))
    out, low_rank = qlora_forward(x, lora_A, lora_B, weight, 0.5)
    torch.testing.assert_close(low_rank, 0.5 * x @ lora_A.T)
    torch.testing.assert_close(out, low_rank @ lora_B.T + x @ weight.T)

    # a fresh seed per call: only the checks that do not rerun the op and compare
    torch.library.opcheck(qlora_dropout_forward, (x, lora_A, lora_B, weight, 0.5, 0.3), test_utils=("test_schema", "test_faketensor"))
    out, dropped, low_rank, seed = qlora_dropout_forward(x, lora_A, lora_B, weight, 0.5, 0.3)
    assert seed.device.type == "cpu" and seed.dtype == torch.int64
    torch.testing.assert_close(dropped, masked_scale(x, seed, 0.3))
    torch.testing.assert_close(out, 0.5 * dropped @ lora_A.T @ lora_B.T + x @ weight.T)

    grad_low_rank, grad = torch.randn(9, 4), torch.randn(9, 6)
    torch.library.opcheck(dropped_low_rank_then_base_mm, (grad_low_rank, lora_A, seed, 0.3, grad, weight))
    want = masked_scale(grad_low_rank @ lora_A, seed, 0.3) + grad @ weight
    torch.testing.assert_close(dropped_low_rank_then_base_mm(grad_low_rank, lora_A, seed, 0.3, grad, weight), want)
