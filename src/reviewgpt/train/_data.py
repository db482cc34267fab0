"""Instruction examples -> token ids with the prompt masked, and the padding collator."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewgpt.prompting import encode_example
from reviewgpt.records.dataset import InstructionExample
from reviewgpt.store import read_records

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase


@dataclass
class EncodedSplit:
    """Encoded examples of one split, and the ids left out with the reason."""

    examples: list[dict[str, list[int]]]
    too_long: list[tuple[str, int]]

    @property
    def tokens(self) -> int:
        return sum(len(e["input_ids"]) for e in self.examples)


def encode_split(
    path: Path, tokenizer: PreTrainedTokenizerBase, max_seq_len: int, limit: int | None = None
) -> EncodedSplit:
    """Read ``InstructionExample`` records and encode them with the shared prompt definition.

    Labels are -100 on the prompt, so the loss is on the review (and its EOS) only, exactly the
    tokens build-dataset counted. Examples longer than ``max_seq_len`` are left out (cutting
    them would train on a review of a paper the model did not see) and reported.
    """
    examples: list[dict[str, list[int]]] = []
    too_long: list[tuple[str, int]] = []
    for record in read_records(path, InstructionExample):
        if limit is not None and len(examples) >= limit:
            break
        encoded = encode_example(tokenizer, record.instruction, record.input, record.output)
        ids = encoded.input_ids
        if len(ids) > max_seq_len:
            too_long.append((record.id, len(ids)))
            continue
        examples.append({"input_ids": ids, "labels": encoded.labels})
    return EncodedSplit(examples, too_long)


class PaddingCollator:
    """Right-pads a batch: pad id in input_ids, -100 in labels, 0 in attention_mask.

    Right padding matters: S2-Attn and causal attention never let a real token see a pad after it.
    """

    def __init__(self, pad_token_id: int):
        self.pad_token_id = pad_token_id

    def __call__(self, batch: list[dict[str, Any]]) -> dict[str, torch.Tensor]:
        import torch

        width = max(len(item["input_ids"]) for item in batch)
        input_ids = torch.full((len(batch), width), self.pad_token_id, dtype=torch.long)
        labels = torch.full((len(batch), width), -100, dtype=torch.long)
        attention_mask = torch.zeros((len(batch), width), dtype=torch.long)
        for row, item in enumerate(batch):
            n = len(item["input_ids"])
            input_ids[row, :n] = torch.tensor(item["input_ids"])
            labels[row, :n] = torch.tensor(item["labels"])
            attention_mask[row, :n] = 1
        out = {"input_ids": input_ids, "labels": labels}
        if (attention_mask == 0).any():  # no mask at all lets SDPA / S2-Attn take the causal fast path
            out["attention_mask"] = attention_mask
        return out
