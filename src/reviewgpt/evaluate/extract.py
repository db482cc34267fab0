"""Key points of free-text human reviews, extracted by an LLM (JSON mode).

As in Liang et al. 2023, the extraction keeps the criticisms: the concerns, doubts and requests a
reviewer raises, not the summary of the paper or the praise. The prompt is our own wording.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from reviewgpt.llm.answers import read_point_list
from reviewgpt.records.crawl import Reply
from reviewgpt.reviewtext import ReviewPoint

if TYPE_CHECKING:
    from reviewgpt.llm import LLMClient

EXTRACT_INSTRUCTIONS = """\
You read one peer review of a scientific paper and list the criticisms it raises: the \
weaknesses, concerns, doubts, missing pieces and requested changes. Leave out the reviewer's \
summary of the paper, praise, and remarks about typos or formatting.

Give each criticism a short title of a few words and one or two sentences of detail that keep \
the reviewer's meaning. Keep the order of the review and merge points the reviewer repeats.

Answer with one JSON object and nothing else:
{"points": [{"title": "<a few words>", "detail": "<one or two sentences>"}]}
Answer {"points": []} when the review raises no criticism."""

#: Review fields that hold the reviewer's prose, in reading order (API v1 and v2 venues differ).
REVIEW_TEXT_FIELDS = (
    "summary",
    "main_review",
    "review",
    "strengths_and_weaknesses",
    "strengths",
    "weaknesses",
    "questions",
    "limitations",
    "summary_of_the_review",
    "comment",
)


@dataclass(frozen=True)
class HumanReview:
    """One free-text review of a paper."""

    forum: str
    review_id: str
    text: str


def review_text(reply: Reply) -> str:
    """The prose of a review reply: its text fields, labelled, in reading order.

    Venues name their fields differently; when none of :data:`REVIEW_TEXT_FIELDS` is present, every
    string field longer than a rating (except the title) is used.
    """
    fields = {key: value for key, value in reply.fields.items() if isinstance(value, str) and value.strip()}
    keys = [key for key in REVIEW_TEXT_FIELDS if key in fields]
    if not keys:
        keys = [key for key, value in fields.items() if key != "title" and len(value) > 80]
    if len(keys) == 1:
        return fields[keys[0]].strip()
    return "\n\n".join(f"{key.replace('_', ' ').capitalize()}:\n{fields[key].strip()}" for key in keys)


def extract_messages(text: str) -> list[dict[str, str]]:
    return [{"role": "system", "content": EXTRACT_INSTRUCTIONS}, {"role": "user", "content": f"Review:\n{text}"}]


def parse_points(answer: Any) -> list[ReviewPoint]:
    """Read ``{"points": [...]}`` with the shared validator (:func:`reviewgpt.llm.answers.read_point_list`)."""
    return read_point_list(answer)


class PointExtractor(Protocol):
    """Turns free-text reviews into key points."""

    name: str

    def extract_all(
        self, reviews: Iterable[HumanReview]
    ) -> Iterator[tuple[HumanReview, list[ReviewPoint] | Exception]]: ...


class LLMPointExtractor:
    """Extract the criticisms of free-text reviews with an LLM in JSON mode.

    Args:
        client: the shared LLM client.
        model: the model's name, recorded as ``openai:<model>``.
    """

    def __init__(self, client: LLMClient, model: str):
        self.client = client
        self.name = f"openai:{model}"

    def extract_all(
        self, reviews: Iterable[HumanReview]
    ) -> Iterator[tuple[HumanReview, list[ReviewPoint] | Exception]]:
        yield from self.client.map(list(reviews), self._extract_one, "extracting human review points")

    async def _extract_one(self, review: HumanReview) -> list[ReviewPoint]:
        points, _ = await self.client.chat_json(extract_messages(review.text), validate=parse_points)
        return points
