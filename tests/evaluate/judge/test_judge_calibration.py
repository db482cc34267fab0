"""Calibration: fitting, one-to-one decoding, the 5..10 scale, save/load, the shipped default."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from reviewgpt.errors import ReviewGPTError
from reviewgpt.evaluate.agreement import AlignedUnit
from reviewgpt.evaluate.calibration import (
    DEFAULT_CALIBRATION,
    assign,
    cross_validate,
    decode,
    fit_calibration,
    load_calibration,
    paper_folds,
    similarity_scale,
)
from reviewgpt.evaluate.features import FEATURE_NAMES


def synthetic(n_papers: int = 6, seed: int = 0) -> tuple[list[AlignedUnit], list[np.ndarray]]:
    """Units whose gold pairs are a diagonal, with a noisy 'cos' feature that is high on it."""
    rng = np.random.default_rng(seed)
    units, features = [], []
    for p in range(n_papers):
        for s in range(2):
            n = 4
            pairs = {(k + 1, k + 1) for k in range(n) if (k + s + p) % 3 != 0}
            feats = rng.normal(0.0, 0.1, size=(n, n, len(FEATURE_NAMES)))
            for a, b in pairs:
                feats[a - 1, b - 1, :] += 1.0
            units.append(AlignedUnit(f"s{s}", f"paper{p}", 0, "r0", tuple(f"a{i}" for i in range(n)),
                                     tuple(f"b{j}" for j in range(n)), frozenset(pairs)))
            features.append(feats)
    return units, features


def test_assign_is_one_to_one_and_keeps_only_pairs_above_the_threshold() -> None:
    probs = np.array([[0.9, 0.8, 0.1], [0.85, 0.2, 0.1], [0.1, 0.1, 0.3]])
    pairs = assign(probs, threshold=0.5)
    # (0,0) and (1,0) compete for column 0; the best total is (0,1)+(1,0); (2,2) is below 0.5
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 1), (1, 0)]
    assert assign(np.zeros((0, 3)), 0.5) == []
    assert sorted((i, j) for i, j, _ in assign(probs, 0.5, floor=0.25)) == [(0, 1), (1, 0), (2, 2)]


@pytest.mark.parametrize("threshold", [0.1, 0.3, 0.6])
def test_similarity_scale_puts_hits_at_or_above_7_and_others_below(threshold: float) -> None:
    for p in np.linspace(threshold / 2, 1.0, 50):
        sim = similarity_scale(float(p), threshold)
        assert 5.0 <= sim <= 10.0
        assert (sim >= 7.0) == (p >= threshold)
    assert similarity_scale(threshold - 1e-6, threshold) < 7.0
    assert similarity_scale(1.0, threshold) == 10.0


def test_fit_learns_the_signal_and_cross_validation_holds_out_papers() -> None:
    units, features = synthetic()
    cal = fit_calibration(units, features, feature_names=["cos", "token_recall"])
    assert cal.fitted_on["positive_pairs"] == sum(u.hits for u in units)
    predicted = decode(units, features, cal)
    assert [u.pairs for u in predicted] == [u.pairs for u in units]
    folds = paper_folds(units, 3)
    for forum in {u.forum for u in units}:
        assert len({f for f, u in zip(folds, units, strict=True) if u.forum == forum}) == 1
    cv = cross_validate(units, features, ["cos"], folds=3)
    assert cv.folds == 3
    assert cv.agreement.kappa > 0.9
    assert cv.agreement.units == len(units)


def test_save_load_round_trip_gives_identical_matches(tmp_path: Path) -> None:
    units, features = synthetic(seed=1)
    cal = fit_calibration(units, features, feature_names=["cos", "word_jaccard"])
    path = tmp_path / "cal.json"
    cal.save(path)
    loaded = load_calibration(path)
    assert loaded == cal
    for feats in features:
        assert np.array_equal(loaded.probabilities(feats), cal.probabilities(feats))
    assert decode(units, features, loaded) == decode(units, features, cal)


def test_no_positive_pair_is_a_clear_error() -> None:
    units, features = synthetic()
    empty = [AlignedUnit(u.system, u.forum, 0, "r0", u.points_a, u.points_b) for u in units]
    with pytest.raises(ReviewGPTError, match="no matched pair"):
        fit_calibration(empty, features)


def test_the_shipped_default_loads_offline_with_its_measured_agreement() -> None:
    cal = load_calibration(None)
    assert DEFAULT_CALIBRATION.is_file()
    assert cal.encoder == "all-MiniLM-L6-v2"
    assert set(cal.features) <= set(FEATURE_NAMES)
    assert 0 < cal.threshold < 1
    cv = cal.cross_validation or {}
    assert cv.get("held_out") == "paper"
    for figure in ("winner_agreement", "kappa", "f1", "spearman"):
        assert figure in cv


def test_bad_calibration_files_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ReviewGPTError, match="not found"):
        load_calibration(tmp_path / "missing.json")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"weights": [1.0]}), encoding="utf-8")
    with pytest.raises(ReviewGPTError, match="not a reviewgpt judge calibration"):
        load_calibration(other)
    newer = tmp_path / "newer.json"
    data = json.loads(DEFAULT_CALIBRATION.read_text(encoding="utf-8"))
    newer.write_text(json.dumps({**data, "format_version": 99}), encoding="utf-8")
    with pytest.raises(ReviewGPTError, match="newer"):
        load_calibration(newer)
