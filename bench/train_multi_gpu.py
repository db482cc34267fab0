"""DeepSpeed runs of ``reviewgpt train`` through its own launcher, on the GPUs of one machine.

Each phase launches the real CLI (``reviewgpt train launch``) on a random-weight model built
from its config (no download) and a dataset version of examples of a fixed token length:

- ``zero2``: a Llama-2-7B shape, QLoRA r=64 on all seven linear layers, S2-Attn, ZeRO-2, on
  ``--gpus`` processes; the global batch is fixed (``--global-batch`` examples per optimizer step:
  grad-accum = global batch / GPUs), so N GPUs and 1 GPU see the same data in the same order
  and their losses must agree within bf16 noise. Reports tokens/s, s/step, losses, peak memory.
- ``nods``: the same on one GPU without DeepSpeed (with ``--compare-single``), for the losses.
- ``zero3``: a Mixtral-8x7B shape cut to ``--moe-layers`` layers (8 experts, top-2), QLoRA with
  ``quant_storage`` bf16 + ZeRO-3: trains, saves a checkpoint, resumes from it, saves the adapter.

Usage (one device call):
    python bench/train_multi_gpu.py --gpus 2 --phases zero2,zero3 --out mg.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

REPO = Path(__file__).resolve().parents[1]
LLAMA2 = dict(model_type="llama", hidden_size=4096, intermediate_size=11008, num_hidden_layers=32,
              num_attention_heads=32, num_key_value_heads=32, max_position_embeddings=4096)
MIXTRAL = dict(model_type="mixtral", hidden_size=4096, intermediate_size=14336, num_attention_heads=32,
               num_key_value_heads=8, num_local_experts=8, num_experts_per_tok=2, max_position_embeddings=32768)
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def make_tokenizer(out: Path):
    from reviewgpt.testing.sample_venue import sample_corpus
    from reviewgpt.testing.tiny import train_tokenizer

    if not (out / "tokenizer.json").exists():
        train_tokenizer(sample_corpus(20), out, vocab_size=4096)
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(out)


def make_checkpoint(spec: dict[str, Any], tokenizer, out: Path, layers: int | None = None) -> Path:
    """Random bf16 weights from ``spec`` (vocab 32,000), built on the GPU and saved with save_pretrained."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    if (out / "config.json").exists():
        return out
    extra = {"num_hidden_layers": layers} if layers else {}
    config = AutoConfig.for_model(
        **spec, **extra, vocab_size=32000, tie_word_embeddings=False,
        bos_token_id=tokenizer.bos_token_id, eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
    )
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    del model
    gc.collect()
    torch.cuda.empty_cache()
    return out


