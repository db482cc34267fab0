"""Metrics on hand-built matches, with exact expected numbers."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from reviewgpt.evaluate.judges.llm import one_to_one
from reviewgpt.evaluate.metrics import (
    WinTieLoss,
    bootstrap_ci,
    hits_and_rate,
    pairwise,
    paper_scores,
    review_shape,
    shape_summary,
    system_summary,
    win_tie_loss,
)
from reviewgpt.records.evaluate import PointMatch
from reviewgpt.reviewtext import parse_review


@dataclass
class Row:
    system: str
    forum: str
    hits: int
    hit_rate: float


def m(a: int, b: int, similarity: float) -> PointMatch:
    return PointMatch(a=a, b=b, similarity=similarity)


def test_hits_count_pairs_at_or_above_threshold_over_points_of_a():
    matches = [m(1, 1, 7), m(2, 3, 6.9), m(3, 2, 10), m(4, 4, 5)]
    assert hits_and_rate(matches, n_points_a=8, threshold=7) == (2, 0.25)
    assert hits_and_rate(matches, n_points_a=8, threshold=5) == (4, 0.5)
    assert hits_and_rate([], n_points_a=0, threshold=7) == (0, 0.0)


def test_each_point_of_b_counts_once():
    # the judge paired B1 with A1 (9) and again with A2 (8): only the more similar pair stays
    kept = one_to_one([m(1, 1, 9), m(2, 1, 8), m(2, 2, 7)])
    assert [(k.a, k.b) for k in kept] == [(1, 1), (2, 2)]
    assert hits_and_rate(kept, n_points_a=3, threshold=7) == (2, pytest.approx(2 / 3))
    # a tie in similarity keeps the pair the judge gave first
    assert [(k.a, k.b) for k in one_to_one([m(2, 1, 8), m(1, 1, 8)])] == [(2, 1)]
    # one point of A is not paired twice either
    assert [(k.a, k.b) for k in one_to_one([m(1, 1, 7), m(1, 2, 9)])] == [(1, 2)]


def test_paper_means_over_samples_then_system_means_over_papers():
    rows = [
        Row("s", "p1", 2, 0.5), Row("s", "p1", 1, 0.25), Row("s", "p1", 3, 0.75),  # p1: 2 hits, 0.5
        Row("s", "p2", 0, 0.0),  # p2: 0 hits, 0.0
        Row("t", "p1", 1, 1.0),
    ]
    scores = paper_scores(rows)
    assert scores["s"]["p1"].mean_hits == 2.0
    assert scores["s"]["p1"].mean_hit_rate == pytest.approx(0.5)
    assert scores["s"]["p1"].samples == 3
    summary = system_summary(scores["s"], n_resamples=200, seed=1)
    assert summary["papers"] == 2 and summary["reviews"] == 4
    assert summary["mean_hits"] == 1.0
    assert summary["mean_hit_rate"] == pytest.approx(0.25)
    low, high = summary["mean_hits_ci"]
    assert 0.0 <= low <= 1.0 <= high <= 2.0


def test_win_tie_loss_over_common_papers_with_ties():
    a = {"p1": 2.0, "p2": 1.0, "p3": 1.5, "p4": 0.0, "only_a": 9.0}
    b = {"p1": 1.0, "p2": 1.0, "p3": 2.0, "p4": 0.0, "only_b": 0.0}
    result = win_tie_loss(a, b)
    assert result == WinTieLoss(win=1, tie=2, loss=1)
    assert result.papers == 4
    # float noise from averaging samples is still a tie
    assert win_tie_loss({"p": 0.1 + 0.2}, {"p": 0.3}) == WinTieLoss(0, 1, 0)


def test_pairwise_by_hits_and_by_hit_rate_can_differ():
    rows = [
        # on p1, A has more hits but a lower hit rate (it wrote many points)
        Row("A", "p1", 3, 0.3), Row("B", "p1", 2, 0.5),
        Row("A", "p2", 1, 0.5), Row("B", "p2", 1, 0.5),
    ]
    (pair,) = pairwise(paper_scores(rows), ["A", "B"])
    assert pair["papers"] == 2
    assert pair["by_hits"] == {"win": 1, "tie": 1, "loss": 0}
    assert pair["by_hit_rate"] == {"win": 0, "tie": 1, "loss": 1}


def test_bootstrap_interval_is_seeded_and_brackets_the_mean():
    values = [0.1, 0.4, 0.35, 0.8, 0.2, 0.5]
    first = bootstrap_ci(values, 500, seed=3)
    assert first == bootstrap_ci(values, 500, seed=3)
    assert first[0] < sum(values) / len(values) < first[1]
    assert bootstrap_ci([0.3, 0.3, 0.3], 100) == (pytest.approx(0.3), pytest.approx(0.3))
    assert bootstrap_ci([], 100) is None
    assert bootstrap_ci(values, 0) is None


def test_review_shape_counts_points_and_missing_or_empty_aspects():
    text = "[Significance and novelty]\n<A> a\n<B> b\n\n[Potential reasons for rejection]\n"
    shape = review_shape(parse_review(text, "4-aspect"), "4-aspect")
    assert shape.points == 2
    assert shape.empty_aspects == (
        "Potential reasons for acceptance", "Potential reasons for rejection", "Suggestions for improvement"
    )
    summary = shape_summary([shape, review_shape(parse_review("no headers", "4-aspect"), "4-aspect")])
    assert summary["points_per_review"] == 1.0
    assert summary["empty_aspects_per_review"] == 3.5
    assert summary["no_points"] == 1
    assert summary["empty_by_aspect"]["Significance and novelty"] == 1
