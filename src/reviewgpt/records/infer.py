"""``infer`` records: generated reviews (data/infer/<version>/predictions.jsonl)."""

from __future__ import annotations

from reviewgpt.records.base import Record


class Prediction(Record):
    forum: str
    sample: int
    system: str
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    #: no aspect header could be parsed from the output
    unparsable: bool = False
