"""How well one judge agrees with another: the four figures of issue 11.

Both judges' decisions are read into :class:`AlignedUnit` lists: one unit is one review A (a
system's output for a paper) compared against one reference B, with the set of (a, b) pairs the
judge counts as hits (1-based, as in :class:`~reviewgpt.records.evaluate.PointMatch`). Units are
joined by (system, forum, sample, reference); a unit counts only when both sides hold the same
points. Then:

- **pair-level Cohen's kappa and F1**: every (point of A, point of B) pair of every joined unit is
  one yes/no decision; the gold judge is the truth.
- **per-paper winner agreement**: for each paper and each pair of systems, the winner is the
  system with more mean hits per unit on that paper; the fraction of cases where both judges
  pick the same winner, leaving out cases the gold judge calls a tie (a predicted tie is a miss).
- **generator Spearman**: the rank correlation of the systems' mean hits per paper.

Gold sources: the MARG GPT-4 alignment file of ``tests/fixtures/judge`` (``generated_comments``
+ ``reviews[].matches``), or any evaluate ``matches.jsonl`` (hits = similarity >= threshold).
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from reviewgpt.artifacts import EVALUATE
from reviewgpt.errors import ReviewGPTError
from reviewgpt.evaluate.constants import HIT_THRESHOLD
from reviewgpt.records.evaluate import MatchResult
from reviewgpt.store import iter_jsonl, read_records


@dataclass(frozen=True)
class AlignedUnit:
    """One review A against one reference B, and the (a, b) pairs judged the same point (1-based)."""

    system: str
    forum: str
    sample: int
    reference: str
    points_a: tuple[str, ...]
    points_b: tuple[str, ...]
    pairs: frozenset[tuple[int, int]] = frozenset()

    @property
    def key(self) -> tuple[str, str, int, str]:
        return (self.system, self.forum, self.sample, self.reference)

    @property
    def hits(self) -> int:
        return len(self.pairs)


@dataclass
class Agreement:
    """The agreement of a predicted judge with a gold judge (see the module docstring)."""

    kappa: float
    f1: float
    precision: float
    recall: float
    winner_agreement: float
    winner_cases: int
    spearman: float
    units: int
    pairs: int
    gold_positive: int
    pred_positive: int
    gold_mean_hits: dict[str, float] = field(default_factory=dict)
    pred_mean_hits: dict[str, float] = field(default_factory=dict)

    def headline(self) -> str:
        return (
            f"winner agreement {self.winner_agreement:.3f} ({self.winner_cases} cases)  "
            f"kappa {self.kappa:.3f}  F1 {self.f1:.3f}  generator Spearman {self.spearman:.3f}"
        )

    def to_dict(self) -> dict:
        """The figures as JSON-ready values; an undefined figure (nan) becomes None (JSON has no NaN)."""
        return {
            k: (None if v != v else round(v, 4)) if isinstance(v, float) else v  # v != v: nan
            for k, v in self.__dict__.items()
        }


# ---------------------------------------------------------------------------- metrics


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Cohen's kappa of two yes/no raters from their 2x2 table; 0 when chance explains everything."""
    n = tp + fp + fn + tn
    if n == 0:
        return 0.0
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    return 0.0 if expected >= 1.0 else (observed - expected) / (1.0 - expected)


def spearman(x: list[float], y: list[float]) -> float:
    """Spearman's rank correlation with average ranks for ties; nan when either side is constant."""
    from scipy.stats import spearmanr

    if len(x) < 2 or len(set(x)) < 2 or len(set(y)) < 2:
        return float("nan")
    return float(spearmanr(x, y).statistic)


