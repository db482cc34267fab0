"""``reviewgpt crawl`` through the command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.testing.openreview_server import OpenReviewTestServer

from .conftest import ICLR19, V1_VENUE, V2_VENUE, read_papers


def _urls(server: OpenReviewTestServer) -> list[str]:
    return ["--baseurl", server.baseurl_v1, "--baseurl-v2", server.baseurl_v2, "--rate", "0"]


def test_list_venues_with_filter(server: OpenReviewTestServer) -> None:
    result = CliRunner().invoke(app, ["crawl", "--list-venues", "ICLR", *_urls(server)])
    assert result.exit_code == 0, result.output
    assert result.output.split() == [ICLR19, V2_VENUE]


def test_crawl_two_venues_in_one_call(server: OpenReviewTestServer, data_dir: Path) -> None:
    args = ["crawl", "--venue", V1_VENUE, "--venue", V2_VENUE, "--no-pdfs", "--data-dir", str(data_dir),
            "--version", "v1", *_urls(server)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "crawl v1: ok=9 skipped=0 failed=0" in result.output
    papers = read_papers(data_dir / "crawl/v1/papers.jsonl")
    assert all(p["pdf_path"] is None for p in papers.values())
    assert not server.requests_to("/pdf")


def test_filter_without_list_venues_is_a_usage_error(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["crawl", "ICLR.cc/2023/Conference", "--data-dir", str(data_dir)])
    assert result.exit_code != 0
    assert "--venue" in str(result.exception) or "--venue" in result.output
