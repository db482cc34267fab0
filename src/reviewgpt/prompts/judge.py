"""Matching the points of two reviews and rating each pair (the LLM judge; the wording is our own).

The similarity scale (5 to 10) is the one of :mod:`reviewgpt.evaluate.constants`.
"""

from __future__ import annotations

from collections.abc import Sequence

JUDGE_INSTRUCTIONS = """\
You compare two peer reviews of the same scientific paper. Each review is given as a numbered \
list of key points: A1, A2, ... for review A and B1, B2, ... for review B.

Find the pairs of points that make the same point about the paper: the same concern, claim or \
request, judged by what the points actually say and not by shared topic words alone. A point of \
A is paired with at most one point of B, and a point of B with at most one point of A.

For each pair, write a one-sentence rationale and rate how similar the two points are:
5 somewhat related, 6 moderately related, 7 strongly related, 8 highly related, \
9 almost the same point, 10 the same point.
Leave out pairs that are less than somewhat related.

Answer with one JSON object and nothing else:
{"matches": [{"a": <number of the point in A>, "b": <number of the point in B>, \
"rationale": "<one sentence>", "similarity": <5 to 10>}]}
Answer {"matches": []} when no point of A matches a point of B."""


def judge_messages(points_a: Sequence[str], points_b: Sequence[str]) -> list[dict[str, str]]:
    """The chat messages asking the model to match the two numbered lists."""
    listing_a = "\n".join(f"A{i}. {text}" for i, text in enumerate(points_a, 1))
    listing_b = "\n".join(f"B{i}. {text}" for i, text in enumerate(points_b, 1))
    return [
        {"role": "system", "content": JUDGE_INSTRUCTIONS},
        {"role": "user", "content": f"Review A:\n{listing_a}\n\nReview B:\n{listing_b}"},
    ]
