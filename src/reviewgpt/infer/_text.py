"""Output cleaning, and reading the answers of the JSON-mode schema prompt (baselines; the prompt is :mod:`reviewgpt.prompts.json_review`).

Every review, whichever backend wrote it, ends in the one review text format: text before the
first ``[Aspect]`` header is dropped and the points are read with the shared parser
(:func:`reviewgpt.reviewtext.parse_review`). A sample with no parsable aspect keeps its raw text
and is flagged ``unparsable``, so evaluate can count it rather than lose it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from reviewgpt.llm.answers import aspects_reader
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, parse_review, render_review


@dataclass
class CleanReview:
    text: str
    unparsable: bool
    n_points: int = 0
    empty_aspects: list[str] = field(default_factory=list)


def clean_review(raw: str, schema: str | None) -> CleanReview:
    """Drop what precedes the first aspect header and re-render the parsed points.

    Returns:
        The review in the canonical text format, or the raw text flagged ``unparsable`` when no
        aspect header could be found.
    """
    parsed = parse_review(raw, schema)
    if not parsed.aspects:
        return CleanReview(text=raw.strip(), unparsable=True)
    return CleanReview(
        text=render_review(parsed.aspects),  # the aspects the model wrote, in its order
        unparsable=False,
        n_points=parsed.n_points,
        empty_aspects=parsed.empty_aspects,
    )


def aspects_from_json(obj: dict, schema: str) -> dict[str, list[ReviewPoint]]:
    """Validate a JSON-mode answer with the shared reader (:func:`reviewgpt.llm.answers.aspects_reader`).

    Raises:
        InvalidAnswer: an aspect is missing, the review has no point, or a point cannot be
            understood (the client then asks for a repair).
    """
    return aspects_reader(ASPECT_SCHEMAS[schema])(obj)
