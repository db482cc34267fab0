"""Benchmark: reviewgpt's LongQLoRA training step against the plain transformers + peft QLoRA stack.

Every stack of ``--stacks`` runs in this one process, on the same GPU, on the same random-weight
model saved from a config (no download) and loaded through ``from_pretrained`` with bitsandbytes nf4:

plain: ``prepare_model_for_kbit_training(use_gradient_checkpointing=True)`` + peft LoRA,
    ``model(input_ids, labels=...)`` under bf16 autocast (what a user would otherwise run);
reviewgpt: ``reviewgpt.train._model.build_model`` (no fp32 upcast, non-reentrant checkpointing)
    + ``causal_lm_loss_sum`` (chunked LM head + CE) under bf16 autocast, S2-Attn on for the
    timings and off for the loss comparison, the trainer's garbage-collection schedule
    (``training.gc_interval``) in the timed steps; ``reviewgpt+compile+offload`` adds training
    options (see OPTIONS).

Same LoRA targets (all seven linears, r=64, alpha=16, dropout 0.05), torch AdamW, batch 1.
Measures tokens/s and s/step (warm-up + 5 timed steps), peak allocated memory, the first 20
losses with S2-Attn off and LoRA dropout 0 (same function: they must agree), and the longest
sequence whose step fits in 24 GiB and in the whole GPU (a linear fit of peak memory over lengths,
then one verified step under a memory cap, stepping down on OOM). ``vs_plain`` in the output has
each reviewgpt stack's ratios to the plain stack of the same run.

    python bench/train.py --shape llama2-7b --stacks plain,reviewgpt+compile --skip-longest --out a.json
    python bench/train.py --shape llama2-7b --stacks plain,reviewgpt+compile+offload --budgets 24 --out c.json
    python bench/train.py --shape tiny --device cpu --seq 256   # smoke test of the script itself

With ``--config`` the job is a train config's instead of the fixed one above: the reviewgpt stack is
``build_model`` on that config (what ``reviewgpt train --config`` trains: the same optimizations, loss
chunk, activation offloading and garbage-collection schedule), the plain stack the transformers + peft
QLoRA stack set up for the same job (model, RoPE scaling, 4-bit loading, LoRA rank, alpha, dropout,
targets and modules_to_save, gradient checkpointing), both with the config's optimizer and learning
rate at its ``max_seq_len``, one process (``training.deepspeed`` is not used). ``--tiny`` swaps the
model for the random tiny Llama on the CPU, at a short length without compilation: a smoke test.

    python bench/train.py --config configs/llama2-longqlora.yaml --out llama2.json
    python bench/train.py --config configs/llama2-longqlora.yaml --random-shape llama2-7b --out llama2.json  # no hub
    python bench/train.py --config configs/smollm2-135m-neurips.yaml --tiny --out smoke.json
    python bench/train.py --config configs/mixtral-8x7b-qlora.yaml --random-shape mixtral-8x7b --layers 4 --out mx4.json
"""

from __future__ import annotations

import argparse
import gc
import gzip
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

