#!/usr/bin/env python3
"""A trivial baseline system for ``reviewgpt evaluate``: one fixed, generic review for every paper.

Writes an infer version whose ``predictions.jsonl`` gives each paper of a dataset split the same
review: the criticisms reviewers raise of almost any ML paper (few datasets, missing baselines,
incremental, no ablation; hyperparameters, cost, theory, limitations). Any system worth training
must beat it; its hit rate shows how much of a hit rate generic wording alone earns.

Example::

    python scripts/generic_review_baseline.py --data-dir data --references v1 --version generic
    reviewgpt evaluate --predictions generic --references v1 --reference each-human --humans latest
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

GENERIC_REVIEW = """[Significance and novelty]
<Relevant problem> The paper addresses a relevant problem for the community.

[Potential reasons for acceptance]
<Clear presentation> The paper is clearly written and easy to follow.
<Promising results> The experiments show improvements over the baselines.

[Potential reasons for rejection]
<Limited experiments> The evaluation uses few datasets and small-scale settings, so it is unclear whether the results generalise.
<Missing baselines> Comparisons with recent state-of-the-art methods are missing.
<Incremental novelty> The contribution is incremental with respect to prior work.
<Missing ablations> There is no ablation study isolating the effect of each component.

[Suggestions for improvement]
<Hyperparameter sensitivity> Report the sensitivity of the method to its hyperparameters.
<Computational cost> Discuss the computational cost and scalability of the method.
<Theoretical justification> Provide a theoretical justification or analysis of why the method works.
<Limitations> Discuss the limitations of the approach and failure cases."""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data"), help="data root [default: data]")
    parser.add_argument("--references", default=None, help="dataset version [default: its LATEST]")
    parser.add_argument("--split", default="test", help="split whose papers get the review [default: test]")
    parser.add_argument("--version", default="generic", help="infer version to write [default: generic]")
    parser.add_argument("--system", default="generic", help="system name in the predictions [default: generic]")
    args = parser.parse_args(argv)

    from reviewgpt.records.dataset import InstructionExample
    from reviewgpt.records.infer import Prediction
    from reviewgpt.reviewtext import parse_review
    from reviewgpt.store import StageRun, read_records, resolve_input

    dataset = resolve_input(args.data_dir, "dataset", args.references)
    papers = list(read_records(dataset.file(f"{args.split}.jsonl"), InstructionExample))
    if not papers:
        print(f"error: dataset/{dataset.version}/{args.split}.jsonl holds no paper", file=sys.stderr)
        return 1
    parsed = parse_review(GENERIC_REVIEW, "4-aspect")
    with StageRun(args.data_dir, "infer", args.version, params={key: str(value) for key, value in vars(args).items()},
                  inputs=[dataset], records="predictions.jsonl", id_key="forum") as run:
        done = run.done_ids()
        for paper in papers:
            if paper.id in done:
                continue
            run.append(Prediction(forum=paper.id, sample=0, system=args.system, text=GENERIC_REVIEW,
                                  n_points=sum(len(points) for points in parsed.aspects.values()),
                                  backend="fixed"))
    print(f"{len(papers)} papers -> {run.path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
