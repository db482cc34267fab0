"""``parse`` records: a paper's text (data/parse/<version>/papers.jsonl)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reviewgpt.records.base import Record


class Section(BaseModel):
    """A section of a parsed paper."""

    model_config = ConfigDict(extra="forbid")

    heading: str = Field(description="the heading as printed (`1 Introduction`)")
    text: str = Field(description="the section's text")


class ParsedPaper(Record):
    """One paper's text, parsed from its PDF."""

    forum: str = Field(description="the paper's forum id")
    parser: str = Field(description="the backend that parsed it: `pymupdf`, `grobid`, `nougat` or `docling`")
    title: str = Field(description="the title used in `text`")
    abstract: str = Field(description="the abstract used in `text`")
    title_source: Literal["pdf", "openreview", "none"] = Field(
        "pdf", description="where the title came from: the PDF, else the OpenReview metadata"
    )
    abstract_source: Literal["pdf", "openreview", "none"] = Field(
        "pdf", description="where the abstract came from: the PDF, else the OpenReview metadata"
    )
    sections: list[Section] = Field([], description="the body's sections")
    captions: list[str] = Field([], description="figure and table captions")
    n_pages: int = Field(0, description="pages of the PDF")
    text: str = Field(
        description="the model input: `[TITLE]`, `[ABSTRACT]`, `[CAPTIONS]` then `[CONTENT]` blocks (no references)"
    )
