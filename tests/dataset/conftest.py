"""Fixtures for build-dataset tests: a tokenizer trained here, and stage outputs built from real text.

Paper text comes from the science-parse JSON of "Attention Is All You Need" and review text from
the PeerRead ICLR 2017 reviews in ``tests/fixtures``; records are written through the real
stage store (manifests, LATEST), the way the earlier stages write them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from .dataset_helpers import FixtureText, write_stage_inputs


@pytest.fixture(scope="session")
def fixture_text(fixtures_dir: Path) -> FixtureText:
    paper = json.loads((fixtures_dir / "reviews/reviewadvisor/paper_attention_is_all_you_need.scienceparse.json").read_text())
    meta = paper["metadata"]
    sections = [(s.get("heading") or "", s["text"]) for s in meta["sections"] if s.get("text")]
    peerread = json.loads((fixtures_dir / "reviews/peerread_iclr2017/330.json").read_text())
    comments = " ".join(r["comments"] for r in peerread["reviews"] if r.get("comments"))
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+", comments) if len(s.strip()) > 20]
    return FixtureText(meta["title"], meta["abstractText"], sections, sentences)


@pytest.fixture(scope="session")
def tokenizer_dir(tmp_path_factory, fixture_text: FixtureText) -> Path:
    """A byte-level BPE trained on the fixture text, with a chat template, saved like a hub tokenizer."""
    from reviewgpt.testing.tiny import train_tokenizer

    texts = [text for _, text in fixture_text.sections] + fixture_text.review_sentences + [fixture_text.abstract]
    out = tmp_path_factory.mktemp("tokenizer")
    train_tokenizer(texts, out, vocab_size=2000)
    return out


@pytest.fixture(scope="session")
def tokenizer(tokenizer_dir: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tokenizer_dir)


@pytest.fixture
def write_inputs(fixture_text: FixtureText) -> Callable[..., None]:
    """``write_inputs(data_dir, specs, with_crawl=True)``: crawl, parse and aggregate versions."""

    def write(data_dir: Path, specs, with_crawl: bool = True) -> None:
        write_stage_inputs(data_dir, specs, fixture_text, with_crawl)

    return write
