"""training.compile: the compiled layers compute the eager function, for every sequence length, and train."""

from __future__ import annotations

import json

import pytest
import torch

from reviewgpt.config import load_config
from reviewgpt.errors import ConfigError
from reviewgpt.store import iter_jsonl
from reviewgpt.train import run
from reviewgpt.train._compile import nested_graph_breaks_work
from reviewgpt.train.config import TrainConfig

pytestmark = pytest.mark.slow

#: what LongLoRA (and configs/llama2-longqlora.yaml) trains in full besides the adapters
LONGLORA_FULL = ["embed_tokens", "input_layernorm", "post_attention_layernorm", "norm"]


def _loss_and_grads(model, ids: torch.Tensor) -> tuple[float, dict[str, torch.Tensor]]:
    from reviewgpt.train._loss import causal_lm_loss_sum
    from reviewgpt.train._model import backbone_and_head

    decoder, head = backbone_and_head(model)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
        total, count = causal_lm_loss_sum(hidden, ids, head, 16)
    (total / count).backward()
    grads = {name: p.grad.clone() for name, p in model.named_parameters() if p.requires_grad}
    model.zero_grad(set_to_none=True)
    return float(total / count), grads


@pytest.mark.parametrize(("s2attn", "modules_to_save", "dropout"),
                         [(True, [], 0.0), (False, [], 0.0), (True, LONGLORA_FULL, 0.0), (True, [], 0.1)],
                         ids=["s2attn", "sdpa", "s2attn-norms-embeddings-trained", "s2attn-lora-dropout"])
def test_compiled_layers_match_eager_for_any_length_without_recompiling(dataset, tiny_llama, make_config, s2attn,
                                                                         modules_to_save, dropout):
    """4-bit LoRA on all linears, gradient checkpointing, S2-Attn or SDPA, LongLoRA's trained norms and
    embeddings, LoRA dropout: same loss and gradients as eager.

    With dropout, the two runs are seeded alike and drop the same elements, in forward and in the
    checkpoint recompute: the fused 4-bit layers draw their seeds from the CPU generator at run time,
    and any random op Inductor compiles draws as eager does (``fallback_random``).
    """
    import torch._dynamo
    import torch._inductor.config
    from torch._dynamo.utils import counters

    from reviewgpt.train._model import build_model

    torch._dynamo.reset()
    counters.clear()
    def config(**training):
        cfg = make_config(dataset, tiny_llama, **training)
        cfg.model.s2attn = s2attn
        cfg.lora.modules_to_save = modules_to_save
        cfg.lora.dropout = dropout
        return cfg

    eager = build_model(config(), device_map="cpu").train()
    compiled = build_model(config(compile=True), device_map="cpu").train()
    trained = {name: p for name, p in eager.named_parameters() if p.requires_grad}
    with torch.no_grad():  # the same LoRA initialisation
        for name, p in compiled.named_parameters():
            if p.requires_grad:
                p.copy_(trained[name])
    lengths = (48, 61, 100, 77)  # the second length recompiles with dynamic shapes; no more after it
    for n in lengths:
        ids = torch.randint(3, 300, (1, n), generator=torch.Generator().manual_seed(n))
        torch.manual_seed(n)
        want_loss, want = _loss_and_grads(eager, ids)
        torch.manual_seed(n)
        with torch._inductor.config.patch(fallback_random=True):
            got_loss, got = _loss_and_grads(compiled, ids)
        assert got_loss == pytest.approx(want_loss, rel=2e-3)
        for name in want:  # bf16 compute: fused kernels round differently
            torch.testing.assert_close(got[name], want[name], atol=2e-3, rtol=0.05, msg=name)
        if n == lengths[0]:
            graphs_first = counters["stats"]["unique_graphs"]
        if n == lengths[1]:
            graphs_after_dynamic = counters["stats"]["unique_graphs"]
    assert graphs_after_dynamic > 0  # the layers did run compiled
    # all layers share their graphs: one with SDPA, two around S2-Attn's call (four without nested
    # graph breaks, torch < 2.13: the attention module's frame then compiles on its own, split in
    # two); and the final norm's. More would mean a break inside the layer, e.g. at a linear layer
    per_layer = (2 if nested_graph_breaks_work() else 4) if s2attn else 1
    assert graphs_first == per_layer + 1, (dict(counters["stats"]), dict(counters["graph_break"]))
    assert counters["stats"]["unique_graphs"] == graphs_after_dynamic  # 100 and 77 reused the dynamic graphs


@pytest.mark.parametrize("model", ["tiny_llama", "tiny_mistral"])
def test_compiled_run_trains(dataset, model, make_config, request):
    report = run(make_config(dataset, request.getfixturevalue(model), "c1", max_steps=8, save_steps=100, compile=True))
    losses = [r["loss"] for r in iter_jsonl(report.path / "metrics.jsonl") if "loss" in r]
    assert len(losses) == 8 and losses[-1] < losses[0] - 0.3, losses
    assert json.loads((report.path / "manifest.json").read_text())["extra"]["eval_loss"] is not None


def test_compile_on_an_unsupported_model_type_fails_before_loading(dataset, tiny_llama, make_config, monkeypatch):
    import reviewgpt.train._validate as validate

    monkeypatch.setattr(validate, "COMPILE_MODEL_TYPES", frozenset({"mistral"}))
    with pytest.raises(ConfigError, match="training.compile: not supported for model type 'llama'"):
        run(make_config(dataset, tiny_llama, "bad", compile=True))


def test_compile_with_zero3_is_a_config_error(tmp_path, tiny_llama):
    ds = tmp_path / "zero3.json"
    ds.write_text(json.dumps({"zero_optimization": {"stage": 3}}))
    yaml_file = tmp_path / "c.yaml"
    yaml_file.write_text(f"model:\n  name_or_path: {tiny_llama}\n  quant_storage: bfloat16\n"
                         f"training:\n  deepspeed: {ds}\n  compile: true\n")
    with pytest.raises(ConfigError, match="training.compile is not supported with DeepSpeed ZeRO-3"):
        load_config(TrainConfig, yaml_file)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU (offloading moves CUDA tensors)")
def test_offloaded_activations_give_the_same_loss_and_gradients(dataset, tiny_llama, make_config):
    from reviewgpt.train._loss import causal_lm_loss_sum
    from reviewgpt.train._model import backbone_and_head, build_model
    from reviewgpt.train._offload import OffloadToCpu

    model = build_model(make_config(dataset, tiny_llama, "off"), device_map={"": 0}).train()
    decoder, head = backbone_and_head(model)
    ids = torch.randint(3, 300, (1, 200), device="cuda", generator=torch.Generator("cuda").manual_seed(0))
    results = []
    for offload in (None, OffloadToCpu(min_bytes=0)):
        with torch.autocast("cuda", dtype=torch.bfloat16), offload or torch.autocast("cuda", enabled=True):
            hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
            total, count = causal_lm_loss_sum(hidden, ids, head, 16)
        total.backward()
        results.append((float(total), {n: p.grad.clone() for n, p in model.named_parameters() if p.requires_grad}))
        model.zero_grad(set_to_none=True)
    (want_loss, want), (got_loss, got) = results
    assert got_loss == want_loss
    for name in want:
        torch.testing.assert_close(got[name], want[name], rtol=0, atol=0, msg=name)
