"""The default backend: PyMuPDF text with fonts and positions, no server, no GPU.

From the styled lines of :mod:`._layout` it finds the title (the largest text at the top of
page 1), the abstract (after an "Abstract" heading, or run in after "Abstract—"), the section
headings (bold or larger short lines, numbered or well-known, confirmed by the PDF's table of
contents when it has one), the figure and table captions, and the body text by section;
references and acknowledgements are dropped, appendices after the references kept.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pymupdf

from reviewgpt.parse._document import PaperParts, PDFError, normalize_heading
from reviewgpt.parse._layout import Line, extract_lines
from reviewgpt.records import Section

_CAPTION = re.compile(
    r"^(figure|fig\.|table|tab\.|algorithm)\s*(S?\d{1,3}|[A-Z]\.?\d{1,2}|[IVX]{1,4})\s*[.:|]", re.IGNORECASE
)
#: "1", "2.3", "4.1.2.", "A", "B.1", "IV." followed by the heading words.
_NUMBERED = re.compile(r"^((\d{1,2}(\.\d{1,2}){0,3}\.?)|([A-H](\.\d{1,2}){0,3}\.?)|([IVX]{1,5}\.))\s+(?=\S*[A-Za-z])")
_KNOWN_HEADINGS = frozenset(
    {
        "abstract", "introduction", "related work", "related works", "background", "preliminaries",
        "method", "methods", "methodology", "approach", "experiments", "experimental setup", "evaluation",
        "results", "discussion", "analysis", "conclusion", "conclusions", "conclusion and future work",
        "conclusions and future work", "future work", "limitations", "ethics statement", "ethical considerations",
        "broader impact", "broader impacts", "reproducibility statement", "appendix", "appendices",
        "supplementary material", "references", "bibliography", "literature cited", "acknowledgments",
        "acknowledgements", "acknowledgment", "acknowledgement", "ccs concepts", "keywords", "index terms",
        "acm reference format",
    }
)
_REFERENCES = frozenset({"references", "bibliography", "literature cited", "works cited", "references and notes"})
#: Prefixes of the headings of sections left out ("acknowledg" also catches misspellings).
_SKIPPED_SECTIONS = ("acknowledg", "ccs concepts", "keywords", "index terms", "acm reference format")
_ABSTRACT_RUN_IN = re.compile(r"^abstract\s*[.:—–-]\s*(?=\S)", re.IGNORECASE)
_ABSTRACT_STOP = re.compile(r"^(keywords|key words|index terms|ccs concepts|acm reference format)\b", re.IGNORECASE)
_TITLE_JUNK = re.compile(r"arxiv|under review|published as|proceedings|preprint|conference|workshop", re.IGNORECASE)
_MID_SENTENCE_END = re.compile(r"[.?!:]\s+\S")
_WORD = re.compile(r"^[A-Za-z][A-Za-z'’-]*[A-Za-z]?[,:]?$")
_TRAILING_MARKS = re.compile(r"[\s*∗†‡§¶⋆✝,]+$")
_MAX_ABSTRACT_WORDS = 600
#: A heading-less abstract is a paragraph of at least this many words.
_MIN_ABSTRACT_WORDS = 40
_SENTENCE_END = re.compile(r"[.!?](?=\s|$)")
#: Reference entries: "[12] ..." or "12. Name"; "[Sekine, 2006] ..."; "Smith, J.", "John Smith, ...", "J. Smith, ..."
_REF_NUMBERED = re.compile(r"^\[(\d{1,3})\]\s*\S|^(\d{1,3})\.\s+(?=[A-Z][A-Za-z'’\-]*[,.\s])")
_REF_LABEL = re.compile(r"^\[[^\]]{2,80}?(?:19|20)\d\d[a-z]?\]")
_REF_AUTHORS = re.compile(
    r"^(?:[A-Z][A-Za-z'’\-]+,\s(?:[A-Z]\.|[A-Z][a-z]+)"  # "Smith, J." / "Smith, John"
    r"|(?:[A-Z]\.\s?){1,3}[A-Z][A-Za-z'’\-]+,"  # "J. Smith," / "G. B. Smith,"
    r"|[A-Z][a-z]+(?:\s[A-Z]\.)?\s(?:[A-Z][a-z]+\s)?[A-Z][A-Za-z'’\-]+(?:,|\sand\s|\.\s(?:19|20)\d\d))"  # "John Smith," / "John Smith. 2017."
)
#: Sentence openers that look like "Name, ..." but start body text.
_NOT_AUTHORS = re.compile(
    r"^(?:However|Moreover|Furthermore|Therefore|Thus|Hence|First|Second|Third|Finally|Also|Here|Then|In|For|On|"
    r"As|At|By|With|To|From|Similarly|Additionally|Specifically|Overall|Instead|Unlike|Besides|Again|Next|Now|Yet|"
    r"Still|Indeed|Note|Notably|Importantly|Interestingly|Consequently|Otherwise|Meanwhile|Nevertheless|Nonetheless)\b"
)
_YEAR = re.compile(r"\b(?:19|20)\d\d[a-z]?\b")
_MIN_REFERENCE_ENTRIES = 5
#: Lines one reference entry spans at most (entries further apart are not one list).
_MAX_ENTRY_LINES = 8


@dataclass
class _Paragraphs:
    """Text assembled line by line: line-end hyphens repaired, paragraphs kept apart."""

    paragraphs: list[list[str]] = field(default_factory=list)
    _last_block: int = -1

    def add(self, line: Line) -> None:
        text = line.text
        if self.paragraphs and (line.block == self._last_block or self._continues(text)):
            pieces = self.paragraphs[-1]
            last = pieces[-1]
            if last.endswith("-") and len(last) > 1 and last[-2].isalpha() and text[:1].isalpha():
                # "litera-" + "ture" -> "literature"; "MED-" + "LINE" -> "MED-LINE"
                # ("end-" + "to-end" keeps its hyphen: the word goes on being a compound)
                compound = "-" in text.split(" ", 1)[0]
                pieces[-1] = (last[:-1] if text[:1].islower() and not compound else last) + text
            else:
                pieces.append(text)
        else:
            self.paragraphs.append([text])
        self._last_block = line.block

    def _continues(self, text: str) -> bool:
        """A new block that carries on the previous sentence (across a column or page break)."""
        end = self.paragraphs[-1][-1][-1:]
        return end not in ".!?:" and (not text[:1].isupper() or end in ",;-")

    def text(self) -> str:
        return "\n".join(" ".join(pieces) for pieces in self.paragraphs)

    def __bool__(self) -> bool:
        return bool(self.paragraphs)


def _body_size(lines: list[Line]) -> float:
    weights: Counter[float] = Counter()
    for line in lines:
        weights[line.size] += len(line.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def _strip_marks(text: str) -> str:
    return _TRAILING_MARKS.sub("", text).strip()


class _StructureFinder:
    """Finds title, abstract, headings and captions in a document's lines."""

    def __init__(self, pages: list[list[Line]], page_heights: list[float], toc: list[list]):
        self.pages = pages
        self.lines = [line for page in pages for line in page]
        self.page_heights = page_heights
        self.body_size = _body_size(self.lines)
        self.blocks: dict[int, list[Line]] = {}
        for line in self.lines:
            self.blocks.setdefault(line.block, []).append(line)
        # The table of contents (hyperref bookmarks) names the real headings when the PDF has one.
        self.toc_titles = {normalize_heading(entry[1]) for entry in toc if len(entry) >= 2} if len(toc) >= 3 else set()
        self.toc_titles.discard("")

    # -- title

    def find_title(self) -> tuple[str, int]:
        """The title and the index of the line after it (0 when none was found)."""
        first = self.pages[0] if self.pages else []
        if not first:
            return "", 0
        height = self.page_heights[0]
        candidates = [
            line
            for line in first
            if line.y0 < 0.5 * height and sum(ch.isalpha() for ch in line.text) >= 4 and not _TITLE_JUNK.search(line.text)
        ]
        if not candidates:
            return "", 0
        top_size = max(line.size for line in candidates)
        if top_size < self.body_size + 1.5:  # nothing stands out: not a first page (or no title)
            return "", 0
        start = next(i for i, line in enumerate(first) if line in candidates and line.size >= top_size - 0.5)
        parts = [first[start]]
        end = start + 1
        while end < len(first):
            line, prev = first[end], parts[-1]
            if line.size < top_size - 0.5 or line.y0 - prev.y1 > 1.5 * line.size or line.y0 < prev.y0:
                break
            parts.append(line)
            end += 1
        title = _Paragraphs()
        for line in parts:
            title.add(Line(_strip_marks(line.text), 0, 0, 0, 0, 0, False, 0, -2))
        return _strip_marks(title.text()), end

    # -- headings

    def is_caption(self, line: Line) -> bool:
        return bool(_CAPTION.match(line.text))

    def heading_at(self, index: int) -> tuple[str, int] | None:
        """The heading that starts at ``self.lines[index]`` and the index after it, or None."""
        line = self.lines[index]
        text = line.text
        words = text.split()
        if not (2 <= len(text) <= 150 and len(words) <= 18) or self.is_caption(line):
            return None
        normalized = normalize_heading(text)
        if not normalized:
            return None
        known = normalized in _KNOWN_HEADINGS and (text == normalized or not text.islower())
        in_toc = bool(self.toc_titles) and any(title.startswith(normalized) for title in self.toc_titles)
        bold_enough = line.bold and line.size >= self.body_size - 1.0
        larger = line.size >= self.body_size + 1.0
        styled = bold_enough or larger
        numbered = bool(_NUMBERED.match(text)) and int(re.match(r"\d+", text).group() if text[0].isdigit() else 1) <= 40
        if text.rstrip()[-1:] in ",;" or (text.endswith(".") and not numbered and len(words) > 3):
            return None
        if known and (styled or line.size >= self.body_size - 1.5) and len(words) <= 6:
            accepted = True
        elif not styled:
            accepted = in_toc and normalized in self.toc_titles
        elif numbered or in_toc:
            accepted = True
        elif self.toc_titles:
            accepted = False  # the table of contents lists the headings; this line is not one
        else:
            # Unnumbered bold text: a heading only when it stands alone and body text follows.
            accepted = (
                text[:1].isupper()
                and not text.endswith(("-", "."))
                and not _MID_SENTENCE_END.search(text)
                and sum(bool(_WORD.match(word)) for word in words) >= 0.6 * len(words)
                and (index == 0 or self.lines[index - 1].block != line.block or self._same_style(self.lines[index - 1], line))
                and not self._wraps_into_paragraph(index)
                and self._body_follows(index)
            )
        if not accepted:
            return None
        end = index + 1
        # A heading wrapped onto more lines of the same style.
        while end < len(self.lines) and len(text.split()) < 14:
            nxt = self.lines[end]
            if (
                nxt.block != line.block
                or not self._same_style(nxt, line)
                or _NUMBERED.match(nxt.text)
                or nxt.y0 - self.lines[end - 1].y1 > nxt.size
            ):
                break
            text = f"{text} {nxt.text}"
            end += 1
        return _strip_marks(text), end

    def _wraps_into_paragraph(self, index: int) -> bool:
        """A bold line that is the first line of a paragraph (a run-in heading that filled the line)."""
        if index + 1 >= len(self.lines):
            return False
        line, nxt = self.lines[index], self.lines[index + 1]
        return nxt.block == line.block and not self._same_style(nxt, line) and nxt.text[:1].islower()

    def is_caption_start(self, index: int) -> bool:
        """A caption opens here: "Figure 3:" at the start of a block or set off from the line above."""
        line = self.lines[index]
        if not _CAPTION.match(line.text):
            return False
        if index == 0:
            return True
        prev = self.lines[index - 1]
        return (
            prev.block != line.block
            or abs(prev.size - line.size) > 0.5
            or line.y0 - prev.y1 > 0.8 * (line.y1 - line.y0)
        )

    def _same_style(self, a: Line, b: Line) -> bool:
        return a.bold == b.bold and abs(a.size - b.size) <= 0.3

    def _body_follows(self, index: int) -> bool:
        for nxt in self.lines[index + 1 : index + 3]:
            if self.is_caption(nxt):
                return False
            if not nxt.bold and abs(nxt.size - self.body_size) <= 1.0 and len(nxt.text) >= 30:
                return True
        return False

    def is_small_print(self, block_lines: list[Line]) -> bool:
        """Text inside figures and tables: smaller than the body, in short pieces."""
        size = sorted(line.size for line in block_lines)[len(block_lines) // 2]
        mean_len = sum(len(line.text) for line in block_lines) / len(block_lines)
        return size < 0.85 * self.body_size and mean_len < 25


def _find_abstract_start(lines: list[Line], limit: int) -> tuple[int, str] | None:
    """Index of the line that opens the abstract and the abstract text on that line, if any."""
    for i, line in enumerate(lines[:limit]):
        text = line.text.strip()
        if normalize_heading(text) == "abstract" and len(text) <= 12:
            return i, ""
        run_in = _ABSTRACT_RUN_IN.match(text)
        if run_in:
            return i, text[run_in.end():]
    return None


def _opens_body(heading: str) -> bool:
    """A heading that can open a paper's body: numbered ("1 Introduction", "I. INTRODUCTION") or well known."""
    return bool(_NUMBERED.match(heading)) or normalize_heading(heading) in _KNOWN_HEADINGS


def _first_paragraph(finder: _StructureFinder, start: int, stop: int) -> tuple[int, int] | None:
    """Line span ``[a, b)`` of the first substantive paragraph in ``lines[start:stop]``, or None.

    Substantive: body-sized prose of at least :data:`_MIN_ABSTRACT_WORDS` words with two sentence
    ends, no e-mail address (an affiliation block) and not small print. A paragraph that PyMuPDF
    split into several blocks is followed while the next block carries on in the same size.
    """
    lines = finder.lines
    blocks: list[tuple[int, int]] = []
    for i in range(start, min(stop, len(lines))):
        if blocks and lines[i].block == lines[blocks[-1][0]].block:
            blocks[-1] = (blocks[-1][0], i + 1)
        else:
            blocks.append((i, i + 1))

    def prose(a: int, b: int, min_words: int) -> bool:
        text = " ".join(line.text for line in lines[a:b])
        return (
            len(text.split()) >= min_words
            and len(_SENTENCE_END.findall(text)) >= (2 if min_words >= _MIN_ABSTRACT_WORDS else 1)
            and "@" not in text
            and not _ABSTRACT_STOP.match(text)
            and not finder.is_small_print(lines[a:b])
            and sum(ch.islower() for ch in text) >= 0.5 * sum(ch.isalpha() for ch in text)
        )

    for k, (a, b) in enumerate(blocks):
        if not prose(a, b, _MIN_ABSTRACT_WORDS):
            continue
        size = lines[a].size
        end = b
        for c, d in blocks[k + 1 :]:
            if abs(lines[c].size - size) > 0.3 or not prose(c, d, 8):
                break
            end = d
        return a, end
    return None


def _reference_list_start(finder: _StructureFinder, start: int) -> int | None:
    """The line where a reference list opens that no recognised heading announced, or None.

    Recognised by the shape of its entries: a run of at least :data:`_MIN_REFERENCE_ENTRIES`
    entries numbered ``[1] [2] ...`` or ``1. 2. ...`` from 1, or opening with an author list or
    an ``[Author, 2006]`` label, nearly every one with a year, in the second part of the paper
    and running until the next heading or the end (it is at the end, not a list in the text).
    """
    lines = finder.lines
    n = len(lines)
    earliest = max(start, int(0.3 * n))
    entries: list[tuple[int, int | None]] = []  # (line index, number or None for author-year)
    for i in range(earliest, n):
        text = lines[i].text
        numbered = _REF_NUMBERED.match(text)
        if numbered:
            entries.append((i, int(numbered.group(1) or numbered.group(2))))
            continue
        new_entry = i == 0 or lines[i - 1].block != lines[i].block or lines[i - 1].text.rstrip().endswith(".")
        if new_entry and (_REF_LABEL.match(text) or (_REF_AUTHORS.match(text) and not _NOT_AUTHORS.match(text))):
            entries.append((i, None))

    def has_year(k: int, run: list[tuple[int, int | None]]) -> bool:
        # A long author list wraps onto a line that looks like an entry of its own: look past it.
        first = run[k][0]
        return bool(_YEAR.search(" ".join(line.text for line in lines[first : first + 4])))

    runs: list[list[tuple[int, int | None]]] = []
    for entry in entries:
        if runs and _continues_run(runs[-1], entry):
            runs[-1].append(entry)
        else:
            runs.append([entry])
    for run in runs:
        if run[0][1] not in (None, 1) or len(run) < _MIN_REFERENCE_ENTRIES:
            continue
        if sum(has_year(k, run) for k in range(len(run))) < 0.8 * len(run):
            continue
        if not _runs_to_the_end(finder, run[-1][0] + 1):
            continue
        return run[0][0]
    return None


def _runs_to_the_end(finder: _StructureFinder, index: int) -> bool:
    """No more than one entry's lines follow ``index`` before a heading or the end of the paper."""
    for i in range(index, min(index + 2 * _MAX_ENTRY_LINES, len(finder.lines))):
        if finder.heading_at(i) is not None:
            return True
    return len(finder.lines) - index <= 2 * _MAX_ENTRY_LINES


def _continues_run(run: list[tuple[int, int | None]], entry: tuple[int, int | None]) -> bool:
    """Whether ``entry`` is the next entry of ``run``: close below it, and numbered one more."""
    last_line, last_number = run[-1]
    if entry[0] - last_line > _MAX_ENTRY_LINES:
        return False
    if last_number is None or entry[1] is None:
        return last_number is None and entry[1] is None
    return entry[1] == last_number + 1


def structure(pages: list[list[Line]], page_heights: list[float], toc: list[list]) -> PaperParts:
    """Turn a document's lines into title, abstract, sections and captions."""
    finder = _StructureFinder(pages, page_heights, toc)
    title, after_title = finder.find_title()
    first_two_pages = sum(len(page) for page in pages[:2])
    found = _find_abstract_start(finder.lines, first_two_pages)
    if found is not None:
        abstract, body_start = _abstract_under_heading(finder, *found)
        abstract_found_by = "heading"
    else:
        abstract, body_start, abstract_found_by = _abstract_without_heading(finder, after_title, first_two_pages)
    sections, captions = _read_body(finder, body_start)
    seen: set[str] = set()
    unique_captions = [c for c in captions if not (c in seen or seen.add(c))]
    return PaperParts(
        title=title, abstract=abstract.text().replace("\n", " "), sections=sections, captions=unique_captions,
        abstract_found_by=abstract_found_by if abstract else "",
    )


def _abstract_under_heading(finder: _StructureFinder, index: int, run_in: str) -> tuple[_Paragraphs, int]:
    """The abstract below its heading at ``index`` (``run_in``: its text on the heading's line, if
    any), and the line the body starts at."""
    lines = finder.lines
    abstract = _Paragraphs()
    if run_in:
        line = lines[index]
        abstract.add(Line(run_in, line.x0, line.y0, line.x1, line.y1, line.size, line.bold, line.page, line.block))
    index += 1
    while index < len(lines):
        line = lines[index]
        if _ABSTRACT_STOP.match(line.text) or finder.is_caption_start(index) or finder.heading_at(index) is not None:
            break
        if len(" ".join(" ".join(p) for p in abstract.paragraphs).split()) > _MAX_ABSTRACT_WORDS:
            break
        abstract.add(line)
        index += 1
    return abstract, index


def _abstract_without_heading(
    finder: _StructureFinder, after_title: int, first_two_pages: int
) -> tuple[_Paragraphs, int, str]:
    """No abstract heading (REVTeX, some preprints): the abstract is the first substantive
    paragraph between the title block and the first heading; the body starts at that heading.

    Returns:
        (the abstract, the line the body starts at, ``"paragraph"`` when a paragraph was found else "").
    """
    abstract = _Paragraphs()
    headings = [i for i in range(after_title, first_two_pages) if finder.heading_at(i) is not None]
    # Bold author lines pass for headings; the first numbered or well-known one opens the body.
    first_heading = next((i for i in headings if _opens_body(finder.heading_at(i)[0])), None)
    if first_heading is None and headings:
        first_heading = headings[0]
    span = _first_paragraph(finder, after_title, first_heading if first_heading is not None else first_two_pages)
    found_by = ""
    if span is not None:
        for line in finder.lines[span[0] : span[1]]:
            abstract.add(line)
        found_by = "paragraph"
    if first_heading is not None:
        return abstract, first_heading, found_by
    return abstract, span[1] if span is not None else after_title, found_by


@dataclass
class _Sections:
    """The body's sections read so far, and the one being read."""

    sections: list[Section] = field(default_factory=list)
    heading: str = ""
    paragraphs: _Paragraphs = field(default_factory=_Paragraphs)
    skipping: bool = False  # inside references or acknowledgements

    def close(self) -> None:
        if not self.skipping and (self.paragraphs or self.heading):
            self.sections.append(Section(heading=self.heading, text=self.paragraphs.text()))

    def open(self, heading: str, *, skipping: bool) -> None:
        """Close the current section and start one under ``heading``."""
        self.close()
        self.heading, self.paragraphs, self.skipping = heading, _Paragraphs(), skipping


def _read_body(finder: _StructureFinder, body_start: int) -> tuple[list[Section], list[str]]:
    """The sections and the captions (in reading order, repeats kept) from ``body_start`` on."""
    lines = finder.lines
    body = _Sections()
    captions: list[str] = []
    small_print_blocks: dict[int, bool] = {}
    references_at = _reference_list_start(finder, body_start)
    index = body_start
    while index < len(lines):
        line = lines[index]
        if finder.is_caption_start(index):
            # Kept even inside a skipped section: a float lands wherever the page has room.
            caption, index = _read_caption(finder, index)
            captions.append(caption)
            continue
        found_heading = finder.heading_at(index)
        if found_heading is not None:
            heading, index = found_heading
            normalized = normalize_heading(heading)
            body.open(heading, skipping=normalized in _REFERENCES or normalized.startswith(_SKIPPED_SECTIONS))
            continue
        if index == references_at and not body.skipping:
            # A reference list without a recognised heading: skipped like a "References" section.
            body.open("", skipping=True)
        index += 1
        if body.skipping:
            continue
        if line.block not in small_print_blocks:
            small_print_blocks[line.block] = finder.is_small_print(finder.blocks[line.block])
        if small_print_blocks[line.block]:
            continue
        if line.text.lower().startswith(("acknowledgments", "acknowledgements", "acknowledgment")):
            # A run-in "Acknowledgments. We thank ..." paragraph: drop the whole block.
            while index < len(lines) and lines[index].block == line.block:
                index += 1
            continue
        body.paragraphs.add(line)
    body.close()
    return body.sections, captions


def _read_caption(finder: _StructureFinder, index: int) -> tuple[str, int]:
    """The caption starting at line ``index`` (the rest of its block, up to another caption), and
    the line after it."""
    lines = finder.lines
    start = lines[index]
    caption = [start.text]
    index += 1
    while index < len(lines) and lines[index].block == start.block and not finder.is_caption(lines[index]):
        caption.append(lines[index].text)
        index += 1
    joined = _Paragraphs()
    for text in caption:
        joined.add(Line(text, 0, 0, 0, 0, 0, False, 0, -3))
    return joined.text(), index


def parse_with_pymupdf(path: Path) -> PaperParts:
    """Parse one PDF with PyMuPDF.

    Raises:
        PDFError: not a PDF, truncated, encrypted, damaged, no pages, or no text layer (a scan).
    """
    with open(path, "rb") as fh:
        head = fh.read(1024)
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(0, size - 1024))
        tail = fh.read()
    if b"%PDF-" not in head:
        raise PDFError("not-a-pdf", f"{path} does not start with a PDF header")
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except Exception as exc:  # MuPDF raises several types for broken files
        raise PDFError("corrupt-pdf", f"{path}: {exc}") from None
    with doc:
        if doc.needs_pass:
            raise PDFError("encrypted", f"{path} needs a password")
        if doc.page_count == 0:
            raise PDFError("zero-pages", f"{path} has no pages")
        try:
            pages = extract_lines(doc)
            heights = [page.rect.height for page in doc]
            toc = doc.get_toc(simple=True)
        except Exception as exc:
            raise PDFError("corrupt-pdf", f"{path}: {type(exc).__name__}: {exc}") from None
        # MuPDF repairs a cut-off file without complaint and reads only what is left (often nothing),
        # so a missing end-of-file marker is checked here rather than diagnosed as a scan.
        if b"%%EOF" not in tail:
            raise PDFError(
                "truncated-pdf",
                f"{path}: truncated PDF ({size:,} bytes, no %%EOF at the end; an interrupted download?): "
                "delete it and crawl again",
            )
        n_chars = sum(len(line.text) for page in pages for line in page)
        if n_chars < max(100, 20 * doc.page_count):
            if doc.is_repaired:
                raise PDFError(
                    "damaged-pdf",
                    f"{path}: damaged PDF (its cross-reference table had to be rebuilt; {n_chars} characters of text)",
                )
            raise PDFError(
                "no-text-layer",
                f"{path}: {n_chars} characters of text in {doc.page_count} pages (a scan?); try --parser nougat",
            )
        parts = structure(pages, heights, toc)
        parts.n_pages = doc.page_count
        return parts
