"""Page layout with PyMuPDF: styled lines in reading order, page furniture removed.

PyMuPDF gives text blocks made of lines made of spans, each span with its font, size, flags
and position. This module turns them into :class:`Line` objects (one per visual line, with
its dominant size and boldness) ordered for reading, two-column pages included, and drops
what is not the paper's text: running headers and footers, page numbers, the line numbers
of review-version PDFs (ICLR, NeurIPS, ACL) and rotated margin stamps (arXiv).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

import pymupdf

#: Ligatures expanded (no TEXT_PRESERVE_LIGATURES), no image blocks, text clipped to the page.
_TEXT_FLAGS = pymupdf.TEXT_PRESERVE_WHITESPACE | pymupdf.TEXT_MEDIABOX_CLIP | pymupdf.TEXT_CID_FOR_UNKNOWN_UNICODE

#: Font names that mean bold when the bold flag is not set ("NimbusRomNo9L-Medi", "LinBiolinumTB", "CMBX10").
_BOLD_FONT = re.compile(r"bold|medi|semib|black|heavy|demi|cmbx|-b$|tb$|,b", re.IGNORECASE)
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"^(page\s*)?[-–—(\[]?\s*\d{1,4}\s*[-–—)\]]?(\s*(of|/)\s*\d{1,4})?$", re.IGNORECASE)
_LINE_NUMBER = re.compile(r"^\d{1,4}$")
#: A first-page margin line that is publication furniture, not paper text.
_FIRST_PAGE_FURNITURE = re.compile(
    r"proceedings|conference|copyright|©|association for|licen[sc]e|arxiv|workshop|\bdoi\b|journal|vol\.|volume",
    re.IGNORECASE,
)


@dataclass(slots=True)
class Line:
    """One visual line of text with its dominant style."""

    text: str
    x0: float
    y0: float
    x1: float
    y1: float
    size: float
    bold: bool
    page: int
    block: int  # a document-wide block id: lines of one block form one paragraph


def _span_is_bold(span: dict[str, Any]) -> bool:
    return bool(span["flags"] & 16) or bool(_BOLD_FONT.search(span["font"]))


def _line_from_spans(spans: list[dict[str, Any]]) -> tuple[str, float, bool]:
    """The text of a line's spans, its dominant size and whether it is (mostly) bold.

    Small capitals set with a smaller font ("L" + "ONG" + "E" + "VAL") are lower-cased back
    ("LongEval"): capitals in a span at 72-90% of the line's largest size are the lower case
    the author typed (sub- and superscripts are smaller still).
    """
    max_size = max(span["size"] for span in spans)
    parts: list[str] = []
    size_weight: Counter[float] = Counter()
    bold_chars = 0
    total_chars = 0
    prev_x1 = None
    for span in spans:
        text = span["text"]
        if not text:
            continue
        if 0.72 * max_size < span["size"] < 0.9 * max_size and text.isupper():
            text = text.lower()
        if (
            prev_x1 is not None
            and span["bbox"][0] - prev_x1 > 0.15 * span["size"]
            and not text[:1].isspace()
            and not parts[-1][-1:].isspace()
        ):
            parts.append(" ")  # a gap with no space character: PDFs often position words instead
        parts.append(text)
        prev_x1 = span["bbox"][2]
        n = len(text.strip())
        size_weight[round(span["size"] * 2) / 2] += n
        total_chars += n
        if _span_is_bold(span):
            bold_chars += n
    text = " ".join("".join(parts).split())
    size = size_weight.most_common(1)[0][0] if size_weight else round(max_size * 2) / 2
    return text, size, total_chars > 0 and bold_chars >= 0.8 * total_chars


def _strip_margin_numbers(spans: list[dict[str, Any]], width: float) -> list[dict[str, Any]]:
    """Remove a review-version line number that PyMuPDF glued to the first or last span of a line."""
    spans = [s for s in spans if s["text"].strip()] if len(spans) >= 2 else spans
    if len(spans) < 2:
        return spans
    first, last = spans[0], spans[-1]
    if (
        _LINE_NUMBER.match(last["text"].strip())
        and last["bbox"][0] > 0.85 * width
        and last["bbox"][0] - spans[-2]["bbox"][2] > last["size"]
    ):
        spans = spans[:-1]
    if (
        _LINE_NUMBER.match(first["text"].strip())
        and first["bbox"][2] < 0.15 * width
        and spans[1]["bbox"][0] - first["bbox"][2] > first["size"]
    ):
        spans = spans[1:]
    return spans


def _is_line_number_pair(prev: Line, text: str, size: float) -> bool:
    """One of two same-baseline pieces is a review line number (smaller than the text beside it)."""
    if _LINE_NUMBER.match(text):
        return size < 0.9 * prev.size
    return bool(_LINE_NUMBER.match(prev.text)) and prev.size < 0.9 * size


def _page_lines(page: pymupdf.Page, page_no: int, block_base: int) -> list[Line]:
    """Lines of one page, same-baseline pieces of a block merged, rotated text dropped."""
    lines: list[Line] = []
    data = page.get_text("dict", flags=_TEXT_FLAGS)
    for block in data["blocks"]:
        if block.get("type", 0) != 0:
            continue
        block_id = block_base + block["number"]
        for raw in block["lines"]:
            dx, dy = raw["dir"]
            if abs(dx) < 0.99 or abs(dy) > 0.01:  # rotated: arXiv stamps, sideways tables
                continue
            spans = _strip_margin_numbers([s for s in raw["spans"] if s["text"]], page.rect.width)
            if not spans:
                continue
            text, size, bold = _line_from_spans(spans)
            if not text:
                continue
            x0, y0, x1, y1 = raw["bbox"]
            prev = lines[-1] if lines else None
            if (
                prev is not None
                and prev.block == block_id
                and min(prev.y1, y1) - max(prev.y0, y0) > 0.5 * min(prev.y1 - prev.y0, y1 - y0)
                and x0 >= prev.x1 - 1
                and not _is_line_number_pair(prev, text, size)
            ):
                # The same visual line split by PyMuPDF ("1" + "Introduction"): join it back.
                total = len(prev.text) + len(text)
                prev.bold = prev.bold and bold
                prev.size = prev.size if len(prev.text) >= len(text) else size
                prev.text = f"{prev.text} {text}" if total else prev.text
                prev.x1, prev.y0, prev.y1 = max(prev.x1, x1), min(prev.y0, y0), max(prev.y1, y1)
                continue
            lines.append(Line(text, x0, y0, x1, y1, size, bold, page_no, block_id))
    return lines


def _drop_line_numbers(lines: list[Line]) -> list[Line]:
    """Drop review-version line numbers: bare integers outside the page's text area."""
    wordy = [line for line in lines if not _LINE_NUMBER.match(line.text)]
    if not wordy:
        return lines
    left = min(line.x0 for line in wordy)
    right = max(line.x1 for line in wordy)
    return [
        line
        for line in lines
        if not (_LINE_NUMBER.match(line.text) and (line.x1 <= left + 1 or line.x0 >= right - 1))
    ]


