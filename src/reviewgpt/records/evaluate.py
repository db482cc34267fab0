"""``evaluate`` records: matched key points per (system, paper, sample) (data/evaluate/<version>/matches.jsonl)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reviewgpt.records.base import Record


class PointMatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    a: int  # 1-based index into points_a
    b: int  # 1-based index into points_b
    similarity: float  # 5..10 on the LLM judge's scale
    rationale: str = ""


class MatchResult(Record):
    forum: str
    system: str
    sample: int
    reference: str = "human"
    points_a: list[str]
    points_b: list[str]
    matches: list[PointMatch]
    hits: int
    hit_rate: float
    judge: str = ""
