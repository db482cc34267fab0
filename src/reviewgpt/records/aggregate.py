"""``aggregate-reviews`` records: one merged review per paper (data/aggregate/<version>/reviews.jsonl)."""

from __future__ import annotations

from pydantic import Field

from reviewgpt.records.base import Record
from reviewgpt.reviewtext import ReviewPoint


class AggregatedReview(Record):
    """One merged review per paper."""

    forum: str = Field(description="the paper's OpenReview forum id")
    schema: str = Field(description="the review schema: `4-aspect` or `7-aspect`")
    aspects: dict[str, list[ReviewPoint]] = Field(description="the points under each aspect of the schema")
    text: str = Field(description="the aspects in the review text format (`reviewtext.render_review`)")
    source_reviews: list[str] = Field(description="ids of the replies merged (reviews, meta-review)")
    source_ratings: dict[str, str] = Field(
        {}, description="reply id -> the rating it gave, as the venue wrote it (`6: marginally above ...`)"
    )
    aggregator: str = Field(description="`structured` or `openai:<model>`")
    usage: dict[str, int] = Field({}, description="LLM tokens spent (`prompt_tokens`, `completion_tokens`)")