def _furniture_key(text: str) -> str:
    return _DIGITS.sub("#", text.lower()).strip()


def _drop_page_furniture(pages: list[list[Line]], heights: list[float]) -> list[list[Line]]:
    """Drop running headers/footers (repeated in the page margins) and page numbers."""
    n_pages = len(pages)
    margin_keys: Counter[str] = Counter()
    for lines, height in zip(pages, heights, strict=True):
        seen = {
            _furniture_key(line.text)
            for line in lines
            if line.y1 < 0.1 * height or line.y0 > 0.9 * height
        }
        margin_keys.update(seen)
    repeated = {key for key, count in margin_keys.items() if count >= 2 and count >= 0.3 * n_pages}
    cleaned: list[list[Line]] = []
    for page_no, (lines, height) in enumerate(zip(pages, heights, strict=True)):
        kept = []
        for line in lines:
            in_margin = line.y1 < 0.1 * height or line.y0 > 0.9 * height
            if in_margin and (
                _furniture_key(line.text) in repeated
                or _PAGE_NUMBER.match(line.text)
                or (page_no == 0 and _FIRST_PAGE_FURNITURE.search(line.text))
            ):
                continue
            kept.append(line)
        cleaned.append(kept)
    return cleaned


def _reading_order(lines: list[Line], width: float) -> list[Line]:
    """Order a page's lines for reading: by block, columns left then right between full-width blocks."""
    blocks: dict[int, list[Line]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line)
    boxes = []
    for block_id, block_lines in blocks.items():
        x0 = min(line.x0 for line in block_lines)
        x1 = max(line.x1 for line in block_lines)
        y0 = min(line.y0 for line in block_lines)
        boxes.append((block_id, x0, y0, x1))
    mid = width / 2
    slack = 0.03 * width

    def column(box: tuple[int, float, float, float]) -> int:
        _, x0, _, x1 = box
        if x1 <= mid + slack:
            return 0
        if x0 >= mid - slack:
            return 1
        return -1  # spans both columns

    left_lines = sum(len(blocks[b[0]]) for b in boxes if column(b) == 0)
    right_lines = sum(len(blocks[b[0]]) for b in boxes if column(b) == 1)
    two_columns = left_lines >= 5 and right_lines >= 5
    if not two_columns:
        boxes.sort(key=lambda b: (round(b[2]), b[1]))
        return [line for b in boxes for line in blocks[b[0]]]

    # Full-width blocks cut the page into bands; inside a band read the left column, then the right.
    full = sorted((b for b in boxes if column(b) == -1), key=lambda b: b[2])
    ordered: list[tuple[int, float, float, float]] = []
    band_top = float("-inf")
    for cut in [*full, None]:
        band_bottom = cut[2] if cut is not None else float("inf")
        band = [b for b in boxes if column(b) != -1 and band_top <= b[2] < band_bottom]
        ordered.extend(sorted(band, key=lambda b: (column(b), b[2])))
        if cut is not None:
            ordered.append(cut)
            band_top = cut[2]
    return [line for b in ordered for line in blocks[b[0]]]


def extract_lines(doc: pymupdf.Document) -> list[list[Line]]:
    """Every page's lines in reading order, headers, footers and line numbers removed."""
    pages: list[list[Line]] = []
    heights: list[float] = []
    widths: list[float] = []
    block_base = 0
    for page_no, page in enumerate(doc):
        lines = _drop_line_numbers(_page_lines(page, page_no, block_base))
        block_base += 100_000  # block ids stay unique across pages
        pages.append(lines)
        heights.append(page.rect.height)
        widths.append(page.rect.width)
    pages = _drop_page_furniture(pages, heights)
    return [_reading_order(lines, width) for lines, width in zip(pages, widths, strict=True)]
