"""Benchmark the crawl stage against the local OpenReview server (not a test).

A constructed API v2 venue of N submissions with R replies each is served by
``reviewgpt.testing.openreview_server`` in a separate process (so its CPU is not counted as
ours); the crawl runs in this process with PDFs off. Reports papers/s, API requests per paper
and this process's CPU time per paper (openreview-py's parsing included).

    /work/venv/bin/python bench/crawl.py --papers 2000 --replies 4

Targets: <= 1.1 requests per paper, < 5 ms CPU per paper.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from reviewgpt.crawl import run
from reviewgpt.crawl.config import CrawlConfig
from reviewgpt.testing.openreview_server import v2_reply, v2_submission, v2_venue_group, write_bundle

VENUE = "Bench.cc/2025/Conference"
KINDS = ("Official_Review", "Official_Review", "Official_Comment", "Meta_Review", "Decision")


def build_bundle(root: Path, papers: int, replies: int) -> Path:
    notes = []
    for number in range(1, papers + 1):
        forum = f"p{number:09d}"
        t = 1_700_000_000_000 + number * 1000
        notes.append(v2_submission(VENUE, forum, number, title=f"Paper {number}", abstract="An abstract. " * 40,
                                   pdf=f"/pdf/{forum}.pdf", tmdate=t))
        for k in range(replies):
            kind = KINDS[k % len(KINDS)]
            content = {"summary": "A review paragraph. " * 60, "rating": "6: marginally above the acceptance threshold",
                       "confidence": "4: You are confident"}
            notes.append(v2_reply(VENUE, forum, number, f"{forum}r{k}", kind, content, tmdate=t + k + 1))
    return write_bundle(root / "bundle", groups=[v2_venue_group(VENUE)], v2_notes=notes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--replies", type=int, default=4)
    parser.add_argument("--page-size", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bundle = build_bundle(root, args.papers, args.replies)
        server = subprocess.Popen(
            [sys.executable, "-m", "reviewgpt.testing.openreview_server", "--bundle", str(bundle),
             "--port-v1", "0", "--port-v2", "0", "--page-size", str(args.page_size)],
            stdout=subprocess.PIPE, text=True,
        )
        try:
            urls = {}
            for _ in range(2):
                line = server.stdout.readline().strip()  # "API v1: http://127.0.0.1:PORT"
                key, url = line.split(": ", 1)
                urls[key] = url
            cfg = CrawlConfig(venues=[VENUE], data_dir=root / "data", baseurl=urls["API v1"], baseurl_v2=urls["API v2"],
                              pdfs=False, rate=0, version="bench")
            wall, cpu = time.perf_counter(), time.process_time()
            report = run(cfg)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        finally:
            server.terminate()
            server.wait()
        manifest = json.loads((report.path / "manifest.json").read_text())
        n = report.counts["ok"]
        api_requests = manifest["extra"]["requests"].get("api", 0)
        result = {
            "papers": n,
            "replies_per_paper": args.replies,
            "seconds": round(wall, 3),
            "papers_per_s": round(n / wall, 1),
            "api_requests": api_requests,
            "requests_per_paper": round(api_requests / n, 4),
            "cpu_ms_per_paper": round(1000 * cpu / n, 3),
        }
        print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
