"""The numbers of an evaluation: hits, hit rates, per-paper means, bootstrap intervals, win/tie/loss.

Liang et al. 2023: the hits of review A against review B are the matched pairs with similarity at
least the threshold, each point of B used at most once; ``hit rate = hits / |A|``. A system writes
N samples per paper; a paper's score is the mean over its samples, and a system's score the mean
over papers, with a bootstrap interval that resamples papers. Two systems are compared paper by
paper on the papers both were evaluated on.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from reviewgpt.evaluate.judges.base import count_hits
from reviewgpt.records.evaluate import PointMatch
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ParsedReview

#: The system name of human reviews judged against each other (the human-human ceiling).
HUMAN_SYSTEM = "human"
#: Two per-paper means closer than this are a tie (they are means of small integers and ratios).
TIE_TOLERANCE = 1e-9


class Scored(Protocol):
    """What the metrics read of a match record (:class:`~reviewgpt.records.evaluate.MatchResult`)."""

    forum: str
    system: str
    hits: int
    hit_rate: float


def hits_and_rate(matches: Sequence[PointMatch], n_points_a: int, threshold: float) -> tuple[int, float]:
    """Hits of A against B and the hit rate ``hits / |A|`` (0 when A has no point).

    The matches must already be one-to-one (each judge guarantees it).
    """
    hits = count_hits(list(matches), threshold)
    return hits, (hits / n_points_a if n_points_a else 0.0)


@dataclass(frozen=True)
class PaperScore:
    """A system's score on one paper: means over its samples."""

    mean_hits: float
    mean_hit_rate: float
    samples: int


def paper_scores(results: Iterable[Scored]) -> dict[str, dict[str, PaperScore]]:
    """Per system, per paper: mean hits and mean hit rate over the paper's samples."""
    grouped: dict[str, dict[str, list[Scored]]] = defaultdict(lambda: defaultdict(list))
    for result in results:
        grouped[result.system][result.forum].append(result)
    return {
        system: {
            forum: PaperScore(
                mean_hits=sum(r.hits for r in rows) / len(rows),
                mean_hit_rate=sum(r.hit_rate for r in rows) / len(rows),
                samples=len(rows),
            )
            for forum, rows in sorted(by_paper.items())
        }
        for system, by_paper in sorted(grouped.items())
    }


def bootstrap_ci(
    values: Sequence[float], n_resamples: int = 1000, seed: int = 0, level: float = 0.95
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of ``values`` (None with no values or no resamples)."""
    import numpy as np

    if not values or n_resamples <= 0:
        return None
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(n_resamples, len(data)))].mean(axis=1)
    tail = (1.0 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return float(low), float(high)


def system_summary(scores: Mapping[str, PaperScore], n_resamples: int = 1000, seed: int = 0) -> dict:
    """Means over papers with their bootstrap 95% intervals."""
    hits = [s.mean_hits for s in scores.values()]
    rates = [s.mean_hit_rate for s in scores.values()]
    return {
        "papers": len(scores),
        "reviews": sum(s.samples for s in scores.values()),
        "mean_hits": sum(hits) / len(hits) if hits else None,
        "mean_hits_ci": bootstrap_ci(hits, n_resamples, seed),
        "mean_hit_rate": sum(rates) / len(rates) if rates else None,
        "mean_hit_rate_ci": bootstrap_ci(rates, n_resamples, seed),
    }


@dataclass(frozen=True)
class WinTieLoss:
    """How often system A beat, tied or lost to system B over their common papers."""

    win: int
    tie: int
    loss: int

    @property
    def papers(self) -> int:
        return self.win + self.tie + self.loss

    def __str__(self) -> str:
        return f"{self.win} / {self.tie} / {self.loss}"


def win_tie_loss(a: Mapping[str, float], b: Mapping[str, float]) -> WinTieLoss:
    """Compare per-paper values of two systems on the papers both have."""
    win = tie = loss = 0
    for forum in a.keys() & b.keys():
        diff = a[forum] - b[forum]
        if abs(diff) <= TIE_TOLERANCE:
            tie += 1
        elif diff > 0:
            win += 1
        else:
            loss += 1
    return WinTieLoss(win, tie, loss)


def pairwise(scores: Mapping[str, Mapping[str, PaperScore]], systems: Sequence[str]) -> list[dict]:
    """Win / tie / loss of every pair of systems, by mean hits and by mean hit rate."""
    rows = []
    for i, first in enumerate(systems):
        for second in systems[i + 1 :]:
            a, b = scores.get(first, {}), scores.get(second, {})
            by_hits = win_tie_loss({f: s.mean_hits for f, s in a.items()}, {f: s.mean_hits for f, s in b.items()})
            by_rate = win_tie_loss(
                {f: s.mean_hit_rate for f, s in a.items()}, {f: s.mean_hit_rate for f, s in b.items()}
            )
            rows.append(
                {"a": first, "b": second, "papers": by_hits.papers, "by_hits": asdict(by_hits), "by_hit_rate": asdict(by_rate)}
            )
    return rows


@dataclass(frozen=True)
class ReviewShape:
    """How a review fills the aspect schema: its points, and the schema aspects it left empty."""

    points: int
    empty_aspects: tuple[str, ...]


def review_shape(review: ParsedReview, schema: str) -> ReviewShape:
    """Points of a review and the aspects of ``schema`` with no point (missing headers count as empty)."""
    empty = tuple(name for name in ASPECT_SCHEMAS[schema] if not review.aspects.get(name))
    return ReviewShape(points=review.n_points, empty_aspects=empty)


def shape_summary(shapes: Sequence[ReviewShape]) -> dict:
    """Mean points and empty aspects per review, and how often each aspect is empty."""
    if not shapes:
        return {"reviews": 0, "points_per_review": None, "empty_aspects_per_review": None, "empty_by_aspect": {}}
    by_aspect: dict[str, int] = defaultdict(int)
    for shape in shapes:
        for name in shape.empty_aspects:
            by_aspect[name] += 1
    return {
        "reviews": len(shapes),
        "points_per_review": sum(s.points for s in shapes) / len(shapes),
        "empty_aspects_per_review": sum(len(s.empty_aspects) for s in shapes) / len(shapes),
        "no_points": sum(1 for s in shapes if s.points == 0),
        "empty_by_aspect": dict(by_aspect),
    }
