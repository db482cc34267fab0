"""Output cleaning and the JSON-mode schema prompt (baselines).

Every review, whichever backend wrote it, ends in the one review text format: text before the
first ``[Aspect]`` header is dropped and the points are read with the shared parser
(:func:`reviewgpt.reviewtext.parse_review`). A sample with no parsable aspect keeps its raw text
and is flagged ``unparsable``, so evaluate can count it rather than lose it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

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
    """Validate a JSON-mode answer: every aspect present, each a list of {title, detail}.

    Raises:
        ValueError: an aspect is missing or a point is malformed (the client then asks for a repair).
    """
    lowered = {str(k).strip().lower(): v for k, v in obj.items()}
    aspects: dict[str, list[ReviewPoint]] = {}
    for name in ASPECT_SCHEMAS[schema]:
        if name.lower() not in lowered:
            raise ValueError(f"missing key '{name}'")
        points = lowered[name.lower()]
        if not isinstance(points, list):
            raise ValueError(f"'{name}' must be a list of points")
        aspects[name] = []
        for point in points:
            if isinstance(point, str):
                aspects[name].append(ReviewPoint(title=point, detail=""))
            elif isinstance(point, dict) and "title" in point:
                aspects[name].append(ReviewPoint(title=str(point["title"]), detail=str(point.get("detail", ""))))
            else:
                raise ValueError(f"a point of '{name}' is not an object with 'title' and 'detail'")
    return aspects
