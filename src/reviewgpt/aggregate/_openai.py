"""The ``openai`` aggregator: one JSON-mode chat call per paper, with all its reviews.

The prompt asks the model to merge the reviewers' points into the schema's aspects as short
titled points, to state nothing the reviews do not support and to leave an aspect empty rather
than invent one. The answer is read by the shared validator (:mod:`reviewgpt.llm.answers`; one
repair retry, by the shared client); titles and details are normalised so the rendered text
round-trips through :func:`reviewgpt.reviewtext.parse_review`.
"""

from __future__ import annotations

from reviewgpt.aggregate._selection import SourceReview
from reviewgpt.llm.answers import aspects_reader
from reviewgpt.prompts.aggregate import aggregate_messages
from reviewgpt.reviewtext import ASPECT_SCHEMAS


def build_messages(title: str, reviews: list[SourceReview], schema: str) -> list[dict[str, str]]:
    """The chat messages of one paper's aggregation call (the prompt is :mod:`reviewgpt.prompts.aggregate`)."""
    headed = [("Meta-review" if review.kind == "meta_review" else f"Review {i}", review.render())
              for i, review in enumerate(reviews, 1)]
    return aggregate_messages(title, headed, schema)


def schema_validator(schema: str):
    """A ``validate`` for :meth:`LLMClient.chat_json`: JSON -> ``{aspect: [ReviewPoint]}`` in schema order.

    The shared reader (:func:`reviewgpt.llm.answers.aspects_reader`) accepts the point shapes
    models write; a missing aspect or a review without any point is invalid (repaired once, then
    an item error).
    """
    return aspects_reader(ASPECT_SCHEMAS[schema])
