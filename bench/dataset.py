"""Benchmark build-dataset: N examples of about C characters each, tokenized across W processes.

The text is real: paragraphs of the paper PDFs in tests/fixtures/pdfs (read with PyMuPDF)
shuffled per paper with a fixed seed, and reviews built from the PeerRead review sentences. The
tokenizer is a byte-level BPE with a 32k vocabulary trained on that text (no model download),
with a Llama-2-style chat template. Only ``reviewgpt.dataset.run`` is timed; writing the inputs
is not.

    python bench/dataset.py --n 15000 --chars 40000 --workers 2 --out /tmp/bench-dataset
    python bench/dataset.py --n 2000 --chars 40000 --spread 0.5 --out /tmp/bench-dataset-long  # truncation
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"


def _corpus() -> tuple[list[str], list[str]]:
    import pymupdf

    paragraphs: list[str] = []
    for pdf in sorted((FIXTURES / "pdfs").glob("*.pdf")):
        with pymupdf.open(pdf) as doc:
            for page in doc:
                for block in page.get_text("blocks"):
                    text = " ".join(block[4].split())
                    if len(text) > 80:
                        paragraphs.append(text)
    peerread = json.loads((FIXTURES / "reviews/peerread_iclr2017/330.json").read_text())
    comments = " ".join(r["comments"] for r in peerread["reviews"] if r.get("comments"))
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", comments) if len(s) > 20]
    return paragraphs, sentences


def _write_inputs(
    data_dir: Path, n: int, chars: int, spread: float, paragraphs: list[str], sentences: list[str]
) -> None:
    from reviewgpt.records import AggregatedReview, ParsedPaper, Section
    from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, render_review
    from reviewgpt.store import StageRun

    rng = random.Random(0)
    with StageRun(data_dir, "parse", "bench") as parse, StageRun(
        data_dir, "aggregate", "bench", records="reviews.jsonl"
    ) as aggregate:
        for i in range(n):
            body: list[str] = []
            size, target = 0, chars * rng.uniform(1 - spread, 1 + spread)
            while size < target:
                para = rng.choice(paragraphs)
                body.append(para)
                size += len(para) + 2
            sections = [Section(heading=f"{k + 1} Section", text="\n\n".join(body[k::8])) for k in range(8)]
            content = "\n\n".join(f"{s.heading}\n{s.text}" for s in sections)
            title, abstract = f"Paper {i}: {body[0][:60]}", body[1]
            text = f"[TITLE]\n{title}\n\n[ABSTRACT]\n{abstract}\n\n[CAPTIONS]\nFigure 1: {body[2][:200]}\n\n[CONTENT]\n{content}"
            parse.append(ParsedPaper(forum=f"B{i:06d}", parser="bench", title=title, abstract=abstract,
                                     sections=sections, text=text))
            aspects = {
                name: [ReviewPoint(title=" ".join(s.split()[:4]), detail=s) for s in rng.sample(sentences, 4)]
                for name in ASPECT_SCHEMAS["4-aspect"]
            }
            aggregate.append(AggregatedReview(forum=f"B{i:06d}", schema="4-aspect", aspects=aspects,
                                              text=render_review(aspects, "4-aspect"), source_reviews=[],
                                              aggregator="bench"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=15000)
    parser.add_argument("--chars", type=int, default=40000)
    parser.add_argument("--spread", type=float, default=0.0,
                        help="Paper lengths uniform in chars*(1 +- spread); 0.5 puts about a quarter over budget.")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench-dataset"))
    parser.add_argument("--keep-inputs", action="store_true", help="Reuse inputs already written under --out.")
    args = parser.parse_args()

    from reviewgpt.dataset import run
    from reviewgpt.dataset.config import DatasetConfig
    from reviewgpt.store import read_manifest
    from reviewgpt.testing.tiny import train_tokenizer

    data_dir, tok_dir = args.out / "data", args.out / "tokenizer"
    if not args.keep_inputs:
        shutil.rmtree(args.out, ignore_errors=True)
        paragraphs, sentences = _corpus()
        train_tokenizer(paragraphs + sentences, tok_dir, vocab_size=32000)
        t0 = time.perf_counter()
        _write_inputs(data_dir, args.n, args.chars, args.spread, paragraphs, sentences)
        print(f"inputs: {args.n} examples written in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    shutil.rmtree(data_dir / "dataset", ignore_errors=True)

    cfg = DatasetConfig(data_dir=data_dir, version="bench", tokenizer=str(tok_dir), workers=args.workers,
                        min_output_tokens=16)
    import resource

    def cpu() -> float:  # this process and its (joined) worker processes
        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    t0, c0 = time.perf_counter(), cpu()
    report = run(cfg)
    seconds, cpu_seconds = time.perf_counter() - t0, cpu() - c0
    stats = json.loads((report.path / "stats.json").read_text())
    result = {
        "examples": args.n, "chars_per_example": args.chars, "spread": args.spread, "workers": args.workers,
        "seconds": round(seconds, 1), "examples_per_s": round(args.n / seconds, 1),
        # CPU seconds of the run, all processes: on a shared machine, cpu_seconds / workers is
        # what the run needs from that many otherwise idle cores
        "cpu_seconds": round(cpu_seconds, 1), "cpu_seconds_per_worker": round(cpu_seconds / args.workers, 1),
        "mb_per_s": round(args.n * args.chars / seconds / 1e6, 2),
        "kept": stats["counts"]["kept"], "truncated": stats["counts"]["truncated"],
        "input_tokens": stats["tokens"]["input"], "total_before_truncation": stats["tokens"]["total_before_truncation"],
        "manifest_status": read_manifest(report.path)["status"],
    }
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
