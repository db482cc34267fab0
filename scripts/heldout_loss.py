#!/usr/bin/env python
"""Mean loss on the review tokens of a dataset split, with full attention, for a base model and adapters.

Each example is scored as training builds it (the chat-template prompt, then the review; the loss
covers the review tokens only), with plain full attention (SDPA), which is what inference uses.
A model trained with S2-Attn is thus scored the way it will be used.

    python scripts/heldout_loss.py --data-dir data --dataset neurips2025 --split val --limit 12 \\
        --base smollm2-135m-instruct --rope-factor 1.5 --adapter finetuned=data/train/smollm2-neurips/adapter

Prints one line per model: mean loss per review token (token-weighted) and the number of tokens.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--dataset", default=None)
    parser.add_argument("--split", default="val")
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--base", default="smollm2-135m-instruct")
    parser.add_argument("--rope-factor", type=float, default=None, help="linear RoPE scaling of the base")
    parser.add_argument("--adapter", action="append", default=[], help="label=path of a PEFT adapter")
    parser.add_argument("--device", default=None)
    args = parser.parse_args(argv)

    import torch
    from transformers import AutoTokenizer

    from reviewgpt.modeling import load_causal_lm
    from reviewgpt.models import resolve_model
    from reviewgpt.prompting import encode_example
    from reviewgpt.records.dataset import InstructionExample
    from reviewgpt.store import read_records, resolve_input

    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    dataset = resolve_input(args.data_dir, "dataset", args.dataset)
    examples = list(read_records(dataset.file(f"{args.split}.jsonl"), InstructionExample))[: args.limit]
    tokenizer = AutoTokenizer.from_pretrained(resolve_model(args.base))
    encoded = [encode_example(tokenizer, ex.instruction, ex.input, ex.output) for ex in examples]
    rope = {"rope_type": "linear", "factor": args.rope_factor} if args.rope_factor else None
    model = load_causal_lm(args.base, dtype="bfloat16" if device == "cuda" else "float32", rope_scaling=rope)
    model.to(device).eval()

    def score(net) -> tuple[float, int]:
        total, count = 0.0, 0
        with torch.no_grad():
            for enc in encoded:
                ids = torch.tensor([enc.input_ids], device=device)
                labels = torch.tensor([enc.labels], device=device)
                logits = net(input_ids=ids).logits[0, :-1].float()
                target = labels[0, 1:]
                keep = target != -100
                loss = torch.nn.functional.cross_entropy(logits[keep], target[keep], reduction="sum")
                total += loss.item()
                count += int(keep.sum())
        return total / count, count

    loss, count = score(model)
    print(f"base {args.base} (rope factor {args.rope_factor}): loss {loss:.4f} over {count} review tokens, {len(encoded)} examples")
    from peft import PeftModel

    for item in args.adapter:
        label, path = item.split("=", 1)
        tuned = PeftModel.from_pretrained(model, path).to(device).eval()
        loss, count = score(tuned)
        print(f"{label} ({path}): loss {loss:.4f} over {count} review tokens, {len(encoded)} examples")
        model = tuned.unload()
    return 0


if __name__ == "__main__":
    sys.exit(main())
