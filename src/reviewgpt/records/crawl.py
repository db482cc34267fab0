"""``crawl`` records: one submission with its replies (data/crawl/<version>/papers.jsonl)."""

from __future__ import annotations

import re
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


#: Where a record came from: the OpenReview API, or a PeerRead-layout folder imported with
#: ``reviewgpt crawl --source peerread`` (whose reviews were taken from OpenReview by someone else).
CrawlSource = Literal["openreview", "peerread"]


class CrawledPaper(Record):
    forum: str
    venue_id: str
    #: the OpenReview API the notes came from; for an import, the API the venue uses
    api_version: Literal[1, 2]
    source: CrawlSource = "openreview"
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
    #: the paper's full text as DoclingDocument JSON (imports that carry one; read by ``parse --parser docling``),
    #: a path like ``pdf_path``
    docling_path: str | None = None
    replies: list[Reply] = []
    cdate: int | None = None
    tmdate: int | None = None
    crawled_at: str | None = None


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
