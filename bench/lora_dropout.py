"""Benchmark: LoRA dropout as a dropped copy + cuBLAS vs its mask made inside the LoRA products (CUDA).

For each [tokens, in] input and LoRA rank, side by side in one process, the median time of

- forward:  ``masked_scale(x)`` then ``dropped @ A^T``  vs  ``dropped_mm`` (one Triton kernel);
- grad of A: ``grad_low_rank^T @ dropped`` (the copy kept from forward)  vs  ``grad_of_a`` (the mask
  made again from the seed).

    python bench/lora_dropout.py --out bench-lora-dropout.json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from reviewgpt.train._dropout import masked_scale_into  # noqa: E402
from reviewgpt.train._dropout_matmul import dropped_mm, fusable, grad_of_a  # noqa: E402


def median_us(fn, repeats: int = 50) -> float:
    for _ in range(5):
        fn()
    times = []
    for _ in range(repeats):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) * 1000)
    return round(statistics.median(times), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tokens", type=int, default=12288)
    parser.add_argument("--shapes", default="4096x64,11008x64,14336x64,4096x16")
    parser.add_argument("--p", type=float, default=0.05)
    parser.add_argument("--out", type=Path, default=Path("bench-lora-dropout.json"))
    args = parser.parse_args()
    rows = []
    for shape in args.shapes.split(","):
        features, rank = (int(v) for v in shape.split("x"))
        x = torch.randn(args.tokens, features, device="cuda", dtype=torch.bfloat16)
        lora_A = torch.randn(rank, features, device="cuda", dtype=torch.bfloat16)
        grad_low_rank = torch.randn(args.tokens, rank, device="cuda", dtype=torch.bfloat16)
        dropped = masked_scale_into(x, torch.empty_like(x), 1, args.p)
        assert fusable(x, rank), shape
        row = {
            "tokens": args.tokens, "in": features, "rank": rank,
            "forward_copy_us": median_us(lambda: torch.mm(masked_scale_into(x, torch.empty_like(x), 1, args.p), lora_A.t())),
            "forward_fused_us": median_us(lambda: dropped_mm(x, lora_A, 1, args.p, 1.0)),
            "grad_a_copy_us": median_us(lambda: torch.mm(grad_low_rank.t(), dropped)),
            "grad_a_fused_us": median_us(lambda: grad_of_a(grad_low_rank, x, 1, args.p)),
            "masked_scale_us": median_us(lambda: masked_scale_into(x, torch.empty_like(x), 1, args.p)),
        }
        rows.append(row)
        print(row, flush=True)
    result = {"device": torch.cuda.get_device_name(), "torch": torch.__version__, "rows": rows,
              "command": " ".join(["bench/lora_dropout.py", *sys.argv[1:]])}
    args.out.write_text(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
