"""Asking once more after an invalid JSON answer: the model sees its answer and what is wrong with it."""

from __future__ import annotations

from collections.abc import Sequence

REPAIR_TEMPLATE = (
    "That answer is not valid: {problem}\n"
    "Reply again with only the corrected JSON object, following the required format exactly."
)


def repair_messages(messages: Sequence[dict[str, str]], answer: str, problem: str) -> list[dict[str, str]]:
    """The conversation so far, the invalid ``answer``, and the request to correct it."""
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": REPAIR_TEMPLATE.format(problem=problem)},
    ]
