"""``crawl`` records: one submission with its replies (data/crawl/<version>/papers.jsonl)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from reviewgpt.records.base import Record

ReplyKind = Literal["review", "meta_review", "decision", "author_response", "comment", "other"]


class Reply(BaseModel):
    """A note replying in a submission's forum, normalised across API v1 and v2."""

    model_config = ConfigDict(extra="forbid")

    id: str
    kind: ReplyKind
    invitation: str
    signatures: list[str] = []
    cdate: int | None = None
    tmdate: int | None = None
    replyto: str | None = None
    #: plain strings and numbers; API v2 ``{"value": ...}`` wrappers removed
    fields: dict[str, Any] = {}


class CrawledPaper(Record):
    forum: str
    venue_id: str
    api_version: Literal[1, 2]
    number: int | None = None
    title: str = ""
    abstract: str = ""
    authors: list[str] = []
    keywords: list[str] = []
    tldr: str | None = None
    venue: str | None = None
    decision: str | None = None
    accepted: bool | None = None
    withdrawn: bool = False
    pdf_url: str | None = None
    #: the note's own content.pdf ("/pdf/<sha1>.pdf"); it changes when a new PDF is uploaded
    pdf_ref: str | None = None
    pdf_path: str | None = None
    pdf_sha256: str | None = None
    replies: list[Reply] = []
    cdate: int | None = None
    tmdate: int | None = None
    crawled_at: str | None = None
