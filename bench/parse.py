"""Throughput of the pymupdf parse backend: papers/s and pages/s with 1 and 2 workers.

Runs the whole stage (crawl records in, papers.jsonl out, worker pool with time limits) over
the fixture PDFs repeated to about 500 papers.

    python bench/parse.py [--papers 500] [--workers 1 2] [--fixtures tests/fixtures/pdfs]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from reviewgpt.parse import run
from reviewgpt.parse.config import ParseConfig
from reviewgpt.store import read_manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--fixtures", type=Path, default=Path(__file__).resolve().parents[1] / "tests/fixtures/pdfs")
    args = parser.parse_args()
    pdfs = sorted(args.fixtures.glob("*.pdf"))
    if not pdfs:
        raise SystemExit(f"no PDFs in {args.fixtures}")
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        crawl = data / "crawl" / "bench"
        crawl.mkdir(parents=True)
        with open(crawl / "papers.jsonl", "w") as fh:
            for i in range(args.papers):
                pdf = pdfs[i % len(pdfs)]
                record = {"forum": f"p{i:05d}", "venue_id": "bench", "api_version": 2, "pdf_path": str(pdf)}
                fh.write(json.dumps(record) + "\n")
        (data / "crawl" / "LATEST").write_text("bench\n")
        # CPU time of one process: the per-core capacity, robust to other load on the box.
        from reviewgpt.parse import parse_pdf

        cpu0, n_pages = time.process_time(), 0
        for _ in range(3):
            for pdf in pdfs:
                n_pages += parse_pdf(pdf).n_pages
        cpu = time.process_time() - cpu0
        print(f"in-process: {3 * len(pdfs) / cpu:.1f} papers per CPU-second, {n_pages / cpu:.0f} pages per CPU-second")
        print(f"{args.papers} papers ({len(pdfs)} distinct fixture PDFs)")
        print("| workers | papers/s | pages/s | papers/s per worker | wall s |")
        print("|---|---|---|---|---|")
        for workers in args.workers:
            started = time.perf_counter()
            report = run(ParseConfig(data_dir=data, version=f"w{workers}", workers=workers))
            wall = time.perf_counter() - started
            extra = read_manifest(report.path)["extra"]
            ok = report.counts["ok"]
            print(
                f"| {workers} | {ok / wall:.1f} | {extra['pages'] / wall:.0f} | {ok / wall / workers:.1f} | {wall:.1f} |"
            )


if __name__ == "__main__":
    main()