SHAPES: dict[str, dict[str, Any]] = {
    "llama2-7b": dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096, rope_theta=10000.0,
                      rope_factor=3.0),
    "llama3-8b": dict(hidden_size=4096, intermediate_size=14336, num_hidden_layers=32, num_attention_heads=32,
                      num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192, rope_theta=500000.0,
                      rope_factor=1.5),
    # Mistral-7B-Instruct-v0.2 (mistral-7b-qlora.yaml): Llama-3's layer shape, Llama-2's vocabulary
    "mistral-7b": dict(model_type="mistral", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                       num_attention_heads=32, num_key_value_heads=8, vocab_size=32000,
                       max_position_embeddings=32768, sliding_window=None, rope_theta=1000000.0, rope_factor=1.0),
    # SmolLM2-135M-Instruct (smollm2-135m-neurips*.yaml, the embedded default): tied embeddings
    "smollm2-135m": dict(hidden_size=576, intermediate_size=1536, num_hidden_layers=30, num_attention_heads=9,
                         num_key_value_heads=3, vocab_size=49152, max_position_embeddings=8192, rope_theta=100000.0,
                         rope_factor=1.5, tie_word_embeddings=True),
    # Mixtral-8x7B-Instruct-v0.1 (mixtral-8x7b-qlora.yaml): Mistral's layer shape with 8 experts, 2 per token;
    # 93 GB in bf16, over the device's disk, so it is measured at fewer layers (--layers)
    "mixtral-8x7b": dict(model_type="mixtral", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                         num_attention_heads=32, num_key_value_heads=8, vocab_size=32000,
                         max_position_embeddings=32768, sliding_window=None, num_local_experts=8,
                         num_experts_per_tok=2, rope_theta=1000000.0, rope_factor=1.0),
    "tiny": dict(hidden_size=64, intermediate_size=128, num_hidden_layers=2, num_attention_heads=4,
                 num_key_value_heads=4, vocab_size=512, max_position_embeddings=128, rope_theta=10000.0,
                 rope_factor=3.0),
}
TARGETS = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
GIB = 2**30


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def make_checkpoint(shape: str, out: Path, device: str, layers: int | None = None) -> Path:
    """Random bf16 weights from the shape's config, saved with save_pretrained (no RoPE scaling yet).

    ``layers`` keeps only the first decoder layers of the shape. An earlier run's checkpoint in
    ``out`` is reused (same seed, same weights).
    """
    from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, MixtralConfig

    if (out / "config.json").exists() and any(out.glob("*.safetensors")):
        return out
    spec = {k: v for k, v in SHAPES[shape].items()
            if k not in ("rope_theta", "rope_factor", "model_type", "tie_word_embeddings")}
    if layers:
        spec["num_hidden_layers"] = layers
    config_cls = {"mistral": MistralConfig, "mixtral": MixtralConfig}.get(SHAPES[shape].get("model_type"), LlamaConfig)
    config = config_cls(**spec, rope_parameters={"rope_type": "default", "rope_theta": SHAPES[shape]["rope_theta"]},
                         tie_word_embeddings=SHAPES[shape].get("tie_word_embeddings", False))
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(out)
    del model
    gc.collect()
    return out


def rope_scaling(shape: str) -> dict[str, Any]:
    return {"rope_type": "linear", "factor": SHAPES[shape]["rope_factor"]}


def device_map(device: str):
    return {"": 0} if device == "cuda" else "cpu"


# ---------------------------------------------------------------------------------------- (a)


