"""Fixtures of the parse tests: generated PDFs (see parse_pdfs.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .parse_pdfs import write_demo_paper


@pytest.fixture
def demo_pdf(tmp_path: Path) -> Path:
    return write_demo_paper(tmp_path / "demo.pdf")


@pytest.fixture
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    def make(name: str = "paper.pdf", **kwargs) -> Path:
        return write_demo_paper(tmp_path / name, **kwargs)

    return make
