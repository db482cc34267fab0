"""Output cleaning and the JSON-mode schema prompt (baselines).

Every review, whichever backend wrote it, ends in the one review text format: text before the
first ``[Aspect]`` header is dropped and the points are read with the shared parser
(:func:`reviewgpt.reviewtext.parse_review`). A sample with no parsable aspect keeps its raw text
and is flagged ``unparsable``, so evaluate can count it rather than lose it.
"""

from __future__ import annotations

import json
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


def json_instruction(schema: str) -> str:
    """The schema prompt of a JSON-mode baseline: one key per aspect, a list of points each."""
    aspects = ASPECT_SCHEMAS[schema]
    example = {name: [{"title": "a short point title", "detail": "one or more sentences of detail"}] for name in aspects[:1]}
    names = "\n".join(f"- {name}" for name in aspects)
    return (
        "You are an experienced reviewer for a top machine learning conference. Read the paper below and "
        "review it. Answer with a JSON object whose keys are exactly these aspects:\n"
        f"{names}\n"
        "Each value is a list of points, each point an object with a short 'title' and a 'detail' of one or "
        "more sentences that refers to the paper's claims, methods or experiments. Example of one key: "
        f"{json.dumps(example)}"
    )


def aspects_from_json(obj: dict, schema: str) -> dict[str, list[ReviewPoint]]:
    """Validate a JSON-mode answer with the shared reader (:func:`reviewgpt.llm.answers.aspects_reader`).

    Raises:
        InvalidAnswer: an aspect is missing, the review has no point, or a point cannot be
            understood (the client then asks for a repair).
    """
    return aspects_reader(ASPECT_SCHEMAS[schema])(obj)