def build_plain(path: Path, shape: str, device: str, dropout: float):
    """The usual QLoRA stack, as the peft docs show it."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig

    config = AutoConfig.from_pretrained(path)
    config.rope_parameters = {**rope_scaling(shape), "rope_theta": SHAPES[shape]["rope_theta"]}
    bnb = BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                             bnb_4bit_compute_dtype=torch.bfloat16)
    model = AutoModelForCausalLM.from_pretrained(path, config=config, quantization_config=bnb, dtype=torch.bfloat16,
                                                 attn_implementation="sdpa", device_map=device_map(device))
    model.config.use_cache = False
    model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
    torch.manual_seed(1)
    lora = LoraConfig(r=64, lora_alpha=16, lora_dropout=dropout, target_modules=TARGETS, task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def plain_loss(model, ids: torch.Tensor) -> torch.Tensor:
    return model(input_ids=ids, labels=ids).loss


# ---------------------------------------------------------------------------------------- (b)


#: options of a reviewgpt stack, as ``reviewgpt+compile+offload`` in --stacks
OPTIONS = {
    "compile": "training.compile (each decoder layer's forward compiled, the checkpoint outside)",
    "offload": "training.offload_activations (saved activations in pinned CPU memory)",
    "nodrop": "LoRA dropout 0 instead of 0.05",
    "cppwrapper": "Inductor's C++ wrapper around the compiled graphs (less host time per call; stays set: list it last)",
    "peftlinear": "peft's own 4-bit LoRA layer forward instead of the fused one (training.fused_qlora: false)",
    "nonested": "Dynamo's nested graph breaks off: four compiled graphs per layer instead of two (for comparison)",
    "redequant": "the fused 4-bit layers dequantize their weight again in backward instead of keeping it (for comparison)",
    "dynall": "every dimension symbolic in the compiled graphs (dynamic=True, as before) instead of the sequence length alone (for comparison)",
    "ckptce": "the LM head + cross-entropy chunks checkpointed and run again in backward instead of the fused linear cross-entropy (for comparison)",
    "autogc": "Python's automatic garbage collection instead of training.gc_interval's schedule (for comparison)",
}


def build_reviewgpt(path: Path, shape: str, device: str, dropout: float, chunk: int, options: set[str]):
    from reviewgpt.train._model import build_model
    from reviewgpt.train.config import TrainConfig

    cfg = TrainConfig.model_validate({
        "model": {"name_or_path": str(path), "load_in_4bit": True, "rope_scaling": rope_scaling(shape),
                  "s2attn": True},
        "lora": {"r": 64, "alpha": 16, "dropout": dropout, "target_modules": TARGETS},
        "training": {"loss_chunk_size": chunk, "max_seq_len": 16, "compile": "compile" in options,
                     "fused_qlora": "peftlinear" not in options},
    })
    if "cppwrapper" in options:
        from torch._inductor import config as inductor_config

        inductor_config.cpp_wrapper = True
    import torch._dynamo

    torch._dynamo.reset()  # no compiled code of an earlier stack: each stack compiles as a fresh process would
    torch._dynamo.config.assume_static_by_default = "dynall" not in options  # False: what dynamic=True does
    torch.manual_seed(1)
    model = build_model(cfg, device_map=device_map(device))
    if "nonested" in options:  # before the first step, which compiles
        torch._dynamo.config.nested_graph_breaks = False
    if "redequant" in options:
        from reviewgpt.train._qlora_linear import use_fused_qlora

        use_fused_qlora(model, keep_weight=False)
    return model


class _OpaqueHead(torch.nn.Module):
    """The LM head behind a module the loss does not recognise as a plain linear (its checkpointed path)."""

    def __init__(self, head: torch.nn.Module):
        super().__init__()
        self.head = head

    def forward(self, x):
        return self.head(x)


def reviewgpt_loss(model, ids: torch.Tensor, chunk: int, offload=None, checkpointed_ce: bool = False) -> torch.Tensor:
    """The loss as ReviewTrainer computes it (offload: the trainer's OffloadToCpu context, or None)."""
    import contextlib

    from reviewgpt.train._loss import causal_lm_loss_sum
    from reviewgpt.train._model import backbone_and_head

    decoder, head = backbone_and_head(model)
    if checkpointed_ce:
        head = _OpaqueHead(head)
    with offload if offload is not None else contextlib.nullcontext():
        hidden = decoder(input_ids=ids, use_cache=False).last_hidden_state
        total, count = causal_lm_loss_sum(hidden, ids, head, chunk)
    return total / count


def set_s2attn(model, on: bool) -> None:
    model.get_base_model().set_attn_implementation("s2attn" if on else "sdpa")


def set_lora_dropout(model, p: float, remove: bool = False) -> None:
    """Set LoRA dropout to ``p``; ``remove`` swaps the modules for Identity (no kernel, no copy)."""
    for module in list(model.modules()):
        dropouts = getattr(module, "lora_dropout", None)
        if isinstance(dropouts, torch.nn.ModuleDict):
            for key, layer in dropouts.items():
                if remove:
                    dropouts[key] = torch.nn.Identity()
                elif isinstance(layer, torch.nn.Dropout):
                    layer.p = p


# ---------------------------------------------------------------------------------------- measuring


def batch(seq: int, vocab: int, step: int, device: str) -> torch.Tensor:
    """Deterministic tokens drawn from the first 2,000 ids: a distribution LoRA can learn in 20 steps."""
    gen = torch.Generator().manual_seed(1000 + step)
    return torch.randint(0, min(vocab, 2000), (1, seq), generator=gen).to(device)


def sync(device: str) -> None:
    if device == "cuda":
        torch.cuda.synchronize()


def one_step(model, opt, loss_fn, ids) -> float:
    from torch.profiler import record_function  # phases for the profile's idle report; no cost otherwise

    with record_function("forward+loss"), torch.autocast(ids.device.type, dtype=torch.bfloat16):
        loss = loss_fn(model, ids)
    with record_function("backward"):
        loss.backward()
    with record_function("optimizer"):
        opt.step()
        opt.zero_grad(set_to_none=True)
    return float(loss.detach())


def losses(model, opt, loss_fn, seq: int, vocab: int, device: str, steps: int = 20) -> list[float]:
    return [round(one_step(model, opt, loss_fn, batch(seq, vocab, s, device)), 5) for s in range(steps)]


def timed(model, opt, loss_fn, seq: int, vocab: int, device: str, warmup: int = 2, steps: int = 5,
          collection: Any = None) -> dict[str, float]:
    # the first warm-up step is shorter: compiled layers then time the graphs that a run over examples of
    # varying length uses (sequence length symbolic), not graphs specialised to this one length
    for s in range(warmup):
        one_step(model, opt, loss_fn, batch(seq - 64 if s == 0 and seq > 128 else seq, vocab, s, device))
    sync(device)
    if collection is not None:  # the trainer's schedule: started with training, a step per optimizer step
        collection.start()
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    ends = []
    for s in range(steps):
        one_step(model, opt, loss_fn, batch(seq, vocab, 100 + s, device))  # ends reading the loss: a sync
        if collection is not None:
            collection.step(s + 1)
        ends.append(time.perf_counter())
    sync(device)
    sec = (time.perf_counter() - t0) / steps
    per_step = [round(b - a, 3) for a, b in zip([t0, *ends], ends, strict=False)]
    if collection is not None:
        collection.stop()
    median = statistics.median(per_step)
    out = {"seq": seq, "s_per_step": round(sec, 3), "tokens_per_s": round(seq / sec, 1), "steps_s": per_step,
           "median_s_per_step": median, "median_tokens_per_s": round(seq / median, 1)}
    if device == "cuda":
        out["peak_alloc_gib"] = round(torch.cuda.max_memory_allocated() / GIB, 2)
        out["peak_reserved_gib"] = round(torch.cuda.max_memory_reserved() / GIB, 2)
    return out


def peak_of_step(model, opt, loss_fn, seq: int, vocab: int, device: str) -> float | None:
    """Peak allocated GiB of one step at ``seq``; None on OOM."""
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats()
    try:
        one_step(model, opt, loss_fn, batch(seq, vocab, 7, device))
        sync(device)
    except torch.OutOfMemoryError:
        opt.zero_grad(set_to_none=True)
        return None
    return torch.cuda.max_memory_allocated() / GIB


def longest(model, opt, loss_fn, vocab: int, device: str, budget_gib: float, probes: list[int], deadline: float) -> dict:
    """Fit peak = a + b*seq on ``probes``, then verify the predicted length under a memory cap."""
    points = [(s, peak_of_step(model, opt, loss_fn, s, vocab, device)) for s in probes]
    points = [(s, p) for s, p in points if p is not None]
    (s1, p1), (s2, p2) = points[0], points[-1]
    slope = (p2 - p1) / (s2 - s1)
    predicted = int((budget_gib - p1) / slope + s1)
    total = torch.cuda.get_device_properties(0).total_memory / GIB
    torch.cuda.set_per_process_memory_fraction(min(1.0, budget_gib / total))
    verified = None
    seq = predicted // 1024 * 1024
    try:
        for _ in range(4):
            if time.monotonic() > deadline:
                break
            peak = peak_of_step(model, opt, loss_fn, seq, vocab, device)
            log(f"  longest probe seq={seq}: {'OOM' if peak is None else f'{peak:.2f} GiB'}")
            if peak is not None:
                verified = seq
                break
            seq = int(seq * 0.92) // 1024 * 1024
    finally:
        torch.cuda.set_per_process_memory_fraction(1.0)
    return {"budget_gib": round(budget_gib, 1), "fit_points": [(s, round(p, 2)) for s, p in points],
            "gib_per_1k_tokens": round(slope * 1024, 3), "predicted": predicted, "verified": verified}


def profile_step(model, opt, loss_fn, seq: int, vocab: int, device: str, stack: str, trace_dir: Path) -> dict:
    """Print where one step's GPU time goes (top kernels) and where the GPU waits (idle report).

    The chrome trace is kept as ``trace_dir/trace-<stack>.json.gz``.
    """
    from _gpu_trace import idle_report
    from torch.profiler import ProfilerActivity, profile

    with profile(activities=[ProfilerActivity.CPU, ProfilerActivity.CUDA]) as prof:
        one_step(model, opt, loss_fn, batch(seq, vocab, 9, device))
        sync(device)
    print(f"--- {stack}: one step at {seq}, top kernels by GPU time")
    print(prof.key_averages().table(sort_by="cuda_time_total", row_limit=60, max_name_column_width=90))
    trace_dir.mkdir(parents=True, exist_ok=True)
    raw = trace_dir / f"trace-{stack.replace('+', '_')}.json"
    prof.export_chrome_trace(str(raw))
    report = idle_report(raw)
    with open(raw, "rb") as src, gzip.open(f"{raw}.gz", "wb") as dst:
        shutil.copyfileobj(src, dst)
    raw.unlink()
    print(f"--- {stack}: device idle report {json.dumps(report, indent=1)}")
    return report


def measure(stack: str, args, path: Path, results: dict, save) -> None:
    device, vocab = args.device, SHAPES[args.shape]["vocab_size"]
    t0 = time.monotonic()
    deadline = t0 + args.time_budget  # per stack, so a slow search on (a) cannot starve (b)
    name, *opts = stack.split("+")
    options = set(opts)
    dropout = 0.0 if "nodrop" in options else 0.05
    if name == "plain":
        model = build_plain(path, args.shape, device, dropout=dropout)
        loss_fn = plain_loss
    else:
        from reviewgpt.train._offload import OffloadToCpu

        model = build_reviewgpt(path, args.shape, device, dropout=dropout, chunk=args.chunk, options=options)
        offload = OffloadToCpu() if "offload" in options and device == "cuda" else None

        def loss_fn(m, ids):
            return reviewgpt_loss(m, ids, args.chunk, offload, checkpointed_ce="ckptce" in options)
    model.train()  # HF disables gradient checkpointing (and S2-Attn falls back to full attention) in eval mode
    res: dict[str, Any] = {"load_s": round(time.monotonic() - t0, 1),
                           "trainable_params": model.get_nb_trainable_parameters()[0]}
    results[stack] = res
    opt = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr)
    if not args.skip_losses:
        if name == "reviewgpt":
            set_s2attn(model, False)
        set_lora_dropout(model, 0.0)
        res["losses_s2attn_off"] = losses(model, opt, loss_fn, args.loss_seq, vocab, device)
        log(f"{stack} losses: {res['losses_s2attn_off'][:3]} ... {res['losses_s2attn_off'][-3:]}")
        set_lora_dropout(model, dropout)
        save()
        if name == "reviewgpt":
            set_s2attn(model, True)
    if name == "reviewgpt" and args.s2attn_off:
        set_s2attn(model, False)
        res["timed_s2attn_off"] = timed(model, opt, loss_fn, args.seq, vocab, device)
        log(f"{stack} S2-Attn off: {res['timed_s2attn_off']}")
        set_s2attn(model, True)
    collection = None
    if name == "reviewgpt" and "autogc" not in options:
        from reviewgpt.train._gc import ScheduledCollection
        from reviewgpt.train.config import TrainingSection

        collection = ScheduledCollection(TrainingSection.model_fields["gc_interval"].default)
    res["timed"] = timed(model, opt, loss_fn, args.seq, vocab, device, warmup=3 if "compile" in options else 2,
                         collection=collection)
    log(f"{stack}: {res['timed']}")
    save()
    if args.profile and device == "cuda" and (args.profile_stacks is None or stack in args.profile_stacks.split(",")):
        res["profile_idle"] = profile_step(model, opt, loss_fn, args.seq, vocab, device, stack, args.out.parent)
        save()
    if not args.skip_longest and device == "cuda":
        total = torch.cuda.get_device_properties(0).total_memory / GIB
        for name in args.budgets.split(","):
            budget = 24.0 if name == "24" else total - 1.5
            scale = 1 if name == "24" else 2  # probe nearer the answer for the whole GPU
            probes = ([args.seq // 2, args.seq, args.seq * 3 // 2] if name == "plain" else [args.seq, args.seq * 2])
            probes = [p * scale for p in probes]
            if time.monotonic() > deadline:
                res.setdefault("skipped", []).append(f"longest in {budget:.0f} GiB: out of time")
                continue
            key = f"longest_{round(budget)}gib"
            res[key] = longest(model, opt, loss_fn, vocab, device, budget, probes, deadline)
            log(f"{stack} {key}: {res[key]}")
            save()
    del model, opt
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()


# ---------------------------------------------------------------------------------------- --config


def config_job(args) -> Any:
    """The train config to measure; with ``--tiny``, its job on the random tiny Llama, on the CPU."""
    from reviewgpt.config import load_config
    from reviewgpt.train.config import TrainConfig

    sets: list[str] = []
    if args.random_shape and not args.tiny:
        # no hub here: a random checkpoint of the config's model shape stands in for its weights
        name = f"random-{args.random_shape}" + (f"-{args.layers}l" if args.layers else "")
        path = make_checkpoint(args.random_shape, _workdir(args) / name, args.device, args.layers)
        sets = [f"model.name_or_path={path}"]
    if args.tiny:
        path = make_checkpoint("tiny", Path(args.workdir or tempfile.gettempdir()) / "random-tiny", "cpu")
        sets = [f"model.name_or_path={path}", "model.attn_implementation=sdpa", f"training.max_seq_len={args.seq}",
                "training.compile=false", "training.offload_activations=false", "training.deepspeed=null"]
    return load_config(TrainConfig, Path(args.config), sets=sets + list(args.set or []))


def config_optimizer(cfg: Any, device: str):
    """The config's optimizer as the trainer builds it (``training.optim`` and ``training.lr``), for either stack."""
    from transformers import Trainer, TrainingArguments

    t = cfg.training
    optim = t.optim if device == "cuda" or not t.optim.startswith("paged_") else "adamw_torch"  # as reviewgpt train
    targs = TrainingArguments(output_dir=tempfile.gettempdir(), optim=optim, learning_rate=t.lr,
                              weight_decay=t.weight_decay, report_to="none", use_cpu=device != "cuda")
    cls, kwargs = Trainer.get_optimizer_cls_and_kwargs(targs)

    def make(model):
        return cls([p for p in model.parameters() if p.requires_grad], **kwargs)

    return make, optim


def build_plain_for(cfg: Any, device: str):
    """The transformers + peft QLoRA stack configured for ``cfg``'s job."""
    from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
    from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig

    from reviewgpt.models import resolve_model

    m = cfg.model
    path = resolve_model(m.name_or_path)
    config = AutoConfig.from_pretrained(path)
    if m.rope_scaling:
        config.rope_parameters = {**(getattr(config, "rope_parameters", None) or {}), **m.rope_scaling}
    dtype = getattr(torch, m.dtype)
    kwargs: dict[str, Any] = {}
    if m.load_in_4bit:
        kwargs["quantization_config"] = BitsAndBytesConfig(
            load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True, bnb_4bit_compute_dtype=dtype)
    model = AutoModelForCausalLM.from_pretrained(path, config=config, dtype=dtype, attn_implementation="sdpa",
                                                 device_map=device_map(device), **kwargs)
    model.config.use_cache = False
    if m.load_in_4bit:
        model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=cfg.training.gradient_checkpointing)
    elif cfg.training.gradient_checkpointing:
        model.gradient_checkpointing_enable()
        model.enable_input_require_grads()
    torch.manual_seed(1)
    lora = LoraConfig(r=cfg.lora.r, lora_alpha=cfg.lora.alpha, lora_dropout=cfg.lora.dropout,
                      target_modules=list(cfg.lora.target_modules),
                      modules_to_save=list(cfg.lora.modules_to_save) or None, task_type="CAUSAL_LM")
    return get_peft_model(model, lora)


def measure_config_stack(stack: str, cfg: Any, args) -> dict[str, Any]:
    """Load one stack for the config's job, then its first losses (S2-Attn off, no dropout) and its timed steps."""
    from reviewgpt.train._gc import ScheduledCollection
    from reviewgpt.train._model import build_model
    from reviewgpt.train._offload import OffloadToCpu

    device, t = args.device, cfg.training
    t0 = time.monotonic()
    collection = None
    if stack == "plain":
        model, loss_fn = build_plain_for(cfg, device), plain_loss
    else:
        torch.manual_seed(1)
        model = build_model(cfg, device_map=device_map(device))
        offload = OffloadToCpu() if t.offload_activations and device == "cuda" else None
        collection = ScheduledCollection(t.gc_interval)

        def loss_fn(m, ids):
            return reviewgpt_loss(m, ids, t.loss_chunk_size, offload)
    model.train()
    make_optimizer, optim = config_optimizer(cfg, device)
    opt = make_optimizer(model)
    vocab = model.get_base_model().config.vocab_size
    res: dict[str, Any] = {"load_s": round(time.monotonic() - t0, 1), "optimizer": optim,
                           "trainable_params": model.get_nb_trainable_parameters()[0]}
    steps = 3 if args.tiny else 20
    if cfg.model.s2attn and stack != "plain":
        set_s2attn(model, False)
    set_lora_dropout(model, 0.0)
    res["losses_s2attn_off"] = losses(model, opt, loss_fn, min(args.loss_seq, t.max_seq_len), vocab, device, steps)
    set_lora_dropout(model, cfg.lora.dropout)
    if cfg.model.s2attn and stack != "plain":
        set_s2attn(model, True)
    res["timed"] = timed(model, opt, loss_fn, t.max_seq_len, vocab, device, warmup=1 if args.tiny else 3,
                         steps=2 if args.tiny else 5, collection=collection)
    log(f"{stack}: {res['timed']}")
    del model, opt
    gc.collect()
    if device == "cuda":
        torch.cuda.empty_cache()
    return res


def run_config(args) -> dict[str, Any]:
    """``--config``: the plain stack and ``reviewgpt train``'s on the config's job; results as JSON."""
    import peft
    import transformers

    if args.tiny:
        args.device = "cpu"
    cfg = config_job(args)
    results: dict[str, Any] = {
        "config": str(args.config), "tiny": args.tiny, "random_shape": args.random_shape, "layers": args.layers,
        "seq": cfg.training.max_seq_len,
        "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "command": " ".join(sys.argv),
    }
    stacks = args.stacks.split(",")  # the order matters (the second stack runs on a warmed-up GPU): swap it in a second run
    if sorted(stacks) != ["plain", "reviewgpt"]:
        raise SystemExit("--config compares the two stacks: --stacks plain,reviewgpt or reviewgpt,plain")
    for stack in stacks:
        results[stack] = measure_config_stack(stack, cfg, args)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))
    compare(results, stacks)
    args.out.write_text(json.dumps(results, indent=2))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--shape", choices=sorted(SHAPES), default="llama2-7b")
    parser.add_argument("--seq", type=int, default=12288)
    parser.add_argument("--loss-seq", type=int, default=4096, help="Sequence length of the 20-loss comparison.")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--chunk", type=int, default=2048, help="reviewgpt's loss chunk (tokens).")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--stacks", default="plain,reviewgpt",
                        help="Comma-separated: plain, reviewgpt, reviewgpt+OPTION[+OPTION] with OPTION in "
                        + ", ".join(f"{k} ({v})" for k, v in OPTIONS.items()) + "; plain+nodrop too.")
    parser.add_argument("--s2attn-off", action="store_true", help="Also time reviewgpt stacks with S2-Attn off.")
    parser.add_argument("--skip-losses", action="store_true")
    parser.add_argument("--skip-longest", action="store_true")
    parser.add_argument("--budgets", default="24,whole", help="Memory budgets of the longest-sequence search.")
    parser.add_argument("--profile", action="store_true",
                        help="Print a kernel profile and a device idle report of one step of each stack.")
    parser.add_argument("--profile-stacks", default=None, help="Comma-separated stacks to profile (default: all).")
    parser.add_argument("--time-budget", type=float, default=240, help="Seconds per stack; optional phases stop after it.")
    parser.add_argument("--workdir", default=None, help="Where the random checkpoint is written.")
    parser.add_argument("--out", type=Path, default=Path("bench-train.json"))
    parser.add_argument("--config", type=Path, default=None,
                        help="Measure this train config's job (the reviewgpt stack and the plain one) instead of --shape's.")
    parser.add_argument("--random-shape", choices=sorted(SHAPES), default=None,
                        help="With --config: random weights of this shape instead of the config's model "
                             "(where the hub cannot be reached).")
    parser.add_argument("--layers", type=int, default=None,
                        help="With --random-shape: keep only this many decoder layers (a model too large for the "
                             "disk or GPU; time the ratio at two depths and extrapolate per layer).")
    parser.add_argument("--set", action="append", metavar="KEY=VALUE",
                        help="With --config: override a config key, as `reviewgpt train --set` does (repeatable).")
    parser.add_argument("--tiny", action="store_true",
                        help="With --config: the random tiny Llama on the CPU at --seq tokens (default 96), no compile.")
    args = parser.parse_args()
    if args.config is not None:
        if args.tiny and args.seq == parser.get_default("seq"):
            args.seq = 96
        results = run_config(args)
        print(json.dumps(results.get("vs_plain", {}), indent=1))
        return
    if args.shape == "tiny":
        args.loss_seq = min(args.loss_seq, args.seq)

    import peft
    import transformers

    results: dict[str, Any] = {
        "shape": args.shape, "seq": args.seq, "device": torch.cuda.get_device_name(0) if args.device == "cuda" else "cpu",
        "versions": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "lora": {"r": 64, "alpha": 16, "dropout": 0.05, "targets": TARGETS}, "command": " ".join(sys.argv),
    }

    def save() -> None:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(results, indent=2))

    path = _workdir(args) / f"random-{args.shape}"
    t0 = time.monotonic()
    make_checkpoint(args.shape, path, args.device)
    results["checkpoint_s"] = round(time.monotonic() - t0, 1)
    log(f"random checkpoint in {path} ({results['checkpoint_s']} s)")
    for stack in args.stacks.split(","):
        measure(stack, args, path, results, save)
    stacks = args.stacks.split(",")
    compare(results, stacks)
    save()
    print(json.dumps({k: v for k, v in results.items() if k not in stacks}, indent=1))
    for stack in stacks:
        r = results.get(stack, {})
        lines = [f"{stack:28s} {r.get('timed')}"]
        lines += [f"{'':28s} {k}: predicted {v['predicted']} verified {v['verified']}"
                  for k, v in r.items() if k.startswith("longest")]
        print("\n".join(lines))


