"""Shared fixtures. Real test material (PDFs, OpenReview notes, reviews) lives in tests/fixtures.

Tests that need it use the ``fixtures_dir`` fixture; nothing here reads files outside the clone.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Nothing here may reach a hub or a remote API.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session", autouse=True)
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the embedded model is converted: ``$REVIEWGPT_CACHE`` when set (CI keeps it), else a
    folder of this session, never the user's home."""
    if not os.environ.get("REVIEWGPT_CACHE"):
        os.environ["REVIEWGPT_CACHE"] = str(tmp_path_factory.mktemp("reviewgpt-cache"))
    return Path(os.environ["REVIEWGPT_CACHE"])


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """``tests/fixtures``: real test material, part of the repository (its README says where each file comes from)."""
    return FIXTURES


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """An empty data root for one test."""
    path = tmp_path / "data"
    path.mkdir()
    return path
