"""GROBID TEI and Nougat Markdown conversion, without a server or a GPU."""

from __future__ import annotations

from pathlib import Path

import pytest

from reviewgpt.errors import MissingExtraError
from reviewgpt.parse._document import build_record


def test_grobid_tei_of_specter_to_record(fixtures_dir: Path) -> None:
    pytest.importorskip("scipdf", reason="needs the grobid extra: pip install -e '.[grobid]'")
    from reviewgpt.parse._grobid import tei_to_parts

    xml = (fixtures_dir / "pdfs" / "2020.acl-main.207_SPECTER.grobid.tei.xml").read_text()
    record = build_record(tei_to_parts(xml), forum="specter", parser="grobid")
    assert record.title.startswith("SPECTER: Document-level Representation Learning")
    assert record.abstract.startswith("Representation learning is a critical ingredient")
    headings = [s.heading for s in record.sections]
    # numbers come from <head n="...">; GROBID itself merged "Model" and "2.1 Overview" in this TEI
    assert headings[0] == "1 Introduction" and "2.2 Background: Pretrained Transformers" in headings
    assert not any("acknowledg" in h.lower() for h in headings)
    assert "Table 1: Results on the SCIDOCS evaluation suite consisting of 7 tasks." in record.captions
    assert any(c.startswith("Table 2: Ablations") for c in record.captions)  # caption kept in <note>
    assert record.text.index("[CAPTIONS]") < record.text.index("[CONTENT]\nSection Title: 1 Introduction\n")


def test_grobid_tei_plain_text_abstract_is_read(fixtures_dir: Path) -> None:
    """scipdf 0.52 returns "" for an <abstract><p> of plain text; the converter reads it itself."""
    pytest.importorskip("scipdf", reason="needs the grobid extra: pip install -e '.[grobid]'")
    from reviewgpt.parse._grobid import tei_to_parts

    xml = (fixtures_dir / "pdfs" / "N18-3011.grobid.tei.xml").read_text()
    record = build_record(tei_to_parts(xml), forum="n18", parser="grobid", abstract_fallback="From OpenReview. " * 5)
    assert record.title == "Construction of the Literature Graph in Semantic Scholar"
    assert record.abstract.startswith("We describe a deployed scalable system") and record.abstract_source == "pdf"
    assert len(record.sections) == 12 and record.sections[0].heading == "1 Introduction"


NOUGAT_MD = r"""# Attention Is Not All You Need

Jane Doe, John Roe

###### Abstract

We revisit attention. It is not all you need.

## 1 Introduction

Transformers use $\mathrm{softmax}(QK^\top)$ attention.

Figure 1: The model.

## 2 Method

\begin{table}
\begin{tabular}{c c} a & b \end{tabular}
\end{table}

## References

* Vaswani, A. et al. 2017. Attention is all you need.

## Appendix A Proofs

Proof of the theorem.
"""


def test_nougat_markdown_split_on_headings() -> None:
    from reviewgpt.parse._nougat import markdown_to_parts

    parts = markdown_to_parts(NOUGAT_MD)
    assert parts.title == "Attention Is Not All You Need"
    assert parts.abstract == "We revisit attention. It is not all you need."
    assert [s.heading for s in parts.sections] == ["1 Introduction", "2 Method", "Appendix A Proofs"]
    assert r"$\mathrm{softmax}(QK^\top)$" in parts.sections[0].text  # LaTeX kept
    assert "\\begin{tabular}" in parts.sections[1].text
    assert parts.captions == ["Figure 1: The model."]
    assert "Vaswani" not in " ".join(s.text for s in parts.sections)


def test_nougat_missing_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import shutil

    from reviewgpt.parse import _nougat

    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(MissingExtraError, match=r"reviewgpt\[nougat\]"):
        _nougat.check_installed()
