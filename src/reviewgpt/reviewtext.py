"""The review text format: the training target, the model output and what evaluate reads.

::

    [Significance and novelty]
    <Short point title> One or more sentences of detail.
    <Another point> ...

    [Potential reasons for acceptance]
    ...

One parser reads this format everywhere; ``parse_review(render_review(x)) == x`` for any
review whose titles and details are already normalised (see :func:`normalize_point`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from pydantic import BaseModel

#: Aspect names per schema, in the order they are rendered.
ASPECT_SCHEMAS: dict[str, tuple[str, ...]] = {
    "4-aspect": (
        "Significance and novelty",
        "Potential reasons for acceptance",
        "Potential reasons for rejection",
        "Suggestions for improvement",
    ),
    "7-aspect": (
        "The idea of the paper",
        "Essential differences from previous similar work",
        "The experimental results",
        "Potential reasons for acceptance",
        "Potential reasons for rejection",
        "Other suggestions for improving the paper",
        "Other important review comments",
    ),
}

_HEADER = re.compile(r"^\s*\[([^\[\]\n]{2,120})\]\s*$")
_ITEM = re.compile(r"^\s*<([^<>\n]*)>\s*(.*)$")
_SPACE = re.compile(r"\s+")


class ReviewPoint(BaseModel):
    """One point of a review: a short title and its detail."""

    title: str
    detail: str = ""


def normalize_point(title: str, detail: str) -> ReviewPoint:
    """Collapse whitespace and remove the angle brackets that delimit titles."""
    title = _SPACE.sub(" ", title.replace("<", "(").replace(">", ")")).strip()
    detail = _SPACE.sub(" ", detail).strip()
    return ReviewPoint(title=title, detail=detail)


def render_review(aspects: dict[str, list[ReviewPoint]], schema: str | None = None) -> str:
    """Render aspects to the text format, in schema order when a schema is given."""
    names = list(ASPECT_SCHEMAS[schema]) if schema else list(aspects)
    names += [name for name in aspects if name not in names]
    blocks = []
    for name in names:
        lines = [f"[{name}]"]
        for point in aspects.get(name, []):
            p = normalize_point(point.title, point.detail)
            lines.append(f"<{p.title}> {p.detail}".rstrip())
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


@dataclass
class ParsedReview:
    """The result of :func:`parse_review`.

    Attributes:
        aspects: points per aspect header, in the order found (schema names when matched).
        preamble: text before the first header (dropped from ``aspects``).
        unknown_headers: headers that matched no schema aspect (kept in ``aspects`` too).
    """

    aspects: dict[str, list[ReviewPoint]] = field(default_factory=dict)
    preamble: str = ""
    unknown_headers: list[str] = field(default_factory=list)

    @property
    def n_points(self) -> int:
        return sum(len(points) for points in self.aspects.values())

    @property
    def empty_aspects(self) -> list[str]:
        return [name for name, points in self.aspects.items() if not points]

    def points(self, aspects: list[str] | None = None) -> list[tuple[str, ReviewPoint]]:
        """All (aspect, point) pairs, optionally only of some aspects."""
        return [
            (name, point)
            for name, pts in self.aspects.items()
            if aspects is None or name in aspects
            for point in pts
        ]


def _canonical(header: str, schema: str | None) -> tuple[str, bool]:
    if schema is None:
        return header.strip(), True
    key = _SPACE.sub(" ", header).strip().lower()
    for name in ASPECT_SCHEMAS[schema]:
        if name.lower() == key:
            return name, True
    return header.strip(), False


def parse_review(text: str, schema: str | None = None) -> ParsedReview:
    """Parse review text into aspects and points.

    Lines before the first ``[Header]`` are the preamble. A line starting with ``<title>``
    opens a point; other non-blank lines continue the detail of the current point (or, when
    there is none yet, open a point with an empty title). With ``schema``, headers are matched
    to the schema's aspect names case-insensitively.
    """
    result = ParsedReview()
    current: list[ReviewPoint] | None = None
    preamble: list[str] = []
    for line in text.splitlines():
        header = _HEADER.match(line)
        if header:
            name, known = _canonical(header.group(1), schema)
            if not known:
                result.unknown_headers.append(name)
            current = result.aspects.setdefault(name, [])
            continue
        if current is None:
            preamble.append(line)
            continue
        if not line.strip():
            continue
        item = _ITEM.match(line)
        if item:
            current.append(normalize_point(item.group(1), item.group(2)))
        elif current:
            last = current[-1]
            current[-1] = normalize_point(last.title, f"{last.detail} {line}")
        else:
            current.append(normalize_point("", line))
    result.preamble = "\n".join(preamble).strip()
    return result
