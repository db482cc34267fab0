"""Fixtures of the aggregate tests; the material itself is built in aggregate_material.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgpt.records import CrawledPaper

from .aggregate_material import peerread_paper, sample_review_papers, v1_papers, v2_paper


@pytest.fixture
def real_papers(fixtures_dir: Path) -> list[CrawledPaper]:
    return [*v1_papers(fixtures_dir), peerread_paper(fixtures_dir), *sample_review_papers(fixtures_dir), v2_paper()]
