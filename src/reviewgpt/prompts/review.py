"""The review instruction: what the model is asked, in training, build-dataset and infer alike.

The instruction names every aspect header and the point format, so the model's output is readable
by :func:`reviewgpt.reviewtext.parse_review`.
"""

from __future__ import annotations

from reviewgpt.reviewtext import ASPECT_SCHEMAS

TEMPLATE = (
    "You are an experienced reviewer for a top machine learning conference. Read the paper below "
    "and write a review of it. The paper is given as [TITLE], [ABSTRACT], [CAPTIONS] (figure and "
    "table captions) and [CONTENT] sections; its content may be cut short.\n\n"
    "Organise the review under these {n} headings, in this order, each on its own line in square "
    "brackets:\n{headings}\n\n"
    "Under each heading, write one point per line as <a short title> followed by one or more "
    "sentences of detail. {focus}"
)

FOCUS = {
    "4-aspect": (
        "Be specific: refer to the paper's claims, methods and experiments, and make every "
        "suggestion actionable."
    ),
    "7-aspect": (
        "Summarise the idea and how it differs from previous similar work before judging the "
        "experimental results; be specific and make every suggestion actionable."
    ),
}


def instruction_for(schema: str) -> str:
    """The instruction text for a review schema (``"4-aspect"`` or ``"7-aspect"``).

    Raises:
        ValueError: the schema is not one of :data:`reviewgpt.reviewtext.ASPECT_SCHEMAS`.
    """
    if schema not in ASPECT_SCHEMAS:
        raise ValueError(f"unknown review schema {schema!r}; expected one of {sorted(ASPECT_SCHEMAS)}")
    aspects = ASPECT_SCHEMAS[schema]
    headings = "\n".join(f"[{name}]" for name in aspects)
    return TEMPLATE.format(n=len(aspects), headings=headings, focus=FOCUS[schema])


def prompt_messages(instruction: str, paper_text: str) -> list[dict[str, str]]:
    """The chat messages of a review request: one user turn, instruction then paper.

    One user turn (no system turn) because several chat templates (Mistral's among them)
    reject a system role.
    """
    return [{"role": "user", "content": f"{instruction}\n\n{paper_text}"}]
