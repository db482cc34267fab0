"""Abstracts without an "Abstract" heading and reference lists without a recognised heading.

Two kinds of input:
- real PDFs (tests/fixtures/pdfs, see README.txt: ACL, ACM, PMLR single-column, IJCAI) with their
  "Abstract" and "References" heading lines erased by a PyMuPDF redaction, so everything else
  (layout, fonts, the real reference entries) is the paper's own;
- PDFs constructed here with PyMuPDF in the REVTeX style (abstract paragraph under the authors, no
  heading; numbered references with no heading, as in Physical Review Letters) and the IEEE style
  ("Abstract—" run in, "[1]" references). Their text is written for these tests.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pymupdf
import pytest

from reviewgpt.parse import parse_pdf
from reviewgpt.parse._document import PaperParts, build_record, normalize_heading

from .parse_pdfs import PaperWriter, _wrap

PDFS = Path(__file__).resolve().parents[1] / "fixtures" / "pdfs"
REAL = [
    "N18-3011.pdf",  # ACL two-column, author-year references
    "2302.07302v1_CiteSee.pdf",  # ACM two-column, [n] references
    "futoma2017improved_MLHC2017.pdf",  # PMLR single-column, "G. B. Smith," references
    "498bb0efad6ec15dd09d941fb309aa18d6df9f5f_OpenIE_IJCAI07.pdf",  # IJCAI, [Author, 2006] labels
]
#: Reference-entry shapes (ACL "Etzioni. 2017. Learning", ACM/IEEE "[59] Carol Tenopir",
#: JMLR "G. B. Smith, D. R.", IJCAI "[Sekine, 2006] S. Sekine", APS "[3] A. B. Name, Phys.").
REFERENCE_ENTRY = re.compile(
    r"[A-Z][a-z]+\.\s(?:19|20)\d\d[a-z]?\.\s+[A-Z]"
    r"|(?:^|\.\s)\[\d{1,3}\]\s+[A-Z][a-z]*\.?\s[A-Z]"
    r"|\b[A-Z]\.\s(?:[A-Z]\.\s)?[A-Z][a-z]+,\s(?:[A-Z]\.\s)+[A-Z][a-z]+"
    r"|\[[A-Z][a-z]+(?: and [A-Z][a-z]+| et al\.)?, (?:19|20)\d\d[a-z]?\]\s[A-Z]\.\s[A-Z]"
)


def token_f1(a: str, b: str) -> float:
    ta, tb = Counter(re.findall(r"[a-z0-9]+", a.lower())), Counter(re.findall(r"[a-z0-9]+", b.lower()))
    common = sum((ta & tb).values())
    return 2 * common / (sum(ta.values()) + sum(tb.values())) if common else 0.0


def content(record) -> str:
    return record.text.split("[CONTENT]\n", 1)[1]


def erase_headings(src: Path, dst: Path, headings=("abstract", "references", "bibliography")) -> int:
    """Redact every short line that is one of ``headings``; returns how many were erased."""
    erased = 0
    with pymupdf.open(src) as doc:
        for page in doc:
            for block in page.get_text("dict")["blocks"]:
                for line in block.get("lines", []):
                    text = "".join(span["text"] for span in line["spans"]).strip()
                    if len(text) <= 16 and normalize_heading(text) in headings:
                        page.add_redact_annot(pymupdf.Rect(line["bbox"]))
                        erased += 1
            page.apply_redactions()
        doc.save(dst)
    return erased


@pytest.mark.parametrize("name", REAL)
def test_real_paper_without_its_abstract_and_references_headings(name: str, tmp_path: Path) -> None:
    original = parse_pdf(PDFS / name)
    headless = tmp_path / name
    assert erase_headings(PDFS / name, headless) >= 2
    with pymupdf.open(headless) as doc:
        lines = {normalize_heading(line) for page in doc for line in page.get_text().splitlines()}
    assert not lines & {"abstract", "references"}  # the heading lines are really gone
    parsed = parse_pdf(headless)
    print(f"{name}: abstract F1 {token_f1(parsed.abstract, original.abstract):.3f}, "
          f"content F1 {token_f1(content(parsed), content(original)):.3f}")
    assert parsed.abstract_source == "pdf" and token_f1(parsed.abstract, original.abstract) >= 0.95
    assert not REFERENCE_ENTRY.findall(content(parsed)), name
    assert token_f1(content(parsed), content(original)) >= 0.98  # no body text lost with the references


# ---------------------------------------------------------------------------- constructed papers

PHYS_TITLE = "Entanglement Witnesses for Noisy Two-Mode Squeezed States"
PHYS_ABSTRACT = (
    "We derive a family of entanglement witnesses for two-mode squeezed states subject to thermal loss. "
    "The witnesses need only second moments of the quadratures and remain tight when the channel "
    "transmissivity drops below one half. We compare them with the logarithmic negativity in a "
    "numerical study over a wide range of squeezing and temperature, and show that a single homodyne "
    "setting suffices to certify entanglement in the regime of current optical experiments."
)
PHYS_BODY = (
    "Continuous-variable entanglement is a resource for teleportation and for sensing beyond the "
    "standard quantum limit. In realistic settings the state decoheres in a lossy channel, and the "
    "question is which measurements still reveal the remaining correlations between the two modes. "
)
PHYS_REFERENCES = [
    "[{i}] A. B. Kowalski and C. D. Lindqvist, Phys. Rev. A 9{i}, 0423{i}1 (20{y}).",
    "[{i}] E. F. Moreau, G. H. Tanaka, and I. Ruiz, Phys. Rev. Lett. 1{i}2, 1105{i}0 (20{y}).",
    "[{i}] J. K. Osei, New J. Phys. 2{i}, 0330{i}9 (20{y}).",
]


def write_revtex_style(path: Path) -> Path:
    """Title, authors, affiliation, date, an abstract paragraph with no heading, PACS, two columns,
    "I. INTRODUCTION"..., numbered references with no heading (Physical Review Letters style)."""
    w = PaperWriter(columns=2)
    for text in _wrap(PHYS_TITLE, "hebo", 14, 468):
        w.line(text, "hebo", 14, full_width=True)
    w.line("Maria Kowalczyk and Tomasz Lind", "helv", 10, full_width=True)
    w.line("Institute of Theoretical Physics, University of Nowhere, 00-001 Nowhere", "heit", 9, full_width=True)
    w.line("(Dated: March 3, 2021)", "helv", 9, full_width=True)
    w.y += 8
    for text in _wrap(PHYS_ABSTRACT, "helv", 9, 400):
        w.line(text, "helv", 9, full_width=True)
    w.y += 4
    w.line("PACS numbers: 03.67.Mn, 42.50.Dv", "helv", 9, full_width=True)
    w.y += 12
    w.top = w.y
    for numeral, name in (("I.", "INTRODUCTION"), ("II.", "WITNESS CONSTRUCTION"), ("III.", "DISCUSSION")):
        w.heading(f"{numeral} {name}", size=10)
        for _ in range(3):
            w.paragraph(PHYS_BODY * 2)
    w.y += 12
    for i in range(1, 13):
        w.paragraph(PHYS_REFERENCES[i % 3].format(i=i, y=10 + i), size=8)
    return w.save(path)


IEEE_ABSTRACT = (
    "Abstract—Federated learning trains a shared model on data that never leaves the clients, but "
    "stragglers slow every round. We propose an asynchronous aggregation rule that weights each update "
    "by its staleness and prove that it converges at the rate of the synchronous rule. On three image "
    "benchmarks it halves the wall-clock time to a target accuracy."
)
IEEE_BODY = (
    "Clients in a federation differ in compute and bandwidth, and a synchronous server waits for the "
    "slowest one in every round. Asynchronous servers avoid the wait but apply stale updates. "
)


def write_ieee_style(path: Path) -> Path:
    """Two columns, "Abstract—" and "Index Terms—" run in, roman-numeral headings, a numbered list
    of contributions in the body, and "[n]" references with no heading."""
    w = PaperWriter(columns=2)
    w.title_block("Staleness-Aware Asynchronous Aggregation for Federated Learning", "Jane Doe and John Roe")
    w.paragraph(IEEE_ABSTRACT, size=9)
    w.paragraph("Index Terms—federated learning, asynchronous optimization, stragglers.", size=9)
    w.heading("I. INTRODUCTION", size=10)
    w.paragraph(IEEE_BODY * 3)
    w.paragraph("Our contributions are the following.")
    for k, text in enumerate(("A staleness-weighted aggregation rule.", "A convergence proof for it.",
                              "Experiments on three benchmarks.", "An open implementation.",
                              "A study of client heterogeneity."), 1):
        w.paragraph(f"{k}. {text}")
    w.heading("II. METHOD", size=10)
    w.paragraph(IEEE_BODY * 4)
    w.heading("III. CONCLUSION", size=10)
    w.paragraph(IEEE_BODY * 2)
    for i in range(1, 11):
        w.paragraph(f"[{i}] A. Author{i} and B. Writer, “A cited study number {i},” in Proc. IEEE INFOCOM, "
                    f"20{10 + i}, pp. {i}1–{i}9.", size=8)
    return w.save(path)


def test_revtex_style_abstract_without_heading_and_references_without_heading(tmp_path: Path) -> None:
    record = parse_pdf(write_revtex_style(tmp_path / "revtex.pdf"))
    assert record.title == PHYS_TITLE
    assert record.abstract_source == "pdf" and token_f1(record.abstract, PHYS_ABSTRACT) >= 0.98
    assert [s.heading for s in record.sections] == ["I. INTRODUCTION", "II. WITNESS CONSTRUCTION", "III. DISCUSSION"]
    body = content(record)
    assert "Phys. Rev." not in body and "Kowalski" not in body and not REFERENCE_ENTRY.findall(body)
    assert body.count("Continuous-variable entanglement") == 2 * 3 * 3  # every body paragraph kept
    assert "PACS" not in body and "Dated" not in body


def test_ieee_style_references_without_heading_and_a_body_list_kept(tmp_path: Path) -> None:
    record = parse_pdf(write_ieee_style(tmp_path / "ieee.pdf"))
    assert token_f1(record.abstract, IEEE_ABSTRACT.removeprefix("Abstract—")) >= 0.98
    body = content(record)
    assert "INFOCOM" not in body and not REFERENCE_ENTRY.findall(body)
    assert "1. A staleness-weighted aggregation rule." in body and "5. A study of client heterogeneity." in body
    assert record.sections[-1].heading == "III. CONCLUSION" and "Clients in a federation" in record.sections[-1].text


def test_a_headingless_abstract_is_checked_against_the_openreview_abstract() -> None:
    intro = "Deep networks are everywhere. " * 10
    submitted = "We show that pruning at initialisation finds sparse trainable networks. " * 3
    parts = PaperParts(title="Pruning at Initialisation", abstract=intro, abstract_found_by="paragraph")
    record = build_record(parts, forum="f", parser="pymupdf", abstract_fallback=submitted)
    assert (record.abstract, record.abstract_source) == (submitted.strip(), "openreview")
    revised = submitted.replace("finds", "can find")  # a camera-ready edit: still the abstract
    kept = build_record(PaperParts(title="T", abstract=revised, abstract_found_by="paragraph"), forum="f",
                        parser="pymupdf", abstract_fallback=submitted)
    assert (kept.abstract, kept.abstract_source) == (revised.strip(), "pdf")
    under_heading = build_record(PaperParts(title="T", abstract=intro, abstract_found_by="heading"), forum="f",
                                 parser="pymupdf", abstract_fallback=submitted)
    assert under_heading.abstract_source == "pdf"  # a PDF's own "Abstract" section is trusted
