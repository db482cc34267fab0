"""Key points of human reviews: the criticisms each one raises.

As in Liang et al. 2023, the extraction keeps the criticisms: the concerns, doubts and requests a
reviewer raises, not the summary of the paper or the praise. Two extractors:

- :class:`LLMPointExtractor` (``--extractor openai``): an LLM in JSON mode reads the whole review
  and lists its criticisms, each with a short title, merging repeats (Liang et al.'s method; the
  prompt is our own wording).
- :class:`StructuredPointExtractor` (``--extractor structured``, the default without an LLM):
  offline, from the review's own structure: the weaknesses part (the ``weaknesses`` field, or the
  weaknesses half of a ``strengths_and_weaknesses`` field) and the questions part, each cut into its
  bullet items, or into sentences when it has none. See docs/evaluate.md for how it differs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from reviewgpt.llm.answers import read_point_list
from reviewgpt.prompts.extract import EXTRACT_INSTRUCTIONS, extract_messages  # noqa: F401 - EXTRACT_INSTRUCTIONS: old import path
from reviewgpt.records.crawl import Reply, split_strengths_weaknesses
from reviewgpt.reviewtext import ReviewPoint, normalize_point

if TYPE_CHECKING:
    from reviewgpt.llm import LLMClient

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
    """One human review of a paper: its prose, and its fields as the venue's form split them."""

    forum: str
    review_id: str
    text: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


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


#: Fields holding a review's criticisms, by kind; read in this order.
WEAKNESS_FIELDS = ("weaknesses", "weak_points", "cons", "concerns", "reasons_to_reject")
QUESTION_FIELDS = ("questions", "questions_for_authors", "requested_changes", "suggestions")
COMBINED_FIELDS = ("strengths_and_weaknesses", "strength_and_weaknesses")
FREE_TEXT_FIELDS = ("main_review", "review")

# A bullet or number opening a line: "- ", "* ", "1. ", "(a) ", "[-] ".
_BULLET = re.compile(r"^[ \t]*(?:[-*•+·]|\[[-+]\]|\(?\d{1,2}[.)]|\(?[a-hA-H][.)]|\(?[ivx]{1,4}\))[ \t]+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
# Where criticism starts in a text that is not cut into fields.
_CRITICISM_CUE = re.compile(
    r"(?im)^[ \t#*>\-]*(?:\*\*)?(?:main |major |key )?(?:weakness(?:es)?|cons|concerns?|limitations|drawbacks)\b"
)
_HEADED = re.compile(r"^(?P<head>[A-Z][^:.!?\n]{2,60}?):\s+(?P<rest>\S.*)$", re.DOTALL)
_BOILERPLATE = re.compile(
    r"^(?:n/?a|none|no|nothing|yes|-+|see (?:above|the )?(?:weaknesses|above)(?: section)?|"
    r"no (?:further |other |additional |major )?(?:questions|comments|weaknesses|concerns))\.?$",
    re.I,
)
MIN_POINT_WORDS = 4
#: A subheading line ("Experiments:", "**Clarity**") heads the items under it.
_SUBHEADING = re.compile(r"^[#*\s]*[A-Z][^.!?\n]{1,60}?[:：]?[*\s]*$")


def criticism_parts(fields: dict[str, Any]) -> list[str]:
    """The texts that hold a review's criticisms: its weaknesses and questions parts.

    A combined strengths-and-weaknesses field gives its weaknesses half when the reviewer headed
    the halves, else the text from its first "Weaknesses"/"Concerns" cue, else all of it. A review
    with neither (API v1 free text) gives the text from its first such cue, else nothing: a free-text
    review without cues has no structure to read, and its criticisms need the LLM extractor.
    """
    texts = {key: value.strip() for key, value in fields.items() if isinstance(value, str) and value.strip()}
    parts = [texts[key] for key in WEAKNESS_FIELDS if key in texts]
    if not parts:
        for key in COMBINED_FIELDS:
            if key in texts:
                split = split_strengths_weaknesses(texts[key])
                parts.append(split[1] if split is not None else _from_cue(texts[key]) or texts[key])
    if not parts:
        for key in FREE_TEXT_FIELDS:
            if key in texts:
                cued = _from_cue(texts[key])
                if cued:
                    parts.append(cued)
    parts += [texts[key] for key in QUESTION_FIELDS if key in texts]
    return parts


def _from_cue(text: str) -> str | None:
    match = _CRITICISM_CUE.search(text)
    if match is None:
        return None
    rest = text[match.start():].split("\n", 1)
    # drop the cue's own heading line when it is only a heading ("Weaknesses:")
    if len(rest) == 2 and len(rest[0].split()) <= 4:
        return rest[1].strip()
    return text[match.start():].strip()


def split_items(text: str) -> list[str]:
    """A part cut into its bullet items (continuation lines joined), else into its sentences.

    A line that is only a heading ("Experiments:"), or a bullet ending in a colon, heads the items
    after it.
    """
    lines = text.splitlines()
    if sum(1 for line in lines if _BULLET.match(line)) >= 2:
        items: list[str] = []
        heading: str | None = None
        for line in lines:
            stripped = line.strip()
            if not stripped:
                continue
            if _BULLET.match(line):
                item = _BULLET.sub("", line, count=1).strip()
                if item.rstrip("* ").endswith((":", "：")):  # a bullet that heads the sub-bullets below it
                    heading = item.strip("#* :：")
                    continue
                items.append(f"{heading}: {item}" if heading and not _HEADED.match(item) else item)
            elif _SUBHEADING.match(stripped) and len(stripped.split()) <= 8:
                heading = stripped.strip("#* :：")
            elif items:
                items[-1] += " " + stripped
            else:
                items.append(stripped)
        candidates = items
    else:
        candidates = [s for paragraph in re.split(r"\n\s*\n", text)
                      for s in _SENTENCE_END.split(" ".join(paragraph.split())) if s.strip()]
    out = []
    for item in candidates:
        item = " ".join(item.replace("**", "").split()).strip(" -*•")
        if len(item.split()) < MIN_POINT_WORDS or _BOILERPLATE.match(item):
            continue
        out.append(item)
    return out


def structured_points(fields: dict[str, Any]) -> list[ReviewPoint]:
    """The criticisms of one review read off its structure (see :func:`criticism_parts`)."""
    points = []
    for part in criticism_parts(fields):
        for item in split_items(part):
            headed = _HEADED.match(item)
            if headed and len(headed.group("head").split()) <= 8:
                points.append(normalize_point(headed.group("head"), headed.group("rest")))
            else:
                points.append(normalize_point("", item))
    return points


class StructuredPointExtractor:
    """Extract the criticisms of human reviews from their own structure, offline (no LLM)."""

    name = "structured"

    def extract_all(
        self, reviews: Iterable[HumanReview]
    ) -> Iterator[tuple[HumanReview, list[ReviewPoint] | Exception]]:
        for review in reviews:
            yield review, structured_points(review.fields or {"review": review.text})
