"""Merging the human reviews of one paper into one structured review (an LLM in JSON mode).

The model is asked to merge the reviewers' points into the schema's aspects as short titled
points, to state nothing the reviews do not support and to leave an aspect empty rather than
invent one.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from reviewgpt.reviewtext import ASPECT_SCHEMAS

SYSTEM_PROMPT = (
    "You are an experienced area chair. You merge the peer reviews of one paper into a single "
    "structured review. You are faithful to the reviews: you never add a claim, praise or criticism "
    "that no reviewer made, and you answer in JSON only."
)

INSTRUCTIONS = """Merge the {n} reviews below of the paper "{title}" into one review with these aspects:
{aspect_list}

Rules:
- Put each point a reviewer makes under the aspect it belongs to. When several reviewers make the same point, write it once.
- Each point has a short "title" (at most 10 words, naming the point) and a "detail" (one to three sentences saying what the reviewers said, with their specifics: names of baselines, datasets, sections).
- State nothing the reviews do not support. If no review says anything for an aspect, leave its list empty; never invent a point to fill it.
- Keep the reviewers' judgement: do not soften criticisms or strengthen praise.

Answer with a JSON object of exactly this shape (every aspect key present, lists may be empty):
{shape}

{reviews}"""


def aggregate_messages(title: str, reviews: Sequence[tuple[str, str]], schema: str) -> list[dict[str, str]]:
    """The chat messages of one paper's aggregation call.

    Args:
        title: the paper's title ("" when it has none).
        reviews: ``(heading, text)`` per review, e.g. ``("Review 1", ...)`` or ``("Meta-review", ...)``.
        schema: the review schema whose aspects the answer has.
    """
    aspects = ASPECT_SCHEMAS[schema]
    shape = json.dumps({"aspects": {name: [{"title": "...", "detail": "..."}] for name in aspects}}, indent=1)
    user = INSTRUCTIONS.format(
        n=len(reviews),
        title=title or "(untitled)",
        aspect_list="\n".join(f"- {name}" for name in aspects),
        shape=shape,
        reviews="\n\n".join(f"### {heading}\n{text}" for heading, text in reviews),
    )
    return [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": user}]
