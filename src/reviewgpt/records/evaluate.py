"""``evaluate`` records: matched key points per (system, paper, sample) (data/evaluate/<version>/matches.jsonl)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from reviewgpt.records.base import Record
from reviewgpt.reviewtext import ReviewPoint


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
    #: the aspect of each point, parallel to points_a / points_b
    aspects_a: list[str] = []
    aspects_b: list[str] = []


class HumanPoints(Record):
    """The key points an LLM extracted from one free-text human review (evaluate's human_points.jsonl)."""

    forum: str
    review_id: str
    points: list[ReviewPoint]
    extractor: str = ""
