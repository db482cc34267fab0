"""What every judge does: match the key points of review A against those of review B.

A judge returns one-to-one matched pairs (each point of A and of B used at most once) with a
similarity on the LLM judge's scale (``SIMILARITY_MIN`` to ``SIMILARITY_MAX``); a pair is a hit when its similarity is at least the
threshold (:data:`~reviewgpt.evaluate.constants.HIT_THRESHOLD`, as in Liang et al. 2023).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from reviewgpt.evaluate.constants import HIT_THRESHOLD
from reviewgpt.records.evaluate import PointMatch


@dataclass(frozen=True)
class Comparison:
    """One review compared against one reference: ``key`` is the caller's id for it."""

    key: str
    points_a: tuple[str, ...]
    points_b: tuple[str, ...]


class Judge(Protocol):
    """Matches key points; implementations: ``judges/llm.py`` (LLM, JSON mode) and ``judges/embedding.py`` (offline)."""

    name: str

    def match_all(
        self, comparisons: Iterable[Comparison]
    ) -> Iterator[tuple[Comparison, list[PointMatch] | Exception]]:
        """Judge many comparisons (batched or concurrent), yielding each result as it is ready.

        A comparison that fails yields its exception instead of matches, so the caller can log it
        and go on.
        """
        ...


def count_hits(matches: list[PointMatch], threshold: float = HIT_THRESHOLD) -> int:
    """Hits = matched pairs with similarity >= threshold."""
    return sum(1 for m in matches if m.similarity >= threshold)
