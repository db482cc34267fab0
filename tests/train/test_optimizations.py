"""Each training optimization's switch: the optimized model computes what the plain one does.

``training.compile`` is checked against eager in test_compile.py and ``model.s2attn`` against
reference attention in test_s2attn.py; the others are checked here on the tiny Llama, 4-bit.
"""

from __future__ import annotations

import pytest
import torch

pytest.importorskip("bitsandbytes", reason="needs the train extra: pip install -e '.[train]'")

pytestmark = pytest.mark.slow


def _build(cfg):
    from reviewgpt.train._model import build_model

    return build_model(cfg, device_map="cpu")


def _same_adapter(source, target) -> None:
    """Give ``target`` ``source``'s trainable weights, with a random LoRA B so every gradient is non-zero."""
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in source.named_parameters():
            if p.requires_grad and "lora_B" in name:
                p.normal_(std=0.05)
        trained = {name: p for name, p in source.named_parameters() if p.requires_grad}
        for name, p in target.named_parameters():
            if p.requires_grad:
                p.copy_(trained[name])


def _loss_and_grads(model, ids: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    from reviewgpt.train._loss import causal_lm_loss_sum
    from reviewgpt.train._model import backbone_and_head

    decoder, head = backbone_and_head(model)
    torch.manual_seed(seed)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
        total, count = causal_lm_loss_sum(hidden, ids, head, 16)
    loss = total / count
    if torch.is_grad_enabled():
        loss.backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.grad is not None}
    model.zero_grad(set_to_none=True)
    return loss.detach(), grads


def _ids() -> torch.Tensor:
    return torch.randint(3, 300, (1, 40), generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("switch", ["gradient_checkpointing", "fused_qlora"])
def test_switch_keeps_loss_and_gradients(dataset, tiny_llama, make_config, switch):
    from reviewgpt.train import optimizations

    on = _build(make_config(dataset, tiny_llama, **{switch: True})).train()
    off = _build(make_config(dataset, tiny_llama, **{switch: False})).train()
    _same_adapter(on, off)
    want_loss, want = _loss_and_grads(off, _ids())
    got_loss, got = _loss_and_grads(on, _ids())
    torch.testing.assert_close(got_loss, want_loss, rtol=2e-3, atol=1e-4)
    assert want and set(got) == set(want)
    for name in want:  # bf16 compute: the fused layer rounds in another order
        torch.testing.assert_close(got[name], want[name], rtol=0.05, atol=2e-3, msg=name)
    if switch == "fused_qlora":
        from peft.tuners.lora.bnb import Linear4bit

        fused = [m for m in on.modules() if isinstance(m, Linear4bit) and "forward" in vars(m)]
        plain = [m for m in off.modules() if isinstance(m, Linear4bit) and "forward" in vars(m)]
        assert fused and not plain  # the switch decides which forward the 4-bit layers run
    assert (optimizations.GRADIENT_CHECKPOINTING if switch == "gradient_checkpointing" else switch) in _applied(
        make_config(dataset, tiny_llama, **{switch: True})
    )


def _applied(cfg) -> list[str]:
    from peft import LoraConfig, get_peft_model

    from reviewgpt.modeling import load_causal_lm
    from reviewgpt.train.optimizations import apply_optimizations, attention_implementation

    model = load_causal_lm(cfg.model.name_or_path, dtype=cfg.model.dtype, load_in_4bit=True,
                           attn_implementation=attention_implementation(cfg), device_map="cpu")
    lora = LoraConfig(r=4, lora_dropout=cfg.lora.dropout, target_modules=["q_proj", "v_proj"])
    return apply_optimizations(model, cfg, wrap=lambda base: get_peft_model(base, lora))[1]


def test_counter_dropout_switch_keeps_the_model_and_still_drops(dataset, tiny_llama, make_config):
    """Masks differ between the two dropouts, so: equal without dropout (eval), and both drop in training."""
    from reviewgpt.train._dropout import CounterDropout

    def config(**training):
        cfg = make_config(dataset, tiny_llama, **training)
        cfg.lora.dropout = 0.3
        return cfg

    on, off = _build(config(counter_dropout=True)), _build(config(counter_dropout=False))
    _same_adapter(on, off)
    kinds = {model: {type(m) for m in model.modules() if isinstance(m, (CounterDropout, torch.nn.Dropout))}
             for model in (on, off)}
    assert kinds == {on: {CounterDropout}, off: {torch.nn.Dropout}}
    with torch.no_grad():
        eval_on, _ = _loss_and_grads(on.eval(), _ids())
        eval_off, _ = _loss_and_grads(off.eval(), _ids())
        train_on, _ = _loss_and_grads(on.train(), _ids())
        train_off, _ = _loss_and_grads(off.train(), _ids())
    torch.testing.assert_close(eval_on, eval_off, rtol=1e-3, atol=1e-4)
    assert train_on != eval_on and train_off != eval_off
    assert "counter_dropout" in _applied(config(counter_dropout=True))
    assert "counter_dropout" not in _applied(config(counter_dropout=False))


def test_gradient_checkpointing_is_on_before_the_lora_wrap(dataset, tiny_llama, make_config):
    """peft wraps layers transformers already checkpoints; the merged export relies on that order."""
    from peft import LoraConfig, get_peft_model

    from reviewgpt.modeling import load_causal_lm
    from reviewgpt.train.optimizations import apply_optimizations

    cfg = make_config(dataset, tiny_llama)
    model = load_causal_lm(cfg.model.name_or_path, dtype=cfg.model.dtype, load_in_4bit=True, device_map="cpu")
    seen: list[bool] = []

    def wrap(base):
        seen.append(base.is_gradient_checkpointing)
        return get_peft_model(base, LoraConfig(r=4, target_modules=["q_proj"]))

    _, applied = apply_optimizations(model, cfg, wrap)
    assert seen == [True]
    assert applied[0] == "gradient_checkpointing" and applied.index("fused_qlora") > 0


def test_the_adapter_initialisation_follows_training_seed(dataset, tiny_llama, make_config):
    """Two builds of one config start from the same LoRA weights; another seed, other weights."""

    def lora_a(seed: int) -> dict[str, torch.Tensor]:
        model = _build(make_config(dataset, tiny_llama, seed=seed))
        return {n: p.detach().float().clone() for n, p in model.named_parameters() if "lora_A" in n}

    first, again, other = lora_a(1), lora_a(1), lora_a(2)
    assert first and all(torch.equal(first[n], again[n]) for n in first)
    assert not all(torch.equal(first[n], other[n]) for n in first)
