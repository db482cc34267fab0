"""The PyMuPDF backend on generated PDFs: demo layout, review versions, two columns, bad files."""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf
import pytest

from reviewgpt.parse import PDFError, parse_pdf

from .parse_pdfs import ABSTRACT, SECTIONS, TITLE


def _content(text: str) -> str:
    return text.split("[CONTENT]\n", 1)[1]


def test_demo_layout_parses_into_the_record_format(demo_pdf: Path) -> None:
    record = parse_pdf(demo_pdf)
    assert (record.forum, record.parser, record.n_pages) == ("demo", "pymupdf", record.n_pages)
    assert record.title == TITLE and record.title_source == "pdf"
    assert record.abstract == ABSTRACT and record.abstract_source == "pdf"
    assert [s.heading for s in record.sections] == [
        *(f"{i} {name}" for i, name in enumerate(SECTIONS, 1)),
        "A Additional Results",
    ]
    assert record.captions == [
        "Figure 1: Overview of the pipeline from papers to reviews.",
        "Table 1: Hit rate of each system on the test papers.",
    ]
    text = record.text
    assert text.startswith(f"[TITLE]\n{TITLE}\n\n[ABSTRACT]\n{ABSTRACT}\n\n[CAPTIONS]\nFigure 1:")
    assert text.index("[CAPTIONS]") < text.index("[CONTENT]")
    assert "\n\n[CONTENT]\nSection Title: 1 Introduction\nThis is the introduction section." in text
    content = _content(text)
    assert "Figure 1:" not in content  # captions are listed once, not repeated in the content
    assert "A cited paper number" not in content and "funding agency" not in content
    assert "The appendix reports per-venue hit rates." in content


def test_line_end_hyphenation_repaired(demo_pdf: Path) -> None:
    content = _content(parse_pdf(demo_pdf).text)
    assert "The encoder builds a representation of every section" in content
    assert "represen-" not in content


def test_review_version_two_columns_line_numbers_and_running_header(make_pdf) -> None:
    header = "Under review as a conference paper at ICLR 2026"
    path = make_pdf("review.pdf", columns=2, line_numbers=True, header=header)
    with pymupdf.open(path) as doc:
        raw = " ".join(page.get_text() for page in doc)
    assert re.search(r"\b57\b", raw) and header in raw  # the numbers and header are really there
    record = parse_pdf(path)
    content = _content(record.text)
    assert header not in record.text
    bodies = " ".join(s.text for s in record.sections)
    assert not re.search(r"(^|\s)\d{1,3}(\s|$)", bodies)  # no line or page numbers left in the text
    assert [s.heading for s in record.sections][:5] == [f"{i} {name}" for i, name in enumerate(SECTIONS, 1)]
    # reading order: each section's text follows its heading across the column break
    assert content.index("This is the method section.") < content.index("This is the experiments section.")
    assert "The encoder builds a representation of every section" in content


def test_small_caps_title_recovered(tmp_path: Path) -> None:
    doc = pymupdf.open()
    page = doc.new_page()
    x = 72.0
    for piece, size in [("L", 18), ("ONG", 14.4), ("E", 18), ("VAL", 14.4), (": Evaluating Long Summaries", 18)]:
        page.insert_text((x, 90), piece, fontname="hebo", fontsize=size)
        x += pymupdf.get_text_length(piece, fontname="hebo", fontsize=size)
    page.insert_text((72, 130), "Abstract", fontname="hebo", fontsize=11)
    page.insert_text((72, 150), "We evaluate summaries of long documents with human raters and models.", fontsize=10)
    page.insert_text((72, 190), "1 Introduction", fontname="hebo", fontsize=11)
    page.insert_text((72, 210), "Long documents are hard to summarise faithfully, and to judge. " * 2, fontsize=10)
    doc.save(tmp_path / "sc.pdf")
    assert parse_pdf(tmp_path / "sc.pdf").title == "LongEval: Evaluating Long Summaries"


def _encrypted(path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "secret text " * 50)
    doc.save(path, encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw="user", owner_pw="owner")


def _scan(path: Path) -> None:
    picture = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 200), 0)
    picture.clear_with(200)
    doc = pymupdf.open()
    doc.new_page().insert_image(pymupdf.Rect(72, 72, 500, 500), pixmap=picture)
    doc.save(path)


ZERO_PAGES = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p.write_text("<html>not a pdf</html>"), "not-a-pdf"),
        (lambda p: p.write_bytes(b""), "not-a-pdf"),
        (lambda p: p.write_bytes(b"%PDF-1.7\n" + b"\x00garbage" * 10), "corrupt-pdf"),
        (lambda p: p.write_bytes(ZERO_PAGES), "zero-pages"),
        (_encrypted, "encrypted"),
        (_scan, "no-text-layer"),
    ],
    ids=["html", "empty", "garbage", "zero-pages", "encrypted", "scan"],
)
def test_bad_pdfs_raise_a_reasoned_error(tmp_path: Path, make, reason: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)
    with pytest.raises(PDFError) as info:
        parse_pdf(path)
    assert info.value.reason == reason


def test_truncated_pdf_is_named_truncated(demo_pdf: Path, tmp_path: Path) -> None:
    """MuPDF repairs a cut file without complaint; the missing %%EOF names it truncated, not a scan."""
    data = demo_pdf.read_bytes()
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(data[: len(data) // 3])
    with pytest.raises(PDFError) as info:
        parse_pdf(cut)
    assert info.value.reason == "truncated-pdf" and "truncated PDF" in str(info.value)