def compare(results: dict, stacks: list[str]) -> None:
    """Each reviewgpt stack against plain: tokens/s ratio, verified-length ratio, largest loss difference."""
    if "plain" not in results:
        return
    plain = results["plain"]
    for stack in stacks:
        r = results.get(stack)
        if stack == "plain" or not r or "timed" not in r:
            continue
        out = {"speedup": round(r["timed"]["tokens_per_s"] / plain["timed"]["tokens_per_s"], 3),
               "median_speedup": round(r["timed"]["median_tokens_per_s"] / plain["timed"]["median_tokens_per_s"], 3)}
        for key, value in r.items():
            if key.startswith("longest") and key in plain and value.get("verified") and plain[key].get("verified"):
                out[f"{key}_ratio"] = round(value["verified"] / plain[key]["verified"], 3)
        la, lb = plain.get("losses_s2attn_off"), r.get("losses_s2attn_off")
        if la and lb:
            out["max_loss_diff"] = round(max(abs(x - y) for x, y in zip(la, lb, strict=True)), 5)
        results.setdefault("vs_plain", {})[stack] = out


def _workdir(args) -> Path:
    """Where random checkpoints go: ``--workdir``, else /dev/shm when it has room (fast loads), else the temp dir."""
    if args.workdir:
        return Path(args.workdir)
    return Path("/dev/shm" if os.path.isdir("/dev/shm") and _free_gib("/dev/shm") > 40 else tempfile.gettempdir())


def _free_gib(path: str) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / GIB


if __name__ == "__main__":
    main()
