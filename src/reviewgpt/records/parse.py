"""``parse`` records: a paper's text (data/parse/<version>/papers.jsonl)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from reviewgpt.records.base import Record


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")

    heading: str
    text: str


class ParsedPaper(Record):
    forum: str
    parser: str
    title: str
    abstract: str
    #: where title/abstract came from: the PDF or the OpenReview metadata
    title_source: Literal["pdf", "openreview", "none"] = "pdf"
    abstract_source: Literal["pdf", "openreview", "none"] = "pdf"
    sections: list[Section] = []
    captions: list[str] = []
    n_pages: int = 0
    #: ``[TITLE]\n…\n\n[ABSTRACT]\n…\n\n[CAPTIONS]\n…\n\n[CONTENT]\n…`` (no references)
    text: str
