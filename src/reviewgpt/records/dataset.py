"""``build-dataset`` records: instruction examples (data/dataset/<version>/{train,val,test}.jsonl)."""

from __future__ import annotations

from reviewgpt.records.base import Record


class InstructionExample(Record):
    id: str  # the forum
    instruction: str
    input: str
    output: str
    input_tokens: int
    output_tokens: int
    truncated: bool = False
    venue_id: str | None = None
    schema: str = "4-aspect"
