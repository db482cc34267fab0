"""``aggregate-reviews`` records: one merged review per paper (data/aggregate/<version>/reviews.jsonl)."""

from __future__ import annotations

from reviewgpt.records.base import Record
from reviewgpt.reviewtext import ReviewPoint


class AggregatedReview(Record):
    forum: str
    schema: str  # "4-aspect" | "7-aspect"
    aspects: dict[str, list[ReviewPoint]]
    #: the aspects rendered with :func:`reviewgpt.reviewtext.render_review`
    text: str
    source_reviews: list[str]
    #: the rating each source review gave, as the venue wrote it (``"6: marginally above..."``)
    source_ratings: dict[str, str] = {}
    aggregator: str
    usage: dict[str, int] = {}
