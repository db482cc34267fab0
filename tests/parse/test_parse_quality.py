"""The quality bar of issue 4, measured on real PDFs with ground truth (tests/fixtures/pdfs).

Each check prints the figure it reached (run with ``-s`` to see them).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from reviewgpt.parse import parse_pdf
from reviewgpt.parse._document import normalize_heading
from reviewgpt.records import ParsedPaper

TITLES = {
    "N18-3011.pdf": "Construction of the Literature Graph in Semantic Scholar",
    "2020.acl-main.207_SPECTER.pdf": "SPECTER: Document-level Representation Learning using Citation-informed Transformers",
    "2020.acl-main.447_S2ORC.pdf": "S2ORC: The Semantic Scholar Open Research Corpus",
    "2023.eacl-main.121_LongEval.pdf": "LongEval: Guidelines for Human Evaluation of Faithfulness in Long-form Summarization",
    "2302.07302v1_CiteSee.pdf": (
        "CiteSee: Augmenting Citations in Scientific Papers with Persistent and Personalized Historical Context"
    ),
    "futoma2017improved_MLHC2017.pdf": (
        "An Improved Multi-Output Gaussian Process RNN with Real-Time Validation for Early Sepsis Detection"
    ),
    "498bb0efad6ec15dd09d941fb309aa18d6df9f5f_OpenIE_IJCAI07.pdf": "Open Information Extraction from the Web",
}
WITH_S2ORC = {"N18-3011.pdf": "N18-3011.s2orc.json", "2020.acl-main.207_SPECTER.pdf": "2020.acl-main.207_SPECTER.s2orc.json"}
#: The shapes of reference entries in the fixtures' bibliographies (none of them occurs in body text).
REFERENCE_ENTRY = re.compile(
    r"[A-Z][a-z]+\.\s(?:19|20)\d\d[a-z]?\.\s+[A-Z]"  # ACL/APA: "Etzioni. 2017. Learning"
    r"|(?:^|\.\s)\[\d{1,3}\]\s+[A-Z][a-z]+\s[A-Z]"  # ACM/IEEE: "[59] Carol Tenopir"
    r"|\b[A-Z]\.\s(?:[A-Z]\.\s)?[A-Z][a-z]+,\s(?:[A-Z]\.\s)+[A-Z][a-z]+"  # JMLR: "G. B. Smith, D. R. Prytherch"
)


@pytest.fixture(scope="module")
def pdf_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "pdfs"


@pytest.fixture(scope="module")
def parsed(pdf_dir: Path) -> dict[str, ParsedPaper]:
    return {name: parse_pdf(pdf_dir / name) for name in [*TITLES, "1903.10676_SciBERT_page.pdf"]}


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def token_f1(predicted: str, truth: str) -> float:
    pred, gold = Counter(_tokens(predicted)), Counter(_tokens(truth))
    overlap = sum((pred & gold).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(pred.values()), overlap / sum(gold.values())
    return 2 * precision * recall / (precision + recall)


def set_f1(predicted: set[str], truth: set[str]) -> float:
    hits = len(predicted & truth)
    return 2 * hits / (len(predicted) + len(truth)) if hits else 0.0


def test_exact_title_for_every_paper(parsed: dict[str, ParsedPaper]) -> None:
    for name, title in TITLES.items():
        print(f"title {name}: {parsed[name].title!r}")
        assert parsed[name].title == title, name
        assert parsed[name].title_source == "pdf"


def test_page_without_a_title_falls_back_to_openreview(pdf_dir: Path) -> None:
    # One results page of SciBERT: no title on it, so the metadata's title is used and labelled.
    record = parse_pdf(pdf_dir / "1903.10676_SciBERT_page.pdf", title_fallback="SciBERT", abstract_fallback="A " * 40)
    assert (record.title, record.title_source) == ("SciBERT", "openreview")
    assert record.abstract_source == "openreview"


@pytest.mark.parametrize("name", sorted(WITH_S2ORC))
def test_abstract_token_f1(parsed: dict[str, ParsedPaper], pdf_dir: Path, name: str) -> None:
    truth = json.loads((pdf_dir / WITH_S2ORC[name]).read_text())
    gold = " ".join(p["text"] for p in truth["pdf_parse"]["abstract"])
    f1 = token_f1(parsed[name].abstract, gold)
    print(f"abstract token F1 {name}: {f1:.3f}")
    assert f1 >= 0.9


def test_abstract_f1_against_grobid_tei(parsed: dict[str, ParsedPaper], pdf_dir: Path) -> None:
    xml = (pdf_dir / "2020.acl-main.207_SPECTER.grobid.tei.xml").read_text()
    gold = re.sub(r"<[^>]+>", " ", re.search(r"<abstract>(.*?)</abstract>", xml, re.S).group(1))
    f1 = token_f1(parsed["2020.acl-main.207_SPECTER.pdf"].abstract, gold)
    print(f"abstract token F1 vs GROBID TEI (SPECTER): {f1:.3f}")
    assert f1 >= 0.9


@pytest.mark.parametrize("name", sorted(WITH_S2ORC))
def test_section_heading_f1(parsed: dict[str, ParsedPaper], pdf_dir: Path, name: str) -> None:
    truth = json.loads((pdf_dir / WITH_S2ORC[name]).read_text())
    gold = {normalize_heading(p["section"]) for p in truth["pdf_parse"]["body_text"] if p["section"].strip()}
    predicted = {normalize_heading(s.heading) for s in parsed[name].sections if s.heading}
    f1 = set_f1(predicted, gold)
    print(f"heading F1 {name}: {f1:.3f} (missed {sorted(gold - predicted)}, extra {sorted(predicted - gold)})")
    assert f1 >= 0.8


def test_every_pdffigures2_caption_found(parsed: dict[str, ParsedPaper], pdf_dir: Path) -> None:
    truth = json.loads((pdf_dir / "futoma2017improved_MLHC2017.pdffigures.json").read_text())
    gold = [" ".join(item["caption"].split()) for item in truth]
    found = [" ".join(c.split()) for c in parsed["futoma2017improved_MLHC2017.pdf"].captions]
    hits = sum(any(token_f1(c, g) >= 0.95 and c.split(":")[0] == g.split(":")[0] for c in found) for g in gold)
    print(f"pdffigures2 captions found: {hits}/{len(gold)}")
    assert hits == len(gold)


def _content(record: ParsedPaper) -> str:
    return record.text.split("[CONTENT]\n", 1)[1]


def test_no_reference_entries_in_content(parsed: dict[str, ParsedPaper], pdf_dir: Path) -> None:
    import pymupdf

    for name, record in parsed.items():
        with pymupdf.open(pdf_dir / name) as doc:
            raw = " ".join(" ".join(page.get_text().split()) for page in doc)
        left = REFERENCE_ENTRY.findall(_content(record))
        print(f"reference entries in {name}: {len(REFERENCE_ENTRY.findall(raw))} in the PDF, {len(left)} in [CONTENT]")
        assert not left, name
        assert not [s for s in record.sections if normalize_heading(s.heading) in {"references", "bibliography"}]
    for name, truth_file in WITH_S2ORC.items():
        truth = json.loads((pdf_dir / truth_file).read_text())
        titles = [b["title"] for b in truth["pdf_parse"]["bib_entries"].values() if len(b.get("title") or "") > 40]
        content = " ".join(_content(parsed[name]).lower().split())
        left = [t for t in titles if " ".join(t.lower().split()) in content]
        print(f"cited titles left in [CONTENT] of {name}: {len(left)}/{len(titles)}")
        assert not left


def test_acknowledgements_dropped_and_appendix_kept(parsed: dict[str, ParsedPaper]) -> None:
    specter = parsed["2020.acl-main.207_SPECTER.pdf"]
    assert any(s.heading.startswith("A ") and "Baseline" in s.heading for s in specter.sections)
    s2orc = parsed["2020.acl-main.447_S2ORC.pdf"]
    assert [s.heading[0] for s in s2orc.sections if s.heading[:2] in {"A ", "B ", "C "}] == ["A", "B", "C"]
    for record in parsed.values():
        assert "acknowledg" not in " ".join(s.heading.lower() for s in record.sections)
