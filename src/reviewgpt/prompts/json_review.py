"""The schema prompt of a JSON-mode baseline: the model answers one key per aspect, a list of points each."""

from __future__ import annotations

import json

from reviewgpt.reviewtext import ASPECT_SCHEMAS


def json_instruction(schema: str) -> str:
    """The instruction of ``infer --prompt-style json`` for a review schema."""
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
