"""The ``openai`` aggregator: one JSON-mode chat call per paper, with all its reviews.

The prompt asks the model to merge the reviewers' points into the schema's aspects as short
titled points, to state nothing the reviews do not support and to leave an aspect empty rather
than invent one. The answer is read by the shared validator (:mod:`reviewgpt.llm.answers`; one
repair retry, by the shared client); titles and details are normalised so the rendered text
round-trips through :func:`reviewgpt.reviewtext.parse_review`.
"""

from __future__ import annotations

import json

from reviewgpt.aggregate._selection import SourceReview
from reviewgpt.llm.answers import aspects_reader
from reviewgpt.reviewtext import ASPECT_SCHEMAS

SYSTEM_PROMPT = (
    "You are an experienced area chair. You merge the peer reviews of one paper into a single "
    "structured review. You are faithful to the reviews: you never add a claim, praise or criticism "
    "that no reviewer made, and you answer in JSON only."
)

_INSTRUCTIONS = """Merge the {n} reviews below of the paper "{title}" into one review with these aspects:
{aspect_list}

Rules:
- Put each point a reviewer makes under the aspect it belongs to. When several reviewers make the same point, write it once.
- Each point has a short "title" (at most 10 words, naming the point) and a "detail" (one to three sentences saying what the reviewers said, with their specifics: names of baselines, datasets, sections).
- State nothing the reviews do not support. If no review says anything for an aspect, leave its list empty; never invent a point to fill it.
- Keep the reviewers' judgement: do not soften criticisms or strengthen praise.

Answer with a JSON object of exactly this shape (every aspect key present, lists may be empty):
{shape}

{reviews}"""


def build_messages(title: str, reviews: list[SourceReview], schema: str) -> list[dict[str, str]]:
    """The chat messages of one paper's aggregation call."""
    aspects = ASPECT_SCHEMAS[schema]
    shape = json.dumps({"aspects": {name: [{"title": "...", "detail": "..."}] for name in aspects}}, indent=1)
    blocks = []
    for i, review in enumerate(reviews, 1):
        who = "Meta-review" if review.kind == "meta_review" else f"Review {i}"
        blocks.append(f"### {who}\n{review.render()}")
    user = _INSTRUCTIONS.format(
        n=len(reviews),
        title=title or "(untitled)",
        aspect_list="\n".join(f"- {name}" for name in aspects),
        shape=shape,
        reviews="\n\n".join(blocks),
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]


def schema_validator(schema: str):
    """A ``validate`` for :meth:`LLMClient.chat_json`: JSON -> ``{aspect: [ReviewPoint]}`` in schema order.

    The shared reader (:func:`reviewgpt.llm.answers.aspects_reader`) accepts the point shapes
    models write; a missing aspect or a review without any point is invalid (repaired once, then
    an item error).
    """
    return aspects_reader(ASPECT_SCHEMAS[schema])
