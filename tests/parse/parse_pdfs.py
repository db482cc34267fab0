"""PDFs made with PyMuPDF for the parse tests: the shapes the demo and real venues produce."""

from __future__ import annotations

from pathlib import Path

import pymupdf

BODY = (
    "We study how structured reviews can be generated for scientific papers with long context models. "
    "Our approach reads the whole paper and writes points grouped by aspect, and we measure how many "
    "points of human reviewers it recovers on a held out set of submissions from two venues. "
)
TITLE = "Structured Review Generation with Long-Context Language Models"
ABSTRACT = (
    "Peer review is slow and uneven. We present a pipeline that turns OpenReview papers and their reviews "
    "into training data and fine-tunes a long-context model to write structured reviews. On held-out papers "
    "the model recovers a third of the points human reviewers raise."
)
SECTIONS = ["Introduction", "Related Work", "Method", "Experiments", "Conclusion"]


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        trial = f"{current} {word}".strip()
        if pymupdf.get_text_length(trial, fontname=font, fontsize=size) > width and current:
            lines.append(current)
            current = word
        else:
            current = trial
    return [*lines, current] if current else lines


class PaperWriter:
    """Lays out a paper page by page: a title block, then columns of headings and paragraphs."""

    def __init__(self, columns: int = 1, line_numbers: bool = False, header: str | None = None):
        self.doc = pymupdf.open()
        self.columns = columns
        self.line_numbers = line_numbers
        self.header = header
        self.margin, self.gap = 72.0, 20.0
        self.width = 612.0
        self.col_width = (self.width - 2 * self.margin - (columns - 1) * self.gap) / columns
        self.line_no = 0
        self._new_page()

    def _new_page(self) -> None:
        self.page = self.doc.new_page(width=self.width, height=792)
        self.col, self.y = 0, 80.0
        self.top = 80.0
        if self.header:
            self.page.insert_text((self.margin, 40), self.header, fontname="helv", fontsize=8)
        self.page.insert_text((self.width / 2 - 4, 760), str(self.doc.page_count), fontname="helv", fontsize=9)

    def _x(self) -> float:
        return self.margin + self.col * (self.col_width + self.gap)

    def _advance(self, height: float) -> None:
        if self.y + height > 720:
            if self.col + 1 < self.columns:
                self.col, self.y = self.col + 1, self.top
            else:
                self._new_page()

    def line(self, text: str, font: str = "helv", size: float = 10, full_width: bool = False) -> None:
        self._advance(size * 1.4)
        x = self.margin if full_width else self._x()
        self.page.insert_text((x, self.y + size), text, fontname=font, fontsize=size)
        if self.line_numbers:
            self.line_no += 1
            nx = 40 if self.col == 0 else self.width - 60
            self.page.insert_text((nx, self.y + size), str(self.line_no), fontname="helv", fontsize=7)
        self.y += size * 1.4

    def title_block(self, title: str, authors: str) -> None:
        for text in _wrap(title, "hebo", 16, self.width - 2 * self.margin):
            self.line(text, "hebo", 16, full_width=True)
        self.line(authors, "helv", 11, full_width=True)
        self.y += 10
        self.top = self.y if self.columns > 1 else 80.0

    def heading(self, text: str, size: float = 12) -> None:
        self.y += 8
        self._advance(size * 4)
        self.line(text, "hebo", size)
        self.y += 2

    def paragraph(self, text: str | None = None, lines: list[str] | None = None, size: float = 10) -> None:
        for text_line in lines or _wrap(text or "", "helv", size, self.col_width):
            self.line(text_line, "helv", size)
        self.y += 6

    def save(self, path: Path) -> Path:
        self.doc.save(path)
        return path


def write_demo_paper(path: Path, columns: int = 1, line_numbers: bool = False, header: str | None = None) -> Path:
    """A paper like the demo's: Helvetica, bold larger headings, captions, an appendix after the references."""
    w = PaperWriter(columns=columns, line_numbers=line_numbers, header=header)
    w.title_block(TITLE, "Ada Lovelace, Alan Turing")
    w.heading("Abstract")
    w.paragraph(ABSTRACT)
    for number, name in enumerate(SECTIONS, 1):
        w.heading(f"{number} {name}")
        w.paragraph(f"This is the {name.lower()} section. " + BODY * 2)
        if name == "Method":
            # a word split over two lines with a hyphen
            w.paragraph(lines=["The encoder builds a represen-", "tation of every section of the paper."])
            w.paragraph("Figure 1: Overview of the pipeline from papers to reviews.", size=9)
        if name == "Experiments":
            w.paragraph("Table 1: Hit rate of each system on the test papers.", size=9)
            w.paragraph(BODY)
    w.heading("Acknowledgments")
    w.paragraph("We thank the anonymous funding agency for generous support of this work.")
    w.heading("References")
    for i in range(8):
        w.paragraph(f"Author{i}, A. and Writer, B. 2023. A cited paper number {i} on peer review. In Proceedings of ACL.")
    w.heading("A Additional Results")
    w.paragraph("The appendix reports per-venue hit rates. " + BODY)
    return w.save(path)
