"""Configuration of the ``parse`` stage (light: imported by ``reviewgpt --help``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from reviewgpt.config import StageConfig

ParserName = Literal["pymupdf", "grobid", "nougat", "docling"]


class ParseConfig(StageConfig):
    """Options of ``reviewgpt parse``."""

    parser: ParserName = Field(
        "pymupdf",
        description=(
            "Backend: 'pymupdf' (default; CPU, no server, ~10 papers/s per core), 'grobid' (a GROBID "
            "server at grobid_url), 'nougat' (OCR model; needs a GPU and pip install 'reviewgpt[nougat]') or "
            "'docling' (no PDF: reads each paper's Docling JSON, the crawl record's docling_path, as an import "
            "with crawl --source peerread links it)."
        ),
    )
    workers: int | None = Field(
        None,
        ge=1,
        description="Parallel worker processes (default: all cores; 1 for nougat, which holds a GPU).",
    )
    timeout: float = Field(
        120.0,
        gt=0,
        description="Seconds one PDF may take before its worker is killed and the PDF recorded as failed.",
    )
    grobid_url: str = Field("http://localhost:8070", description="Base URL of the GROBID server (grobid parser).")
    nougat_model: str = Field("0.1.0-small", description="Nougat model tag passed to the nougat CLI (nougat parser).")

    @model_validator(mode="after")
    def _check(self) -> ParseConfig:
        if self.parser == "nougat" and self.workers not in (None, 1):
            raise ValueError("the nougat parser runs one model on one GPU: use --workers 1 (or leave it out)")
        if self.parser == "grobid" and not self.grobid_url.startswith(("http://", "https://")):
            raise ValueError(f"grobid_url must be an http(s) URL, got {self.grobid_url!r}")
        return self

    def resolved_workers(self) -> int:
        """The number of worker processes to start."""
        import os

        if self.workers is not None:
            return self.workers
        return 1 if self.parser == "nougat" else max(1, os.cpu_count() or 1)
