"""Benchmark: aggregate-reviews (openai aggregator) against a rate-limited fake server.

The fake OpenAI-compatible server answers after ``--latency`` seconds and returns 429 with
Retry-After above ``--server-rpm`` requests in any 60 s window. The client is told the same
limit (``--rpm``). We report the achieved requests/min as a fraction of the limit (target >= 0.9),
the 429s the server had to send (target: none, no storms), and the wall time.

    python bench/aggregate.py --papers 2000 --latency 0.05 --server-rpm 600 --rpm 600

Papers are synthetic crawl records (two ~150-word reviews each); the whole stage runs for
real: selection, prompts, JSON mode, validation, records, manifest, cache.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from reviewgpt.aggregate import run
from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.llm import LLMConfig
from reviewgpt.records import CrawledPaper, Reply
from reviewgpt.reviewtext import ASPECT_SCHEMAS
from reviewgpt.store import StageRun
from reviewgpt.testing.openai_server import FakeOpenAIServer

REVIEW = (
    "Summary: the paper proposes a method for {topic}. Strengths: the idea is simple and the experiments "
    "are extensive. Weaknesses: the comparison with prior work is incomplete and the ablations are missing. "
) * 4


def answer(body: dict) -> str:
    return json.dumps({"aspects": {name: [{"title": "A point", "detail": "Said by a reviewer."}]
                                   for name in ASPECT_SCHEMAS["4-aspect"]}})


def write_papers(data_dir: Path, n: int) -> None:
    with StageRun(data_dir, "crawl", "bench") as stage:
        for i in range(n):
            replies = [Reply(id=f"p{i}r{j}", kind="review", invitation="bench/-/Official_Review",
                             fields={"review": REVIEW.format(topic=f"topic {i}"), "rating": "6"}) for j in range(2)]
            stage.append(CrawledPaper(forum=f"p{i}", venue_id="bench", api_version=2, title=f"Paper {i}",
                                      replies=replies))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--latency", type=float, default=0.05, help="server seconds per answer")
    parser.add_argument("--server-rpm", type=int, default=600, help="server limit; 429 above it")
    parser.add_argument("--rpm", type=int, default=600, help="client-side limit")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp, FakeOpenAIServer(
        answer, latency_s=args.latency, rpm_limit=args.server_rpm
    ) as server:
        data_dir = Path(tmp) / "data"
        write_papers(data_dir, args.papers)
        cfg = AggregateConfig(
            data_dir=data_dir, version="bench", aggregator="openai",
            llm=LLMConfig(base_url=server.base_url, rpm=args.rpm, concurrency=args.concurrency),
        )
        start = time.monotonic()
        report = run(cfg)
        wall = time.monotonic() - start
        answered = server.answered
        span = answered[-1]["_received_at"] - answered[0]["_received_at"] if len(answered) > 1 else wall
        rate = (len(answered) - 1) / span * 60 if span > 0 else float("nan")
        too_many = sum(1 for r in server.requests if r["_status"] == 429)
        sent = len(server.requests)
        cached_start = time.monotonic()
        rerun = run(cfg.model_copy(update={"version": "bench-rerun"}))
        cached_wall = time.monotonic() - cached_start
        resent = len(server.requests) - sent

    print(f"papers={args.papers} ok={report.counts['ok']} failed={report.counts['failed']}")
    print(f"wall={wall:.1f}s  achieved={rate:.1f} req/min = {rate / args.server_rpm:.3f} of the {args.server_rpm}/min limit")
    print(f"server 429s={too_many}  max in any 60 s window={server.max_in_window(60.0)}")
    print(f"rerun from cache: ok={rerun.counts['ok']} wall={cached_wall:.1f}s, new requests={resent}")
    print(f"at this rate 2,600 papers take {2600 / rate:.1f} min")


if __name__ == "__main__":
    main()
