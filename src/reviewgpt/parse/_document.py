"""What every backend produces, and how it becomes a :class:`ParsedPaper` record.

A backend (PyMuPDF, GROBID, Nougat) returns :class:`PaperParts`; :func:`build_record` applies
the OpenReview fallback for title and abstract and renders the record's ``text``.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from reviewgpt.errors import ReviewGPTError
from reviewgpt.records import ParsedPaper, Section


class PDFError(ReviewGPTError):
    """A PDF that cannot be parsed; ``reason`` is the short code written to errors.jsonl."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass
class PaperParts:
    """A paper as a backend found it; empty strings where it found nothing."""

    title: str = ""
    abstract: str = ""
    sections: list[Section] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    n_pages: int = 0
    #: how the abstract was found: "heading", "paragraph" (the first paragraph, no heading) or ""
    abstract_found_by: str = ""


#: Headings whose sections never go into the text (the DESIGN contract).
DROPPED_SECTIONS = re.compile(
    r"^(acknowledge?ments?|acknowledgment|funding|references?|bibliography|literature cited|works cited)$"
)

_JUNK_TITLE = re.compile(
    r"^(untitled|title|abstract|introduction|contents|paper|main|preprint|draft|none|null|microsoft word\b.*|.*\.(pdf|dvi|docx?|tex))$"
    r"|under review|published as a|arxiv|anonymous|submitted to|proceedings of|workshop on",
    re.IGNORECASE,
)


def normalize_heading(text: str) -> str:
    """A heading reduced for comparison: no numbering, lower case, letters and spaces only."""
    text = re.sub(r"^\s*((\d+|[A-Z]|[IVX]+)(\.\d+)*\.?)\s+", "", text)
    return " ".join(re.sub(r"[^a-z ]+", " ", text.lower()).split())


def is_junk_title(title: str) -> bool:
    """A title that is missing or obviously not a paper title (a file name, a venue stamp...)."""
    title = title.strip()
    letters = sum(ch.isalpha() for ch in title)
    return letters < 4 or len(title) > 300 or bool(_JUNK_TITLE.search(title))


def is_junk_abstract(abstract: str) -> bool:
    """An abstract too short to be one (a parse that caught a line, not a paragraph)."""
    return len(abstract.split()) < 15


#: A heading-less abstract shares at least this token F1 with the OpenReview abstract (a revised
#: camera-ready abstract still does; the introduction's first paragraph does not).
MIN_ABSTRACT_OVERLAP = 0.5


def word_overlap(a: str, b: str) -> float:
    """Token F1 of two texts (lower-cased words and numbers, with multiplicity)."""
    ta, tb = Counter(re.findall(r"[a-z0-9]+", a.lower())), Counter(re.findall(r"[a-z0-9]+", b.lower()))
    common = sum((ta & tb).values())
    return 2 * common / (sum(ta.values()) + sum(tb.values())) if common else 0.0


def _same_text(a: str, b: str) -> bool:
    def norm(s: str) -> str:
        return re.sub(r"[^a-z0-9]+", "", s.lower())

    return bool(a) and norm(a) == norm(b)


def render_text(title: str, abstract: str, captions: list[str], sections: list[Section]) -> str:
    """``[TITLE]\\n…\\n\\n[ABSTRACT]\\n…\\n\\n[CAPTIONS]\\n…\\n\\n[CONTENT]\\nSection Title: <heading>\\n<text>…``."""
    content = []
    for section in sections:
        head = f"Section Title: {section.heading}\n" if section.heading else ""
        content.append(f"{head}{section.text}".rstrip())
    return (
        f"[TITLE]\n{title}\n\n[ABSTRACT]\n{abstract}\n\n[CAPTIONS]\n"
        + "\n".join(captions)
        + "\n\n[CONTENT]\n"
        + "\n\n".join(content)
    )


def build_record(
    parts: PaperParts,
    *,
    forum: str,
    parser: str,
    title_fallback: str | None = None,
    abstract_fallback: str | None = None,
) -> ParsedPaper:
    """The record of one paper: OpenReview metadata stands in for a missing or junk title/abstract.

    An abstract the backend took from the first paragraph (no "Abstract" heading) is checked
    against the OpenReview abstract when there is one, and replaced by it when they disagree.

    When the PDF's title is the metadata's title in other letter case or spacing (small
    capitals, line breaks), the metadata's spelling is kept and the source says so.
    """
    title, title_source = parts.title.strip(), "pdf"
    if is_junk_title(title) or (title_fallback and _same_text(title, title_fallback) and title != title_fallback):
        title, title_source = (title_fallback or "").strip(), "openreview"
    if not title:
        title_source = "none"
    abstract, abstract_source = parts.abstract.strip(), "pdf"
    fallback = (abstract_fallback or "").strip()
    if fallback and (
        is_junk_abstract(abstract)
        # a paragraph taken for the abstract without a heading must be the submitted abstract
        or (parts.abstract_found_by == "paragraph" and word_overlap(abstract, fallback) < MIN_ABSTRACT_OVERLAP)
    ):
        abstract, abstract_source = fallback, "openreview"
    if not abstract:
        abstract_source = "none"
    sections = [s for s in parts.sections if not DROPPED_SECTIONS.match(normalize_heading(s.heading))]
    return ParsedPaper(
        forum=forum,
        parser=parser,
        title=title,
        abstract=abstract,
        title_source=title_source,
        abstract_source=abstract_source,
        sections=sections,
        captions=parts.captions,
        n_pages=parts.n_pages,
        text=render_text(title, abstract, parts.captions, sections),
    )
