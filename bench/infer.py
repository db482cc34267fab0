"""Benchmark of the infer stage's hf backend against one-generate-call-per-sample (issue 8).

Llama-2-7B- and Llama-3-8B-shaped models with random weights (built from configs, no download),
random-token prompts of ``--prompt-tokens`` tokens, ``--new-tokens`` new tokens with EOS ignored
(every sample runs full length), ``--samples`` samples x ``--papers`` papers, bf16:

(a) baseline: ``model.generate`` once per sample, one at a time, default SDPA (what the seeds
    did). It is timed on ``--baseline-reviews`` reviews (every review costs the same); the first
    review sees KV lengths new to the process (as every paper of a real job does), the later ones
    lengths already seen. Reviews/hour uses the later ones: the faster, conservative figure.
(b) reviewgpt: :func:`reviewgpt.infer._engine.generate_shared` (one prefill per paper, its KV
    shared by the samples, memory-sized batches), all papers x samples, timed end to end.

Run (on one H100, through the device tool)::

    PYTHONUNBUFFERED=1 python bench/infer.py --out $OUT

Writes ``infer_bench.json`` (and prints a table) into ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

SHAPES = {
    "llama2-7b": dict(
        model_type="llama", hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=32, vocab_size=32000, max_position_embeddings=4096,
        rope_parameters={"rope_type": "linear", "factor": 3.0, "rope_theta": 10000.0},
    ),
    "tiny": dict(  # for checking this script on a CPU: --shapes tiny --device cpu
        model_type="llama", hidden_size=64, intermediate_size=128, num_hidden_layers=2,
        num_attention_heads=4, num_key_value_heads=2, vocab_size=1000, max_position_embeddings=1024,
        rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 10000.0},
    ),
    "llama3-8b": dict(
        model_type="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
        num_attention_heads=32, num_key_value_heads=8, vocab_size=128256, max_position_embeddings=8192,
        rope_parameters={"rope_type": "linear", "factor": 2.0, "rope_theta": 500000.0},
    ),
}


def build_model(shape: str):
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    spec = dict(SHAPES[shape])
    model_type = spec.pop("model_type")
    rope = spec.pop("rope_parameters")
    config = AutoConfig.for_model(model_type, **spec, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    config.rope_parameters = rope
    config.max_position_embeddings = int(spec["max_position_embeddings"] * rope["factor"])
    torch.manual_seed(0)
    with torch.device(DEVICE):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16, attn_implementation="sdpa")
    return model.eval()


DEVICE = "cuda"


def sync() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.synchronize()


def reset_peak() -> None:
    import torch

    if DEVICE == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def peaks() -> dict:
    import torch

    if DEVICE != "cuda":
        return {"peak_allocated_gib": 0, "peak_reserved_gib": 0}
    return {"peak_allocated_gib": gib(torch.cuda.max_memory_allocated()),
            "peak_reserved_gib": gib(torch.cuda.max_memory_reserved())}


def gib(n: int) -> float:
    return round(n / 2**30, 2)


def run_baseline(model, prompts, args) -> dict:
    """One generate call per sample, default SDPA, sampling, EOS ignored."""
    import torch

    reset_peak()
    times = []
    for i in range(args.baseline_reviews):
        ids = torch.tensor([prompts[i % len(prompts)]], device=DEVICE)
        sync()
        start = time.perf_counter()
        out = model.generate(
            ids, do_sample=True, temperature=0.7, top_p=0.9, max_new_tokens=args.new_tokens,
            min_new_tokens=args.new_tokens, pad_token_id=0,
        )
        sync()
        times.append(time.perf_counter() - start)
        assert out.shape[1] == ids.shape[1] + args.new_tokens
        print(f"  baseline review {i}: {times[-1]:.1f} s", flush=True)
    steady = times[1:] or times
    per_review = sum(steady) / len(steady)
    return {
        "seconds_per_review_each": [round(t, 2) for t in times],
        "seconds_per_review_first": round(times[0], 2),
        "seconds_per_review": round(per_review, 2),
        "reviews_per_hour": round(3600 / per_review, 1),
        **peaks(),
    }


def run_reviewgpt(model, prompts, args, decode_attention: str) -> dict:
    import torch

    from reviewgpt.infer._engine import (
        KVShape,
        PromptBatchItem,
        SamplingParams,
        auto_cache_budget,
        generate_shared,
        plan_batches,
    )
    from reviewgpt.infer._processors import build_processors

    reset_peak()
    params = SamplingParams(max_new_tokens=args.new_tokens, temperature=0.7, stop_at_eos=False)
    processors = build_processors(temperature=0.7, top_p=0.9, repetition_penalty=1.0)
    lens = [len(p) for p in prompts]
    budget = auto_cache_budget(model, torch.device(DEVICE), max(lens), None)
    batches = plan_batches(lens, KVShape.of(model), args.samples, args.new_tokens, budget)
    generator = torch.Generator(device=DEVICE).manual_seed(0)
    sync()
    start = time.perf_counter()
    n_out = 0
    batch_seconds = []
    for batch in batches:
        t0 = time.perf_counter()
        outs = generate_shared(
            model, [PromptBatchItem(i, prompts[i]) for i in batch], args.samples, params, processors,
            eos_token_ids=[2], pad_token_id=0, generator=generator, decode_attention=decode_attention,
        )
        sync()
        batch_seconds.append(round(time.perf_counter() - t0, 2))
        assert all(len(o.token_ids) == args.new_tokens for o in outs)
        n_out += len(outs)
        print(f"  {decode_attention} batch of {len(batch)} papers: {batch_seconds[-1]} s", flush=True)
    seconds = time.perf_counter() - start
    return {
        "decode_attention": decode_attention,
        "reviews": n_out,
        "batches": [len(b) for b in batches],
        "batch_seconds": batch_seconds,
        "kv_budget_gib": gib(budget),
        "seconds": round(seconds, 2),
        "seconds_per_review": round(seconds / n_out, 3),
        "reviews_per_hour": round(3600 * n_out / seconds, 1),
        **peaks(),
    }


def check_equal_to_generate() -> dict:
    """Greedy tokens of the engine equal ``model.generate``'s (tiny float32 model, this device)."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from reviewgpt.infer._engine import PromptBatchItem, SamplingParams, generate_shared

    spec = dict(SHAPES["tiny"])
    spec.pop("model_type")
    spec.pop("rope_parameters")
    config = AutoConfig.for_model("llama", **spec, bos_token_id=1, eos_token_id=2, pad_token_id=0)
    torch.manual_seed(0)
    with torch.device(DEVICE):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.float32, attn_implementation="sdpa").eval()
    prompts = [torch.randint(3, 1000, (n,)).tolist() for n in (37, 120, 75)]
    result = {}
    for variant in ("sdpa", "matmul"):
        outs = generate_shared(
            model, [PromptBatchItem(i, p) for i, p in enumerate(prompts)], 2,
            SamplingParams(max_new_tokens=20, temperature=0, stop_at_eos=False), None,
            eos_token_ids=[2], pad_token_id=0, decode_attention=variant,
        )
        same = 0
        for out in outs:
            ids = torch.tensor([prompts[out.key]], device=DEVICE)
            ref = model.generate(ids, max_new_tokens=20, min_new_tokens=20, do_sample=False, pad_token_id=0)
            same += ref[0, ids.shape[1]:].tolist() == out.token_ids
        result[variant] = f"{same}/{len(outs)} samples equal to generate"
    print("check:", result, flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shapes", default="llama3-8b,llama2-7b")
    parser.add_argument("--prompt-tokens", type=int, default=10_000)
    parser.add_argument("--new-tokens", type=int, default=1_000)
    parser.add_argument("--papers", type=int, default=8)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--baseline-reviews", type=int, default=2)
    parser.add_argument("--variants", default="sdpa,matmul", help="decode attention kernels to time")
    parser.add_argument("--deadline-s", type=float, default=520, help="skip sections that would end past this")
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--out", type=Path, default=Path("."))
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device

    import torch
    import transformers

    began = time.perf_counter()
    results: dict = {
        "device": torch.cuda.get_device_name(0) if DEVICE == "cuda" else DEVICE,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "args": {k: str(v) for k, v in vars(args).items()},
        "shapes": {},
    }
    args.out.mkdir(parents=True, exist_ok=True)

    def save() -> None:
        (args.out / "infer_bench.json").write_text(json.dumps(results, indent=2))

    try:
        results["check"] = check_equal_to_generate()
    except Exception as exc:  # noqa: BLE001
        results["check"] = f"{type(exc).__name__}: {exc}"[:2000]
    save()
    variants = args.variants.split(",")
    shapes = args.shapes.split(",")
    # the first variant of every shape before any second variant: the headline figures come first
    plan = []
    for shape in shapes:
        plan += [(shape, "ours", variants[0]), (shape, "baseline", None)]
    plan += [(shape, "ours", v) for v in variants[1:] for shape in shapes]
    expected = {"ours": 70, "baseline": 140}
    models: dict = {}
    for shape, what, variant in plan:
        elapsed = time.perf_counter() - began
        if elapsed + expected[what] > args.deadline_s:
            print(f"skip {shape} {what} {variant or ''}: {elapsed:.0f} s elapsed", flush=True)
            continue
        if shape not in models:
            models.clear()
            reset_peak()
            models[shape] = build_model(shape)
        model = models[shape]
        rng = torch.Generator().manual_seed(1)
        vocab = model.config.vocab_size
        prompts = [torch.randint(3, vocab, (args.prompt_tokens,), generator=rng).tolist() for _ in range(args.papers)]
        entry = results["shapes"].setdefault(shape, {"weights_gib": gib(sum(p.numel() * 2 for p in model.parameters()))})
        print(f"{shape}: {what} {variant or ''}", flush=True)
        try:
            if what == "baseline":
                entry["baseline"] = run_baseline(model, prompts, args)
            else:
                entry[f"reviewgpt_{variant}"] = run_reviewgpt(model, prompts, args, variant)
        except Exception as exc:  # noqa: BLE001 - record and go on to the next section
            entry[f"error_{what}_{variant}"] = f"{type(exc).__name__}: {exc}"[:2000]
            print(f"  failed: {exc}", flush=True)
            reset_peak()
        save()

    print("\nshape      | path                 | s/review | reviews/h | peak alloc GiB | speedup")
    for shape, entry in results["shapes"].items():
        base = entry.get("baseline", {}).get("reviews_per_hour")
        for key, value in entry.items():
            if not isinstance(value, dict):
                continue
            speed = f"{value['reviews_per_hour'] / base:.1f}x" if base else "-"
            print(f"{shape:10} | {key:20} | {value['seconds_per_review']:8} | {value['reviews_per_hour']:9} | "
                  f"{value['peak_allocated_gib']:14} | {speed}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
