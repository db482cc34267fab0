#!/usr/bin/env python
"""The table of docs/QUALITY.md from an evaluate version and the infer versions it scored.

Per system, over the papers that every listed system has (so each row is measured on the same
papers): hit rate and hits per review from ``matches.jsonl`` (a paper's value is the mean over its
samples and references, as ``reviewgpt evaluate`` computes it), with 95% bootstrap intervals over
papers; and, from each system's predictions (all samples), the share of reviews that parse into
every aspect of the schema with at least one point each, and the mean length in words.

    python scripts/quality_table.py --data-dir data --evaluation quality-each-human \\
        --systems smollm2-base=q-base,smollm2-neurips=q-finetuned,generic=q-generic,frequent-points=q-frequent
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
from collections import defaultdict
from pathlib import Path

from reviewgpt.evaluate.metrics import HUMAN_SYSTEM
from reviewgpt.records.evaluate import MatchResult
from reviewgpt.records.infer import Prediction
from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review
from reviewgpt.store import read_records


def _bootstrap(values: list[float], resamples: int, seed: int) -> tuple[float, float]:
    rng = random.Random(seed)
    means = sorted(statistics.fmean(rng.choices(values, k=len(values))) for _ in range(resamples))
    return means[int(0.025 * resamples)], means[int(0.975 * resamples) - 1]


def _complete(text: str, schema: str) -> bool:
    parsed = parse_review(text, schema)
    return all(parsed.aspects.get(name) for name in ASPECT_SCHEMAS[schema])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--evaluation", required=True, help="evaluate version")
    parser.add_argument("--systems", required=True, help="label=infer version, comma-separated, in row order")
    parser.add_argument("--review-schema", "--schema", dest="schema", default="4-aspect")
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    rows = [tuple(item.split("=", 1)) for item in args.systems.split(",")]
    predictions = {
        label: list(read_records(args.data_dir / "infer" / version / "predictions.jsonl", Prediction))
        for label, version in rows
    }
    system_of = {label: predictions[label][0].system for label, _ in rows}
    per_paper: dict[str, dict[str, list[MatchResult]]] = defaultdict(lambda: defaultdict(list))
    for match in read_records(args.data_dir / "evaluate" / args.evaluation / "matches.jsonl", MatchResult):
        per_paper[match.system][match.forum].append(match)
    common = set.intersection(*(set(per_paper[system_of[label]]) for label, _ in rows))
    if HUMAN_SYSTEM in per_paper:
        common &= set(per_paper[HUMAN_SYSTEM])
    papers = sorted(common)
    if not papers:
        print("error: the systems share no evaluated paper", file=sys.stderr)
        return 1

    table = [
        "| system | hit rate (95% CI) | hits per review (95% CI) | reviews with every aspect | mean words | papers | reviews |",
        "|---|---|---|---|---|---|---|",
    ]
    labelled = [(label, system_of[label]) for label, _ in rows]
    if HUMAN_SYSTEM in per_paper:
        labelled.append(("human ceiling (each human vs the other humans)", HUMAN_SYSTEM))
    for label, system in labelled:
        rates = [statistics.fmean(m.hit_rate for m in per_paper[system][f]) for f in papers]
        hits = [statistics.fmean(m.hits for m in per_paper[system][f]) for f in papers]
        lo_r, hi_r = _bootstrap(rates, args.bootstrap, args.seed)
        lo_h, hi_h = _bootstrap(hits, args.bootstrap, args.seed)
        if label in predictions:
            preds = [p for p in predictions[label] if p.forum in common]
            complete = f"{sum(_complete(p.text, args.schema) for p in preds) / len(preds):.0%}"
            words = f"{statistics.fmean(len(p.text.split()) for p in preds):.0f}"
            n_reviews = len(preds)
        else:
            complete, words, n_reviews = "n/a", "n/a", sum(len(per_paper[system][f]) for f in papers)
        table.append(
            f"| {label} | {statistics.fmean(rates):.3f} ({lo_r:.3f}–{hi_r:.3f}) | {statistics.fmean(hits):.2f} "
            f"({lo_h:.2f}–{hi_h:.2f}) | {complete} | {words} | {len(papers)} | {n_reviews} |"
        )
    print("\n".join(table))
    print(json.dumps({"papers": len(papers), "evaluation": args.evaluation}), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
