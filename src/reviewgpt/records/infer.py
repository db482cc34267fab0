"""``infer`` records: generated reviews (data/infer/<version>/predictions.jsonl)."""

from __future__ import annotations

from pydantic import Field

from reviewgpt.records.base import Record


class Prediction(Record):
    """One generated review of one paper (one sample of several)."""

    forum: str = Field(description="the paper's forum id")
    sample: int = Field(description="the sample's index, from 0")
    system: str = Field(description="the system that wrote it (`--system`, the run, the model or `openai:<model>`)")
    text: str = Field(
        description="the review in the text format (text before the first aspect header dropped), "
        "or the raw output when `unparsable`"
    )
    prompt_tokens: int = Field(0, description="tokens of the prompt")
    completion_tokens: int = Field(0, description="tokens generated")
    seconds: float = Field(0.0, description="wall seconds spent on this sample (a batch's time shared out)")
    unparsable: bool = Field(False, description="no aspect header could be parsed from the output")
    n_points: int = Field(0, description="points parsed from the review")
    empty_aspects: list[str] = Field([], description="aspects left without any point")
    prompt_truncated: bool = Field(False, description="the paper was cut to fit the prompt budget")
    finished: bool = Field(True, description="the sample ended with EOS (false: stopped at `max_new_tokens`)")
    backend: str = Field("", description="`hf:shared`, `hf:generate` or `openai`")