def make_dataset(data_dir: Path, version: str, tokenizer, n: int, seq: int) -> None:
    """``n`` train examples whose prompt + review is ``seq`` tokens or just under (the review is 1/8)."""
    from reviewgpt.prompting import encode_example, instruction_for
    from reviewgpt.records import InstructionExample
    from reviewgpt.store import StageRun
    from reviewgpt.testing.sample_venue import sample_corpus

    if (data_dir / "dataset" / version / "train.jsonl").exists():
        return
    corpus = sample_corpus(20)
    words = " ".join(corpus).split()
    instruction = instruction_for("4-aspect")
    with StageRun(data_dir, "dataset", version, records="train.jsonl", id_key="id") as run:
        for i in range(n):
            rotated = words[i * 37 % len(words):] + words
            review = "[Significance and novelty]\n<Point> " + " ".join(rotated[: seq // 10])
            body, hi = rotated * (seq // len(rotated) + 2), seq * 2
            lo = 0
            while lo < hi:  # the longest paper text that keeps the example within seq tokens
                mid = (lo + hi + 1) // 2
                length = len(encode_example(tokenizer, instruction, " ".join(body[:mid]), review).input_ids)
                lo, hi = (mid, hi) if length <= seq else (lo, mid - 1)
            enc = encode_example(tokenizer, instruction, " ".join(body[:lo]), review)
            run.append(InstructionExample(
                id=f"ex{i}", instruction=instruction, input=" ".join(body[:lo]), output=review,
                input_tokens=len(enc.input_ids) - sum(t != -100 for t in enc.labels),
                output_tokens=sum(t != -100 for t in enc.labels),
            ))


def write_config(path: Path, model: Path, *, zero: int | None, seq: int, steps: int, grad_accum: int,
                 s2attn: bool, quant_storage: bool, save_steps: int, targets: list[str]) -> Path:
    import yaml

    training: dict[str, Any] = {
        "max_seq_len": seq, "max_steps": steps, "grad_accum": grad_accum, "lr": 1e-4, "warmup_steps": 0,
        "optim": "adamw_torch", "gradient_checkpointing": True, "save_steps": save_steps, "logging_steps": 1,
        "lr_scheduler": "constant", "seed": 0,
    }
    if zero:
        training["deepspeed"] = str(REPO / "configs" / "deepspeed" / f"zero{zero}.json")
    cfg = {
        "model": {"name_or_path": str(model), "dtype": "bfloat16", "load_in_4bit": True, "s2attn": s2attn,
                  "rope_scaling": {"rope_type": "linear", "factor": 3.0} if seq > 4096 else None,
                  **({"quant_storage": "bfloat16"} if quant_storage else {})},
        "lora": {"r": 64, "alpha": 16, "dropout": 0.05, "target_modules": targets},
        "training": training,
    }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def launch(config: Path, data_dir: Path, run: str, gpus: int, launcher: str, resume: bool = False,
           sets: tuple[str, ...] = ()) -> dict[str, Any]:
    """``reviewgpt train launch`` (or plain ``reviewgpt train`` without DeepSpeed); metrics of the run."""
    env = {**os.environ, "NCCL_NVLS_ENABLE": "0", "TORCH_SYMM_MEM_DISABLE_MULTICAST": "1", "NVSHMEM_DISABLE_NVLS": "1"}
    common = ["--config", str(config), "--version", run, "--data-dir", str(data_dir)]
    for item in sets:
        common += ["--set", item]
    if launcher == "none":
        cmd = [sys.executable, "-m", "reviewgpt", "train", *common] + (["--resume"] if resume else [])
    else:
        cmd = [sys.executable, "-m", "reviewgpt", "train", "launch", *common, "--num-gpus", str(gpus),
               "--launcher", launcher] + (["--resume"] if resume else [])
    log("$ " + " ".join(cmd))
    start = time.perf_counter()
    proc = subprocess.run(cmd, env=env, text=True, capture_output=True)
    wall = time.perf_counter() - start
    tail = (proc.stdout + proc.stderr)[-4000:]
    if proc.returncode != 0:
        log(f"FAILED rc={proc.returncode}\n{tail}")
        return {"ok": False, "rc": proc.returncode, "tail": tail, "wall_s": round(wall, 1), "cmd": cmd}
    run_dir = data_dir / "train" / run
    metrics = [json.loads(line) for line in (run_dir / "metrics.jsonl").open()]
    steps = [m for m in metrics if "loss" in m]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    timed = steps[2:] if len(steps) > 4 else steps  # the first steps warm up kernels and the allocator
    return {
        "ok": True, "cmd": cmd, "wall_s": round(wall, 1),
        "losses": [round(m["loss"], 4) for m in steps],
        "tokens_per_s": round(sum(m["tokens_per_s"] for m in timed) / max(len(timed), 1), 1),
        "peak_mem_gib": max((m.get("peak_mem_gib", 0) for m in steps), default=None),
        "global_steps": manifest["extra"].get("global_steps"), "world_size": manifest["extra"].get("world_size"),
        "adapter_files": sorted(p.name for p in (run_dir / "adapter").iterdir()),
        "checkpoints": sorted(p.name for p in (run_dir / "checkpoints").iterdir())
        if (run_dir / "checkpoints").exists() else [],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gpus", type=int, default=2)
    parser.add_argument("--phases", default="zero2,zero3,nods")
    parser.add_argument("--seq", type=int, default=12288)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--global-batch", type=int, default=2, help="Examples per optimizer step (all GPUs).")
    parser.add_argument("--moe-layers", type=int, default=4)
    parser.add_argument("--moe-seq", type=int, default=4096)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/reviewgpt-mg"))
    parser.add_argument("--time-budget", type=float, default=520, help="Seconds; later phases are skipped after it.")
    parser.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                        help="Extra config override for the zero2 and nods runs, e.g. training.compile=true.")
    parser.add_argument("--out", type=Path, default=Path("bench-train-multi-gpu.json"))
    args = parser.parse_args()

    import torch

    start = time.perf_counter()
    results: dict[str, Any] = {"gpus": args.gpus, "device": torch.cuda.get_device_name(0),
                               "torch": torch.__version__, "phases": {}}

    def save() -> None:
        args.out.write_text(json.dumps(results, indent=1))

    work, data = args.workdir, args.workdir / "data"
    data.mkdir(parents=True, exist_ok=True)
    tokenizer = make_tokenizer(work / "tokenizer")
    phases = args.phases.split(",")
    tag = "".join(f"-{item.split('=')[0].split('.')[-1]}" for item in args.sets)  # a run name per setting
    results["sets"] = args.sets
    if args.global_batch % args.gpus:
        raise SystemExit("--global-batch must be a multiple of --gpus")
    if "zero2" in phases or "nods" in phases:
        log("building the Llama-2-7B-shaped checkpoint")
        llama = make_checkpoint(LLAMA2, tokenizer, work / "llama2-7b")
        make_dataset(data, "long", tokenizer, n=args.steps * args.global_batch, seq=args.seq)
    for phase in phases:
        if time.perf_counter() - start > args.time_budget:
            results["phases"][phase] = {"ok": False, "skipped": "time budget"}
            continue
        if phase == "zero2":
            cfg = write_config(work / "zero2.yaml", llama, zero=2, seq=args.seq, steps=args.steps,
                               grad_accum=args.global_batch // args.gpus, s2attn=True, quant_storage=False,
                               save_steps=args.steps, targets=ALL_LINEAR)
            results["phases"][phase] = launch(cfg, data, f"zero2-{args.gpus}gpu{tag}", args.gpus, "deepspeed",
                                              sets=("input=long", *args.sets))
        elif phase == "nods":
            cfg = write_config(work / "nods.yaml", llama, zero=None, seq=args.seq, steps=args.steps,
                               grad_accum=args.global_batch, s2attn=True, quant_storage=False,
                               save_steps=args.steps, targets=ALL_LINEAR)
            results["phases"][phase] = launch(cfg, data, f"nods-1gpu{tag}", 1, "none", sets=("input=long", *args.sets))
        elif phase == "zero3":
            log("building the Mixtral-shaped checkpoint")
            moe = make_checkpoint(MIXTRAL, tokenizer, work / "mixtral", layers=args.moe_layers)
            make_dataset(data, "moe", tokenizer, n=12 * args.gpus, seq=args.moe_seq)
            cfg = write_config(work / "zero3.yaml", moe, zero=3, seq=args.moe_seq, steps=4, grad_accum=1,
                               s2attn=False, quant_storage=True, save_steps=2,
                               targets=["q_proj", "k_proj", "v_proj", "o_proj"])
            run = f"zero3-{args.gpus}gpu"
            first = launch(cfg, data, run, args.gpus, "accelerate", sets=("input=moe",))
            results["phases"][phase] = {"first": first}
            save()
            if first.get("ok"):
                shutil.rmtree(data / "train" / run / "adapter")  # keep the checkpoints, resume to 6 steps
                results["phases"][phase]["resume"] = launch(
                    cfg, data, run, args.gpus, "accelerate", resume=True, sets=("input=moe", "training.max_steps=6"),
                )
        save()
    results["seconds"] = round(time.perf_counter() - start, 1)
    save()
    log(json.dumps({p: {k: v for k, v in r.items() if k not in ("tail", "cmd")} if isinstance(r, dict) else r
                    for p, r in results["phases"].items()}, indent=1))


if __name__ == "__main__":
    main()
