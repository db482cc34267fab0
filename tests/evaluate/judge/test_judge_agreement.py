"""The four agreement figures on hand-built judgements with known answers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from reviewgpt.errors import ReviewGPTError
from reviewgpt.evaluate.agreement import AlignedUnit, agreement, cohen_kappa, load_units, winner_agreement


def unit(system: str, forum: str, pairs: set[tuple[int, int]], n_a: int = 3, n_b: int = 3) -> AlignedUnit:
    return AlignedUnit(
        system=system, forum=forum, sample=0, reference="r0",
        points_a=tuple(f"{system}-{forum}-a{i}" for i in range(n_a)),
        points_b=tuple(f"{forum}-b{j}" for j in range(n_b)),
        pairs=frozenset(pairs),
    )


def test_kappa_of_a_known_table() -> None:
    # 2x2 table: tp=20 fp=5 fn=10 tn=65 -> po=0.85, pe=0.25*0.30+0.75*0.70=0.6; kappa=0.625
    assert cohen_kappa(20, 5, 10, 65) == pytest.approx(0.625)
    assert cohen_kappa(10, 0, 0, 90) == pytest.approx(1.0)
    assert cohen_kappa(0, 0, 0, 0) == 0.0


def test_identical_judges_agree_perfectly() -> None:
    gold = [unit("s1", "p1", {(1, 1), (2, 2)}), unit("s2", "p1", {(1, 1)}), unit("s3", "p1", set())]
    result = agreement(gold, gold)
    assert result.kappa == pytest.approx(1.0)
    assert result.f1 == pytest.approx(1.0)
    assert result.winner_agreement == pytest.approx(1.0)
    assert result.winner_cases == 3
    assert result.spearman == pytest.approx(1.0)


def test_pair_figures_count_every_pair_of_every_unit() -> None:
    gold = [unit("s1", "p1", {(1, 1), (2, 2)}), unit("s2", "p1", {(3, 3)})]
    pred = [unit("s1", "p1", {(1, 1), (2, 3)}), unit("s2", "p1", {(3, 3)})]
    result = agreement(gold, pred)
    # 18 pairs: tp=2 fp=1 fn=1 tn=14
    assert result.pairs == 18
    assert (result.precision, result.recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert result.f1 == pytest.approx(2 / 3)
    po, pe = 16 / 18, (3 * 3 + 15 * 15) / 18**2
    assert result.kappa == pytest.approx((po - pe) / (1 - pe))


def test_winner_agreement_leaves_out_gold_ties_and_counts_predicted_ties_as_misses() -> None:
    gold = {("A", "p1"): 2.0, ("B", "p1"): 1.0, ("C", "p1"): 1.0, ("A", "p2"): 0.0, ("B", "p2"): 1.0}
    pred = {("A", "p1"): 3.0, ("B", "p1"): 1.0, ("C", "p1"): 2.0, ("A", "p2"): 1.0, ("B", "p2"): 1.0}
    # cases: p1 A>B (pred A>B: agree), p1 A>C (pred A>C: agree), p1 B=C (gold tie: out),
    #        p2 B>A (pred tie: miss) -> 2 of 3
    value, cases = winner_agreement(gold, pred)
    assert cases == 3
    assert value == pytest.approx(2 / 3)


def test_generator_spearman_ranks_mean_hits_per_paper() -> None:
    gold = [unit("s1", f"p{k}", {(1, 1), (2, 2)}) for k in range(2)] + [
        unit("s2", f"p{k}", {(1, 1)}) for k in range(2)
    ] + [unit("s3", f"p{k}", set()) for k in range(2)]
    reversed_pred = [unit("s1", f"p{k}", set()) for k in range(2)] + [
        unit("s2", f"p{k}", {(1, 1)}) for k in range(2)
    ] + [unit("s3", f"p{k}", {(1, 1), (2, 2)}) for k in range(2)]
    result = agreement(gold, reversed_pred)
    assert result.spearman == pytest.approx(-1.0)
    assert result.winner_agreement == pytest.approx(0.0)
    assert result.gold_mean_hits == {"s1": 2.0, "s2": 1.0, "s3": 0.0}


def test_units_that_do_not_join_are_refused() -> None:
    gold = [unit("s1", "p1", {(1, 1)})]
    other = [unit("s1", "p1", {(1, 1)}, n_a=2)]  # same key, different points
    with pytest.raises(ReviewGPTError, match="no comparison"):
        agreement(gold, other)


def test_marg_and_matches_jsonl_read_to_the_same_units(marg_slice: Path, tmp_path: Path) -> None:
    marg = load_units(marg_slice)
    assert marg and all(u.sample == 0 for u in marg)
    assert sum(u.hits for u in marg) > 0
    # The same judgements as evaluate records: similarity 8 = hit, 6 = not a hit at threshold 7.
    lines = []
    for u in marg:
        matches = [{"a": a, "b": b, "similarity": 8, "rationale": ""} for a, b in sorted(u.pairs)]
        if (1, 1) not in u.pairs:
            matches.append({"a": 1, "b": 1, "similarity": 6, "rationale": "near miss"})
        lines.append({
            "forum": u.forum, "system": u.system, "sample": 0, "reference": u.reference,
            "points_a": list(u.points_a), "points_b": list(u.points_b), "matches": matches,
            "hits": u.hits, "hit_rate": u.hits / len(u.points_a),
        })
    version = tmp_path / "evaluate" / "v1"
    version.mkdir(parents=True)
    (version / "matches.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    from_records = load_units(version)
    assert from_records == marg
    assert agreement(marg, from_records).kappa == pytest.approx(1.0)
    stricter = load_units(version, threshold=9)
    assert all(not u.pairs for u in stricter)
    assert math.isnan(agreement(marg, stricter).spearman)  # every system at 0 hits: no ranking


def test_an_unknown_file_format_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"hello": 1}\n', encoding="utf-8")
    with pytest.raises(ReviewGPTError, match="neither"):
        load_units(path)
    with pytest.raises(ReviewGPTError, match="not found"):
        load_units(tmp_path / "missing.jsonl")
