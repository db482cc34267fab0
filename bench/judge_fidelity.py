"""Evaluation fidelity: how well the offline embedding judge agrees with GPT-4 (issue 11).

Measures, on the MARG GPT-4 alignment dev file, cross-validated by paper:
  1. the issue's baseline: plain MiniLM cosine, Hungarian one-to-one, fixed cosine thresholds;
  2. the plain judge calibrated (``--features plain``: a threshold fitted on held-in papers);
  3. the calibrated feature judge (the default);
and the speed of the judge on CPU. Optionally writes the shipped default calibration.

Usage:
    python bench/judge_fidelity.py --gold tests/fixtures/judge/marg_gpt4_alignments_dev.jsonl \
        [--write-default src/reviewgpt/evaluate/calibration_default.json] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=Path("tests/fixtures/judge/marg_gpt4_alignments_dev.jsonl"))
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--write-default", type=Path, default=None, help="Save the full-data calibration here.")
    parser.add_argument("--json", type=Path, default=None, help="Write the figures as JSON here.")
    args = parser.parse_args()

    from scipy.optimize import linear_sum_assignment

    from reviewgpt.evaluate.agreement import AlignedUnit, agreement, load_units
    from reviewgpt.evaluate.calibration import (
        DEFAULT_FEATURES,
        PLAIN_FEATURES,
        calibrate_units,
        cross_validate,
        featurize_units,
    )
    from reviewgpt.evaluate.features import FEATURE_NAMES
    from reviewgpt.evaluate.judges.embedding import load_encoder_model

    units = load_units(args.gold)
    t0 = time.perf_counter()
    load_encoder_model()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    features = featurize_units(units)
    featurize_s = time.perf_counter() - t0
    n_pairs = sum(len(u.points_a) * len(u.points_b) for u in units)
    print(f"{len(units)} comparisons, {n_pairs} pairs, {sum(u.hits for u in units)} GPT-4 matches")
    print(f"model load {load_s:.1f}s; embed + features {featurize_s:.1f}s ({len(units) / featurize_s:.1f} comparisons/s)")

    rows: dict[str, dict] = {}
    for cos_threshold in (0.45, 0.50, 0.55, 0.60):
        pred = []
        for unit, feats in zip(units, features, strict=True):
            cos = feats[..., 0]
            r, c = linear_sum_assignment(cos, maximize=True)
            pairs = frozenset((i + 1, j + 1) for i, j in zip(r, c, strict=True) if cos[i, j] >= cos_threshold)
            pred.append(AlignedUnit(unit.system, unit.forum, unit.sample, unit.reference, unit.points_a, unit.points_b, pairs))
        rows[f"baseline cosine >= {cos_threshold:.2f}"] = agreement(units, pred).to_dict()

    # The first calibrated judge: no review-size features, weak L2, threshold for the best kappa.
    first = tuple(n for n in FEATURE_NAMES if n not in ("log_n_a", "log_n_b", "number_overlap"))
    for objective in ("kappa", "balanced", "winner"):
        for feature_set, names in (("no size features", first), ("default features", DEFAULT_FEATURES)):
            for l2 in (1.0, 30.0):
                cv = cross_validate(units, features, names, l2=l2, folds=args.folds, objective=objective)
                rows[f"{feature_set}, l2 {l2:g}, threshold for {objective}, CV by paper"] = cv.agreement.to_dict()

    for name, names in (("plain (calibrated cosine)", PLAIN_FEATURES), ("calibrated features (default)", DEFAULT_FEATURES)):
        t0 = time.perf_counter()
        cal, cv = calibrate_units(units, names, folds=args.folds, source=str(args.gold), features=features)
        rows[f"{name}, CV by paper"] = {**cv.agreement.to_dict(), "threshold": cal.threshold}
        print(f"{name}: fit + {cv.folds}-fold CV {time.perf_counter() - t0:.1f}s")
        if names == DEFAULT_FEATURES and args.write_default:
            cal.fitted_on["source"] = args.gold.name
            cal.save(args.write_default)
            print(f"wrote {args.write_default}")

    print("\n| judge | winner agr. | kappa | F1 | Spearman | pred. matches |\n|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['winner_agreement']:.3f} | {r['kappa']:.3f} | {r['f1']:.3f} | {r['spearman']:.3f} "
            f"| {r['pred_positive']} |"
        )
    if args.json:
        args.json.write_text(json.dumps({"load_s": load_s, "featurize_s": featurize_s, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
