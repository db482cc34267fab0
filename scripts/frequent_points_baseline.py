#!/usr/bin/env python
"""A trivial baseline for docs/QUALITY.md: the same generic review for every paper.

For each aspect of the schema, the review holds the training points that are most typical of that
aspect: each training point is scored by the mean document frequency (over that aspect's points in
train.jsonl) of the content words of its title and detail, and the best scoring points with distinct
titles are kept, as many as the median number of points that aspect has in a training review. The
review is written as an infer version (``predictions.jsonl``, one sample per test paper), so that
``reviewgpt evaluate`` scores it exactly like a model's output.

    python scripts/frequent_points_baseline.py --data-dir data --dataset neurips2025 --version baseline-frequent

It reads only the train split; nothing about the test papers goes into the review.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

from reviewgpt.records.dataset import InstructionExample
from reviewgpt.records.infer import Prediction
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, parse_review, render_review
from reviewgpt.store import StageRun, read_records, resolve_input

SYSTEM = "frequent-points"
_WORD = re.compile(r"[a-z][a-z\-]{2,}")
#: words too common in any review point to say what the point is about
_STOP = frozenset(
    "the and for are but not with this that these those from have has had was were been being their its "
    "they them than then also more most such some any all can could would should may might will into "
    "about which what when where while only other each there here our your very much many how why".split()
)


def _words(point: ReviewPoint) -> set[str]:
    return {w for w in _WORD.findall(f"{point.title} {point.detail}".lower()) if w not in _STOP}


def typical_review(examples: list[InstructionExample], schema: str) -> str:
    """The generic review: per aspect, the most typical training points (see the module doc)."""
    per_aspect: dict[str, list[ReviewPoint]] = {name: [] for name in ASPECT_SCHEMAS[schema]}
    counts: dict[str, list[int]] = {name: [] for name in per_aspect}
    for example in examples:
        parsed = parse_review(example.output, schema)
        for name in per_aspect:
            points = parsed.aspects.get(name, [])
            per_aspect[name].extend(points)
            counts[name].append(len(points))
    chosen: dict[str, list[ReviewPoint]] = {}
    for name, points in per_aspect.items():
        bags = [_words(p) for p in points]
        df = Counter(w for bag in bags for w in bag)
        scored = sorted(
            ((sum(df[w] for w in bag) / len(bag), i) for i, bag in enumerate(bags) if len(bag) >= 3),
            key=lambda item: (-item[0], item[1]),
        )
        want = round(statistics.median(counts[name])) if counts[name] else 0
        seen: set[str] = set()
        chosen[name] = []
        for _, i in scored:
            title = points[i].title.lower()
            if title in seen:
                continue
            seen.add(title)
            chosen[name].append(points[i])
            if len(chosen[name]) >= want:
                break
    return render_review(chosen, schema)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"))
    parser.add_argument("--dataset", default=None, help="dataset version (default: its LATEST)")
    parser.add_argument("--split", default="test", help="split whose papers get the review")
    parser.add_argument("--version", default="baseline-frequent", help="infer version to write")
    args = parser.parse_args(argv)

    dataset = resolve_input(args.data_dir, "dataset", args.dataset)
    train = list(read_records(dataset.file("train.jsonl"), InstructionExample))
    targets = list(read_records(dataset.file(f"{args.split}.jsonl"), InstructionExample))
    if not train or not targets:
        print(f"error: dataset {dataset.version} has no train or {args.split} examples", file=sys.stderr)
        return 1
    schema = train[0].schema
    text = typical_review(train, schema)
    parsed = parse_review(text, schema)
    with StageRun(
        args.data_dir, "infer", args.version, params={"system": SYSTEM, "split": args.split},
        inputs=[dataset], records="predictions.jsonl", id_key="forum,sample",
    ) as run:
        done = run.done_ids()
        for example in targets:
            if f"{example.id}:0" in done:
                continue
            run.append(Prediction(
                forum=example.id, sample=0, system=SYSTEM, text=text, n_points=parsed.n_points,
                empty_aspects=parsed.empty_aspects, backend="baseline",
            ))
    print(run.report().summary())
    print(text, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
