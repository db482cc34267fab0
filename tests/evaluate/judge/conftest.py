"""Fixtures of the offline-judge tests: a small slice of the MARG GPT-4 dev alignments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

DEV_FILE = "judge/marg_gpt4_alignments_dev.jsonl"


@pytest.fixture(scope="session")
def marg_dev(fixtures_dir: Path) -> Path:
    return fixtures_dir / DEV_FILE


@pytest.fixture(scope="session")
def marg_slice(marg_dev: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two generators with short reviews on three papers (keeps embedding to seconds)."""
    records = [json.loads(line) for line in marg_dev.read_text(encoding="utf-8").splitlines()]
    papers = sorted({r["doc_id"] for r in records})[:3]
    keep = [r for r in records if r["doc_id"] in papers and r["method"] in ("lizca", "sarg_tp")]
    path = tmp_path_factory.mktemp("judge") / "marg_slice.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    return path
