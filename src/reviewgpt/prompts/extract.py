"""Listing the criticisms one human review raises (an LLM in JSON mode; the wording is our own)."""

from __future__ import annotations

EXTRACT_INSTRUCTIONS = """\
You read one peer review of a scientific paper and list the criticisms it raises: the \
weaknesses, concerns, doubts, missing pieces and requested changes. Leave out the reviewer's \
summary of the paper, praise, and remarks about typos or formatting.

Give each criticism a short title of a few words and one or two sentences of detail that keep \
the reviewer's meaning. Keep the order of the review and merge points the reviewer repeats.

Answer with one JSON object and nothing else:
{"points": [{"title": "<a few words>", "detail": "<one or two sentences>"}]}
Answer {"points": []} when the review raises no criticism."""


def extract_messages(text: str) -> list[dict[str, str]]:
    """The chat messages asking for the criticisms of the review ``text``."""
    return [{"role": "system", "content": EXTRACT_INSTRUCTIONS}, {"role": "user", "content": f"Review:\n{text}"}]
