"""``infer`` records: generated reviews (data/infer/<version>/predictions.jsonl)."""

from __future__ import annotations

from reviewgpt.records.base import Record


class Prediction(Record):
    forum: str
    sample: int
    system: str
    #: the review in the text format (text before the first aspect header dropped), or the raw
    #: output when ``unparsable``
    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    #: wall seconds spent on this sample (a batch's time shared out over its samples)
    seconds: float = 0.0
    #: no aspect header could be parsed from the output
    unparsable: bool = False
    #: points parsed from the review, and aspects left without any
    n_points: int = 0
    empty_aspects: list[str] = []
    #: the paper was cut to fit the prompt budget
    prompt_truncated: bool = False
    #: the sample ended with EOS (False: stopped at max_new_tokens)
    finished: bool = True
    #: "hf:shared", "hf:generate" or "openai"
    backend: str = ""