def mean_hits_per_paper(units: Iterable[AlignedUnit]) -> dict[tuple[str, str], float]:
    """(system, forum) -> mean hits over that system's units (samples x references) on the paper."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(list)
    for unit in units:
        totals[(unit.system, unit.forum)].append(unit.hits)
    return {key: sum(v) / len(v) for key, v in totals.items()}


def system_means(per_paper: dict[tuple[str, str], float]) -> dict[str, float]:
    """system -> mean over its papers of the per-paper mean hits."""
    by_system: dict[str, list[float]] = defaultdict(list)
    for (system, _), value in per_paper.items():
        by_system[system].append(value)
    return {s: sum(v) / len(v) for s, v in sorted(by_system.items())}


def winner_agreement(gold: dict[tuple[str, str], float], pred: dict[tuple[str, str], float]) -> tuple[float, int]:
    """Fraction of (paper, system pair) cases where both pick the same winner; gold ties left out."""
    systems_by_paper: dict[str, list[str]] = defaultdict(list)
    for system, forum in gold:
        systems_by_paper[forum].append(system)
    agree = cases = 0
    for forum, systems in systems_by_paper.items():
        for s1, s2 in itertools.combinations(sorted(systems), 2):
            g = gold[(s1, forum)] - gold[(s2, forum)]
            if abs(g) < 1e-12:
                continue
            p = pred.get((s1, forum), 0.0) - pred.get((s2, forum), 0.0)
            cases += 1
            agree += int(abs(p) > 1e-12 and (p > 0) == (g > 0))
    return (agree / cases if cases else float("nan")), cases


def agreement(gold: list[AlignedUnit], pred: list[AlignedUnit]) -> Agreement:
    """Compare the predicted judge's hits with the gold judge's on the units both have.

    Raises:
        ReviewGPTError: no unit of ``pred`` matches a unit of ``gold`` with the same points.
    """
    pred_by_key = {u.key: u for u in pred}
    joined: list[tuple[AlignedUnit, AlignedUnit]] = []
    for g in gold:
        p = pred_by_key.get(g.key)
        if p is not None and p.points_a == g.points_a and p.points_b == g.points_b:
            joined.append((g, p))
    if not joined:
        raise ReviewGPTError(
            "no comparison of the predictions matches one of the gold file (same system, forum, sample, "
            "reference and the same points); are they judgements of the same reviews?"
        )
    tp = fp = fn = n_pairs = 0
    for g, p in joined:
        n_pairs += len(g.points_a) * len(g.points_b)
        tp += len(g.pairs & p.pairs)
        fp += len(p.pairs - g.pairs)
        fn += len(g.pairs - p.pairs)
    tn = n_pairs - tp - fp - fn
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    gold_papers = mean_hits_per_paper(g for g, _ in joined)
    pred_papers = mean_hits_per_paper(p for _, p in joined)
    win, cases = winner_agreement(gold_papers, pred_papers)
    gold_systems, pred_systems = system_means(gold_papers), system_means(pred_papers)
    systems = sorted(gold_systems)
    rho = spearman([gold_systems[s] for s in systems], [pred_systems[s] for s in systems])
    return Agreement(
        kappa=cohen_kappa(tp, fp, fn, tn), f1=f1, precision=precision, recall=recall,
        winner_agreement=win, winner_cases=cases, spearman=rho, units=len(joined), pairs=n_pairs,
        gold_positive=tp + fn, pred_positive=tp + fp, gold_mean_hits=gold_systems, pred_mean_hits=pred_systems,
    )


# ---------------------------------------------------------------------------- reading judgements


def units_from_match_results(results: Iterable[MatchResult], threshold: float = HIT_THRESHOLD) -> list[AlignedUnit]:
    """Units from evaluate records: a pair is a hit when its similarity >= ``threshold``."""
    return [
        AlignedUnit(
            system=r.system, forum=r.forum, sample=r.sample, reference=r.reference,
            points_a=tuple(r.points_a), points_b=tuple(r.points_b),
            pairs=frozenset((m.a, m.b) for m in r.matches if m.similarity >= threshold),
        )
        for r in results
    ]


def units_from_marg(path: Path) -> list[AlignedUnit]:
    """Units from the MARG GPT-4 alignment format: one per (generator, paper, human review)."""
    units = []
    for obj in iter_jsonl(path):
        for review in obj["reviews"]:
            units.append(
                AlignedUnit(
                    system=obj["method"], forum=obj["doc_id"], sample=0,
                    reference=f"review{review['review_idx']}",
                    points_a=tuple(obj["generated_comments"]), points_b=tuple(review["reference_comments"]),
                    pairs=frozenset((m["gen"] + 1, m["ref"] + 1) for m in review["matches"]),
                )
            )
    return units


def load_units(source: Path, threshold: float = HIT_THRESHOLD) -> list[AlignedUnit]:
    """Read judged units from a MARG alignment file, a ``matches.jsonl`` or an evaluate version folder.

    Args:
        source: a ``.jsonl`` file in either format, or a folder holding ``matches.jsonl``.
        threshold: the similarity from which a match in ``matches.jsonl`` is a hit. A MARG file
            has no similarities (its pairs are the ones GPT-4 kept), so it is read as it is.

    Raises:
        ReviewGPTError: the path does not exist or is in neither format.
    """
    path = Path(source)
    if path.is_dir():
        path = path / EVALUATE.records.name
    if not path.is_file():
        raise ReviewGPTError(f"judged matches not found: {path}")
    with open(path, encoding="utf-8") as fh:
        first = fh.readline()
    try:
        head = json.loads(first) if first.strip() else {}
    except json.JSONDecodeError as exc:
        raise ReviewGPTError(f"{path}: first line is not JSON ({exc.msg})") from exc
    if "generated_comments" in head and "reviews" in head:
        return units_from_marg(path)
    if "points_a" in head and "matches" in head:
        return units_from_match_results(read_records(path, MatchResult), threshold)
    raise ReviewGPTError(
        f"{path}: neither a MARG alignment file (generated_comments, reviews) nor evaluate matches.jsonl "
        "(points_a, points_b, matches)"
    )
