"""Examples are tokenized with the shared prompt definition; the loss sees the review only."""

from __future__ import annotations

from transformers import AutoTokenizer

from reviewgpt.prompting import encode_prompt
from reviewgpt.train._data import PaddingCollator, encode_split


def test_prompt_is_masked_and_long_examples_are_reported(dataset, tiny_tokenizer_dir):
    tokenizer = AutoTokenizer.from_pretrained(tiny_tokenizer_dir)
    split = encode_split(dataset / "dataset" / "v1" / "train.jsonl", tokenizer, max_seq_len=4096)
    first = split.examples[0]
    prompt = encode_prompt(tokenizer, "Write a review of this paper.",
                           "[TITLE]\nA study of 0\n\n[ABSTRACT]\nWe study topic 0 with method 0 and find results.")
    assert first["input_ids"][: len(prompt)] == prompt
    assert first["labels"][: len(prompt)] == [-100] * len(prompt)
    assert first["labels"][len(prompt):] == first["input_ids"][len(prompt):]
    assert first["labels"][-1] == tokenizer.eos_token_id
    short = encode_split(dataset / "dataset" / "v1" / "train.jsonl", tokenizer, max_seq_len=len(prompt))
    assert short.examples == [] and [i for i, _ in short.too_long] == [f"paper{i}" for i in range(8)]


def test_collator_right_pads():
    batch = PaddingCollator(pad_token_id=3)([{"input_ids": [5, 6, 7], "labels": [-100, 6, 7]},
                                             {"input_ids": [8], "labels": [8]}])
    assert batch["input_ids"].tolist() == [[5, 6, 7], [8, 3, 3]]
    assert batch["labels"].tolist() == [[-100, 6, 7], [8, -100, -100]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1], [1, 0, 0]]
    alone = PaddingCollator(pad_token_id=3)([{"input_ids": [5, 6], "labels": [5, 6]}])
    assert "attention_mask" not in alone  # no padding: the causal fast path
