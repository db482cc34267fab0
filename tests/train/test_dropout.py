"""CounterDropout: the dropout rate and scale, one mask per seed, its gradient, and checkpoint recompute."""

from __future__ import annotations

import pytest
import torch
from torch.utils.checkpoint import checkpoint

from reviewgpt.train._dropout import CounterDropout, masked_scale, use_counter_dropout

DEVICES = ["cpu", pytest.param("cuda", marks=pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"))]


def _seed(value: int) -> torch.Tensor:
    return torch.tensor([value], dtype=torch.int64)  # seeds live on the CPU, whatever the input's device


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("p", [0.05, 0.3])
def test_rate_and_scale_keep_the_expectation(device, p):
    x = torch.ones(1_000_003, device=device, dtype=torch.bfloat16)  # not a multiple of the 8-element rows
    y = masked_scale(x, _seed(7), p).float()
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(p, abs=0.002)
    kept = y[y != 0]
    torch.testing.assert_close(kept, torch.full_like(kept, 1 / (1 - p)), rtol=0.01, atol=0)  # bf16 rounding
    assert y.mean().item() == pytest.approx(1.0, abs=0.01)


@pytest.mark.parametrize("device", DEVICES)
def test_a_seed_gives_one_mask_and_masks_do_not_repeat_across_seeds_or_positions(device):
    x = torch.randn(64, 1000, device=device)
    a, b, c = (masked_scale(x, _seed(s), 0.5) for s in (1, 1, 2))
    torch.testing.assert_close(a, b)
    assert ((a == 0) != (c == 0)).float().mean() > 0.4  # independent masks differ in about half the places
    rows = (a == 0).float()
    assert (rows[0] != rows[1]).float().mean() > 0.4  # no repeating pattern between neighbouring rows


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_is_the_same_mask_and_scale(device):
    x = torch.randn(4, 333, device=device, requires_grad=True)
    upstream = torch.randn(4, 333, device=device)
    y = masked_scale(x, _seed(3), 0.2)
    (grad,) = torch.autograd.grad((y * upstream).sum(), x)
    keep = (y != 0).float()
    torch.testing.assert_close(grad, keep * upstream / (1 - 0.2), rtol=1e-4, atol=1e-6)


def test_the_op_passes_torch_library_checks():
    x = torch.randn(3, 17, requires_grad=True)
    torch.library.opcheck(masked_scale, (x, _seed(5), 0.1))


@pytest.mark.parametrize("device", DEVICES)
def test_gradient_checkpointing_recomputes_the_same_masks(device):
    """The recompute draws the same seeds, so checkpointed gradients equal plain ones."""
    torch.manual_seed(0)
    weight = torch.randn(32, 32, device=device, requires_grad=True)
    dropout = CounterDropout(0.3).train()
    x = torch.randn(8, 32, device=device)

    def block(h):
        return torch.tanh(dropout(h) @ weight) @ weight

    grads = []
    for use_checkpoint in (False, True):
        torch.manual_seed(1)
        out = checkpoint(block, x, use_reentrant=False) if use_checkpoint else block(x)
        grads.append(torch.autograd.grad(out.square().sum(), weight)[0])
    torch.testing.assert_close(grads[0], grads[1])


def test_eval_mode_and_zero_rate_are_the_identity():
    x = torch.randn(5, 5)
    assert CounterDropout(0.5).eval()(x) is x
    assert CounterDropout(0.0).train()(x) is x
    with pytest.raises(ValueError, match="dropout rate must be in"):
        CounterDropout(1.0)


def test_lora_dropouts_of_a_peft_model_are_swapped():
    from peft import LoraConfig, get_peft_model

    base = torch.nn.Sequential(torch.nn.Linear(8, 8), torch.nn.ReLU(), torch.nn.Linear(8, 8))
    model = get_peft_model(base, LoraConfig(r=2, lora_alpha=4, lora_dropout=0.1, target_modules=["0", "2"]))
    assert use_counter_dropout(model) == 2
    dropouts = [m for m in model.modules() if isinstance(m, CounterDropout)]
    assert len(dropouts) == 2 and all(d.p == 0.1 for d in dropouts)
    assert not any(isinstance(m, torch.nn.Dropout) for m in model.modules())
    model.train()(torch.randn(4, 8)).sum().backward()  # trains
