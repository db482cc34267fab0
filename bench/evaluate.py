"""Benchmark of the evaluate stage (CPU, no network): LLM-judge throughput and summary/report cost.

Two measurements:

1. ``judge``: the full stage with the LLM judge against the local OpenAI-compatible test server
   answering after ``--latency`` seconds (a stand-in for a real API's latency): reviews judged per
   second at several ``llm.concurrency`` values. One comparison per aspect, so a 4-aspect review
   costs up to 4 calls.
2. ``report``: summary (bootstrap over papers) and report (4 PNGs) for a large evaluation, with
   a zero-cost judge, to show that the bookkeeping is not the bottleneck.

Run: /work/venv/bin/python bench/evaluate.py --papers 57 --samples 5 --latency 0.5
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from reviewgpt.evaluate import run
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.testing.evaluate_inputs import TitleJudge, review, write_dataset, write_predictions
from reviewgpt.testing.openai_server import FakeOpenAIServer

ASPECT_KEYS = ("significance", "acceptance", "rejection", "suggestions")
TOPICS = ["Weak baselines", "No ablation", "Unclear writing", "Small data", "Missing proofs", "Novel loss",
          "Strong results", "Add experiments"]


def make_inputs(data_dir: Path, papers: int, samples: int, systems: int) -> None:
    refs = {}
    for p in range(papers):
        picks = {aspect: [f"{TOPICS[(p + 2 * n + i) % len(TOPICS)]} {p}" for i in range(2)] for n, aspect in enumerate(ASPECT_KEYS)}
        refs[f"paper{p}"] = review(**picks)
    write_dataset(data_dir, refs)
    rows = []
    for s in range(systems):
        for p in range(papers):
            for k in range(samples):
                picks = {aspect: [f"{TOPICS[(p + 2 * n + k + s) % len(TOPICS)]} {p}"] for n, aspect in enumerate(ASPECT_KEYS)}
                rows.append((f"sys{s}", f"paper{p}", k, review(**picks)))
    write_predictions(data_dir, rows)


def responder(body: dict) -> str:
    return json.dumps({"matches": [{"a": 1, "b": 1, "rationale": "r", "similarity": 8}]})


def bench_judge(papers: int, samples: int, latency: float, concurrencies: list[int]) -> None:
    for concurrency in concurrencies:
        with tempfile.TemporaryDirectory() as tmp:
            data_dir = Path(tmp) / "data"
            make_inputs(data_dir, papers, samples, systems=2)
            with FakeOpenAIServer(responder, latency_s=latency) as server:
                cfg = EvaluateConfig(data_dir=data_dir, judge="openai", plots=False,
                                     llm={"base_url": server.base_url, "concurrency": concurrency, "cache": False})
                start = time.perf_counter()
                report = run(cfg)
                seconds = time.perf_counter() - start
                calls = len(server.requests)
            reviews = report.counts["ok"]
            print(f"judge  concurrency={concurrency:3d}  reviews={reviews}  calls={calls}  {seconds:7.2f} s  "
                  f"{reviews / seconds:7.1f} reviews/s  {calls / seconds:7.1f} calls/s")


def bench_report(papers: int, samples: int, systems: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        make_inputs(data_dir, papers, samples, systems)
        start = time.perf_counter()
        report = run(EvaluateConfig(data_dir=data_dir, version="a", plots=False, bootstrap=0), judge=TitleJudge())
        judged = time.perf_counter() - start
        start = time.perf_counter()
        run(EvaluateConfig(data_dir=data_dir, version="a", plots=True, bootstrap=1000), judge=TitleJudge())
        summarised = time.perf_counter() - start
    print(f"report papers={papers} systems={systems} reviews={report.counts['ok']}: parse+judge(test)+write "
          f"{judged:.2f} s; rerun (nothing to judge) + summary with 1000 bootstrap resamples + 4 PNGs {summarised:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=57)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--latency", type=float, default=0.5, help="seconds the fake server waits per answer")
    parser.add_argument("--concurrency", default="8,32", help="comma-separated llm.concurrency values")
    parser.add_argument("--report-papers", type=int, default=1000)
    args = parser.parse_args()
    bench_judge(args.papers, args.samples, args.latency, [int(c) for c in args.concurrency.split(",")])
    bench_report(args.report_papers, args.samples, systems=3)


if __name__ == "__main__":
    main()
