"""Material of the failure tests: a real crawl of the sample venue, and the CLI run as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = "from reviewgpt.cli import main; main()"


def run_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """``reviewgpt ARGS`` in a fresh process, without OPENAI_API_KEY unless ``env`` sets it."""
    base = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL")}
    return subprocess.run(
        [sys.executable, "-c", CLI, *args], capture_output=True, text=True, timeout=timeout, env=base | (env or {})
    )


def error_lines(stderr: str) -> list[str]:
    """The ``error:`` lines the CLI printed (one per failed run)."""
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.fixture
def crawled(tmp_path: Path) -> Path:
    """A data root holding crawl version ``c1`` of the 6-paper sample venue (v1 and v2 APIs), PDFs included."""
    from reviewgpt.crawl import run as crawl
    from reviewgpt.crawl.config import CrawlConfig
    from reviewgpt.testing.openreview_server import OpenReviewTestServer
    from reviewgpt.testing.sample_venue import V1_VENUE, V2_VENUE, write_sample_bundle

    write_sample_bundle(tmp_path / "venue", n_papers=6)
    with OpenReviewTestServer(tmp_path / "venue") as server:
        crawl(CrawlConfig(venues=[V1_VENUE, V2_VENUE], baseurl=server.baseurl_v1, baseurl_v2=server.baseurl_v2,
                          rate=0, data_dir=tmp_path / "data", version="c1"))
    return tmp_path / "data"


@pytest.fixture
def dataset_inputs(crawled: Path, tmp_path: Path) -> tuple[Path, Path]:
    """(data root with finished crawl, parse and aggregate versions, a tiny tokenizer's folder)."""
    from reviewgpt.aggregate import run as aggregate
    from reviewgpt.aggregate.config import AggregateConfig
    from reviewgpt.parse import run as parse
    from reviewgpt.parse.config import ParseConfig
    from reviewgpt.testing.sample_venue import sample_corpus
    from reviewgpt.testing.tiny import train_tokenizer

    parse(ParseConfig(data_dir=crawled, version="p1", workers=1))
    aggregate(AggregateConfig(data_dir=crawled, version="a1"))
    tokenizer = tmp_path / "tokenizer"
    train_tokenizer(sample_corpus(6), tokenizer, vocab_size=512)
    return crawled, tokenizer
