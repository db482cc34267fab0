"""``evaluate`` records: matched key points per (system, paper, sample) (data/evaluate/<version>/matches.jsonl)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from reviewgpt.records.base import Record
from reviewgpt.reviewtext import ReviewPoint


class PointMatch(BaseModel):
    """One matched pair of points."""

    model_config = ConfigDict(extra="forbid")

    a: int = Field(description="1-based index into `points_a` (the system's)")
    b: int = Field(description="1-based index into `points_b` (the reference's)")
    similarity: float = Field(
        description="on the judge's scale, from `evaluate.constants.SIMILARITY_MIN` (somewhat related) "
        "to `SIMILARITY_MAX` (the same point)"
    )
    rationale: str = Field("", description="the judge's reason")


class MatchResult(Record):
    """The matched key points of one generated review against one reference."""

    forum: str = Field(description="the paper's forum id")
    system: str = Field(description="the prediction's system")
    sample: int = Field(description="the prediction's sample")
    reference: str = Field(
        "human", description="`human` (the aggregated review) or `human:<review id>` (one human review)"
    )
    points_a: list[str] = Field(description="the system's points, `title: detail`")
    points_b: list[str] = Field(description="the reference's points, `title: detail`")
    matches: list[PointMatch] = Field(description="the matched pairs, each reference point used at most once")
    hits: int = Field(
        description="matches with similarity at or above the hit threshold "
        "(`evaluate.constants.HIT_THRESHOLD` unless the run set another)"
    )
    hit_rate: float = Field(description="hits over the system's points (0 when it has none)")
    judge: str = Field("", description="`embedding` or `openai:<model>`")
    aspects_a: list[str] = Field([], description="the aspect of each point of `points_a`")
    aspects_b: list[str] = Field([], description="the aspect of each point of `points_b`")


class HumanPoints(Record):
    """The key points extracted from one free-text human review (evaluate's human_points.jsonl)."""

    forum: str = Field(description="the paper's forum id")
    review_id: str = Field(description="the human review's reply id")
    points: list[ReviewPoint] = Field(description="its criticisms")
    extractor: str = Field("", description="`structured` or `openai:<model>`")
