"""``reviewgpt parse --parser docling``: real Docling JSON of NeurIPS 2025 papers, and the reader's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.parse import PDFError, parse_pdf
from reviewgpt.parse._docling import parse_with_docling

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "neurips2025"


def test_real_paper_sections_captions_and_what_is_left_out() -> None:
    record = parse_pdf(SAMPLE / "parsed_pdfs/004uTlSufe.pdf.json", "docling")
    assert record.forum == "004uTlSufe" and record.parser == "docling"
    assert record.title == "How Well Can Differential Privacy Be Audited in One Run?" and record.title_source == "pdf"
    assert record.abstract.startswith("Recent methods for auditing the privacy of machine learning algorithms")
    assert record.abstract_source == "pdf" and record.n_pages == 46
    headings = [s.heading for s in record.sections]
    assert headings[:3] == ["1 Introduction", "1.1 Our Contributions", "1.2 Related Work"]
    assert "7 Conclusions" in headings and "A Problem Setting" in headings and "E.3.2 Count-In-Sets" in headings
    assert not {"References", "Acknowledgments", "NeurIPS Paper Checklist"} & set(headings)
    assert len(record.captions) == 9 and record.captions[0].startswith("Figure 1: Effect of the fraction")
    text = record.text
    assert text.startswith("[TITLE]\nHow Well Can Differential Privacy Be Audited in One Run?\n\n[ABSTRACT]\nRecent")
    assert text.index("[CAPTIONS]") < text.index("[CONTENT]\nSection Title: 1 Introduction\n")
    assert "Amit Keinan" not in text and "mail.huji.ac.il" not in text  # front matter
    assert "39th Conference on Neural Information Processing Systems" not in text  # page footer
    assert "Answer: [Yes]" not in text and "Justification:" not in text  # the checklist
    assert "Thomas Steinke, Milad Nasr, and Matthew Jagielski. Privacy auditing" not in text  # the reference list


def test_rejected_paper_without_captions() -> None:
    parts = parse_with_docling(SAMPLE / "parsed_pdfs/KkOMqJQiWU.pdf.json")
    assert parts.title.startswith("Meta-learning local learning rules for structured credit assignment")
    assert [s.heading for s in parts.sections][:5] == ["1 Introduction", "2 Method", "3 Results", "4 Related work", "5 Limitations"]


def _doc(texts: list[dict], body: list[str], **extra: list) -> dict:
    items = {"texts": texts, "groups": [], "pictures": [], "tables": [], **extra}
    for kind, values in items.items():
        for i, item in enumerate(values):
            item.setdefault("self_ref", f"#/{kind}/{i}")
            item.setdefault("content_layer", "body")
            item.setdefault("prov", [{"page_no": 1}])
    return {"schema_name": "DoclingDocument", "version": "1.9.0", "body": {"children": [{"$ref": r} for r in body]},
            "pages": {"1": {}, "2": {}}, **items}


def _t(label: str, text: str, **kw: object) -> dict:
    return {"label": label, "text": text, **kw}


def test_reader_rules_on_a_constructed_document(tmp_path: Path) -> None:
    texts = [
        _t("section_header", "A Title Set As A Header"),                       # 0
        _t("section_header", "Ann Author, Bob Author"),                          # 1
        _t("text", "University of Somewhere"),                                   # 2
        _t("section_header", "Abstract"),                                        # 3
        _t("text", "We study things."),                                          # 4
        _t("section_header", "1 Introduction"),                                  # 5
        _t("text", "Intro text."),                                               # 6
        _t("page_footer", "Preprint. Under review.", content_layer="furniture"),  # 7
        _t("list_item", "first point"),                                          # 8
        _t("caption", "Figure 1: A plot."),                                      # 9
        _t("text", "axis label 0.5"),                                            # 10 (inside the picture)
        _t("caption", "Table 1: Scores."),                                       # 11
        _t("section_header", "References"),                                      # 12
        _t("reference", "[1] A. Person. A paper. 2020."),                        # 13
        _t("section_header", "NeurIPS Paper Checklist"),                         # 14
        _t("section_header", "1. Claims"),                                       # 15
        _t("text", "Answer: [Yes]"),                                             # 16
        _t("section_header", "A Proofs"),                                        # 17
        _t("formula", "", orig="x = y + 1"),                                     # 18
    ]
    picture = {"label": "picture", "children": [{"$ref": "#/texts/9"}, {"$ref": "#/texts/10"}],
               "captions": [{"$ref": "#/texts/9"}]}
    grid = [[{"text": "Method", "start_row_offset_idx": 0, "start_col_offset_idx": 0},
             {"text": "Acc", "start_row_offset_idx": 0, "start_col_offset_idx": 1}],
            [{"text": "Ours", "start_row_offset_idx": 1, "start_col_offset_idx": 0},
             {"text": "0.9", "start_row_offset_idx": 1, "start_col_offset_idx": 1}]]
    table = {"label": "table", "captions": [{"$ref": "#/texts/11"}], "data": {"grid": grid}}
    group = {"label": "list", "children": [{"$ref": "#/texts/8"}]}
    body = [f"#/texts/{i}" for i in range(8)] + ["#/groups/0", "#/pictures/0", "#/tables/0", "#/texts/11"]
    body += [f"#/texts/{i}" for i in range(12, 19)]
    path = tmp_path / "p1.docling.json"
    path.write_text(json.dumps(_doc(texts, body, groups=[group], pictures=[picture], tables=[table])))
    record = parse_pdf(path, "docling", abstract_fallback="An OpenReview abstract long enough to be used as the fallback here.")
    assert record.forum == "p1" and record.title == "A Title Set As A Header" and record.n_pages == 2
    assert record.abstract_source == "openreview"  # "We study things." is too short to be an abstract
    assert record.captions == ["Figure 1: A plot.", "Table 1: Scores."]
    assert [(s.heading, s.text) for s in record.sections] == [
        ("1 Introduction", "Intro text.\n- first point\nMethod | Acc\nOurs | 0.9"),
        ("A Proofs", "x = y + 1"),
    ]


@pytest.mark.parametrize("content", ["not json", '{"schema_name": "Other", "body": {}}', "[1]"])
def test_not_a_docling_document(tmp_path: Path, content: str) -> None:
    path = tmp_path / "x.docling.json"
    path.write_text(content)
    with pytest.raises(PDFError) as info:
        parse_pdf(path, "docling")
    assert info.value.reason == "not-docling"


def test_no_body_text(tmp_path: Path) -> None:
    path = tmp_path / "x.docling.json"
    path.write_text(json.dumps(_doc([_t("section_header", "Only A Title")], ["#/texts/0"])))
    with pytest.raises(PDFError) as info:
        parse_pdf(path, "docling")
    assert info.value.reason == "no-text"


def test_stage_after_an_import(tmp_path: Path, data_dir: Path) -> None:
    crawl = ["crawl", "--source", "peerread", "--path", str(tmp_path / "corpus"), "--venue", "NeurIPS.cc/2025/Conference",
             "--data-dir", str(data_dir), "--version", "c1"]
    import shutil

    shutil.copytree(SAMPLE, tmp_path / "corpus")
    (tmp_path / "corpus/parsed_pdfs/KkOMqJQiWU.pdf.json").write_text('{"schema_name": "Nope"}')
    assert CliRunner().invoke(app, crawl).exit_code == 0
    result = CliRunner().invoke(app, ["parse", "--parser", "docling", "--workers", "1", "--data-dir", str(data_dir),
                                      "--version", "p1"])
    assert result.exit_code == 0, result.output
    assert "parse p1: ok=1 skipped=1 failed=1" in result.output
    records = [json.loads(line) for line in (data_dir / "parse/p1/papers.jsonl").read_text().splitlines()]
    assert [r["forum"] for r in records] == ["004uTlSufe"] and records[0]["parser"] == "docling"
    errors = [json.loads(line) for line in (data_dir / "parse/p1/errors.jsonl").read_text().splitlines()]
    assert [(e["id"], e["error"]) for e in errors] == [("KkOMqJQiWU", "not-docling")]
    manifest = json.loads((data_dir / "parse/p1/manifest.json").read_text())
    assert manifest["skipped_reasons"] == {"no-docling-text": 1}
