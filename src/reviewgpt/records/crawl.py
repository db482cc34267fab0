"""``crawl`` records: one submission with its replies (data/crawl/<version>/papers.jsonl)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from reviewgpt.records.base import Record

ReplyKind = Literal["review", "meta_review", "decision", "author_response", "comment", "other"]


class Reply(BaseModel):
    """A note replying in a submission's forum, normalised across API v1 and v2."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(description="the note id (`<forum>.review<i>` for an imported review)")
    kind: ReplyKind = Field(description="what the note is, from its invitation")
    invitation: str = Field(description="the note's invitation")
    signatures: list[str] = Field([], description="who signed it")
    cdate: int | None = Field(None, description="creation time, ms since the epoch")
    tmdate: int | None = Field(None, description="last modification time, ms since the epoch")
    replyto: str | None = Field(None, description="the note it answers")
    fields: dict[str, Any] = Field(
        {}, description="the note's content: plain strings and numbers (API v2 `{\"value\": ...}` unwrapped)"
    )


#: Where a record came from: the OpenReview API, or a PeerRead-layout folder imported with
#: ``reviewgpt crawl --source peerread`` (whose reviews were taken from OpenReview by someone else).
CrawlSource = Literal["openreview", "peerread"]


class CrawledPaper(Record):
    """One submission with its replies."""

    forum: str = Field(description="the submission's forum id")
    venue_id: str = Field(description="the venue, e.g. `ICLR.cc/2023/Conference`")
    api_version: Literal[1, 2] = Field(
        description="the OpenReview API the notes came from; for an import, the API the venue uses"
    )
    source: CrawlSource = Field("openreview", description="`openreview`, or `peerread` for an import")
    number: int | None = Field(None, description="the submission number")
    title: str = Field("", description="the title")
    abstract: str = Field("", description="the abstract")
    authors: list[str] = Field([], description="the authors, when the venue made them public")
    keywords: list[str] = Field([], description="the keywords")
    tldr: str | None = Field(None, description="the TL;DR")
    venue: str | None = Field(None, description="the venue string, e.g. `ICLR 2023 poster`")
    decision: str | None = Field(None, description="the decision text")
    accepted: bool | None = Field(None, description="true: accepted, false: rejected, null: unknown")
    withdrawn: bool = Field(False, description="withdrawn or desk-rejected")
    pdf_url: str | None = Field(None, description="where the PDF was fetched from")
    pdf_ref: str | None = Field(
        None, description="the note's own pdf field (`/pdf/<sha1>.pdf`); it changes when a new PDF is uploaded"
    )
    pdf_path: str | None = Field(None, description="the cached PDF (`data/pdfs/<forum>.pdf`); null when not fetched")
    pdf_sha256: str | None = Field(None, description="the cached PDF's sha256")
    docling_path: str | None = Field(
        None, description="the full text as DoclingDocument JSON (imports that carry one; read by `parse --parser docling`)"
    )
    replies: list[Reply] = Field([], description="the forum's replies")
    cdate: int | None = Field(None, description="creation time, ms since the epoch")
    tmdate: int | None = Field(None, description="last modification time, ms since the epoch")
    crawled_at: str | None = Field(None, description="when it was crawled (UTC, ISO 8601)")


# A "Strengths" / "Weaknesses" sub-heading inside a combined strengths-and-weaknesses field, as
# reviewers write it: "Strengths:", "**Weaknesses**", "## Strength", "Pros:", "- Cons", "Weaknesses：".
_SUBHEADING = re.compile(
    r"(?im)^[ \t]*[#>*\-+ \t]*(?:\d+[.)][ \t]*)?(?:\*{1,2}|_{1,2})?"
    r"(?P<name>(?:summary of (?:the )?|main |key |major |potential )?"
    r"(?:stren\w*|pros|weakness\w*|weeknesses|cons)(?: (?:and|&) (?:limitations|concerns|questions))?)"
    r"(?:\*{1,2}|_{1,2})?[ \t]*(?:(?:[:：][ \t]*(?:\*{1,2}|_{1,2})?[ \t]*$)|$|[:：][ \t]*(?=\S))"
)


def split_strengths_weaknesses(text: str) -> tuple[str, str] | None:
    """``(strengths, weaknesses)`` of a combined "strengths and weaknesses" text, or None.

    NeurIPS (from 2025) and some other API v2 venues ask for one ``strengths_and_weaknesses`` field,
    which reviewers mostly fill as a "Strengths" list then a "Weaknesses" list. The text is split at
    those sub-headings (on a line of their own, or opening a line with a colon: "Strengths: the
    paper..."; markdown marks, "Main"/"Summary of" and common misspellings allowed). None when
    it has no such headings, text before the first one (a preamble the split would lose), or no
    weaknesses part.
    Several blocks of one kind are joined.
    """
    matches = list(_SUBHEADING.finditer(text))
    if not matches or text[: matches[0].start()].strip():
        return None
    parts: dict[str, list[str]] = {"strengths": [], "weaknesses": []}
    for i, match in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        name = match.group("name").lower().split()[-1]
        kind = "strengths" if name.startswith(("stren", "pro")) else "weaknesses"
        body = text[match.end():end].strip()
        if body:
            parts[kind].append(body)
    if not parts["weaknesses"]:  # "Strengths:" then unheaded criticism: the split would call it strengths
        return None
    return "\n\n".join(parts["strengths"]), "\n\n".join(parts["weaknesses"])
