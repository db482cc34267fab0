"""Key points of a review, as the judges compare them.

A review in our text format is already a list of points per aspect: each ``<title> detail`` item
is one point (read with :func:`reviewgpt.reviewtext.parse_review`, the one parser of the format).
Human reviews get their points (criticisms) from an extractor (:mod:`reviewgpt.evaluate.extract`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reviewgpt.errors import ConfigError
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ParsedReview, ReviewPoint, parse_review

#: The aspect given to the points extracted from free text (criticisms, as in Liang et al.).
CRITICISM = "Criticisms"


@dataclass(frozen=True)
class KeyPoint:
    """One point as the judge sees it: its aspect and its text."""

    aspect: str
    text: str


def point_text(point: ReviewPoint) -> str:
    """``title: detail`` (or whichever of the two is there)."""
    if point.title and point.detail:
        return f"{point.title}: {point.detail}"
    return point.title or point.detail


def select_aspects(requested: Sequence[str], schemas: Iterable[str]) -> list[str] | None:
    """Resolve ``--aspects`` against the aspect names of the given schemas.

    Args:
        requested: ``["all"]``, or names or parts of names, case-insensitive (``"rejection"``).
        schemas: the schemas of the reference reviews (keys of ``ASPECT_SCHEMAS``).

    Returns:
        The aspect names to compare, or None for all of a review's aspects.

    Raises:
        ConfigError: a requested name matches no aspect of the schemas.
    """
    if any(name.strip().lower() == "all" for name in requested):
        return None
    names = [name for schema in dict.fromkeys(schemas) for name in ASPECT_SCHEMAS.get(schema, ())]
    selected: list[str] = []
    for wanted in requested:
        key = wanted.strip().lower()
        exact = [name for name in names if name.lower() == key]
        hits = exact or [name for name in names if key in name.lower()]
        if not hits:
            known = "; ".join(dict.fromkeys(names))
            raise ConfigError(f"--aspects: '{wanted}' matches no aspect (known: {known})")
        selected.extend(hit for hit in hits if hit not in selected)
    return selected


def review_points(review: ParsedReview, aspects: Sequence[str] | None) -> list[KeyPoint]:
    """The points of a parsed review, in order, restricted to ``aspects`` (None: all)."""
    return [KeyPoint(name, point_text(point)) for name, point in review.points(list(aspects) if aspects else None)]


def text_points(text: str, schema: str | None, aspects: Sequence[str] | None) -> list[KeyPoint]:
    """The points of review text in our format."""
    return review_points(parse_review(text, schema), aspects)


def criticism_aspects(schemas: Iterable[str]) -> list[str]:
    """The aspects of our format that hold criticisms: reasons for rejection and suggestions.

    They are what a human review's extracted points are (weaknesses and questions), so a generated
    review is scored against a human review on these aspects only.
    """
    names = [name for schema in dict.fromkeys(schemas) for name in ASPECT_SCHEMAS.get(schema, ())]
    return [name for name in dict.fromkeys(names) if "rejection" in name.lower() or "suggestion" in name.lower()]


def as_criticisms(points: Iterable[KeyPoint]) -> list[KeyPoint]:
    """The same points under :data:`CRITICISM`, to be compared with a human review's extracted points."""
    return [KeyPoint(CRITICISM, point.text) for point in points]


def free_text_points(points: Iterable[ReviewPoint]) -> list[KeyPoint]:
    """Points extracted from a free-text review, all under :data:`CRITICISM`."""
    return [KeyPoint(CRITICISM, point_text(point)) for point in points]
