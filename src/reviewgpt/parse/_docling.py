"""The ``docling`` backend: a DoclingDocument JSON (Docling's own output for a PDF) -> :class:`PaperParts`.

Docling (github.com/docling-project/docling) is a PDF parser; users hand us its JSON instead of, or
beside, the PDF. A DoclingDocument keeps its items in flat arrays (``texts``, ``groups``,
``pictures``, ``tables``) and the reading order as a tree of ``{"$ref": "#/texts/12"}`` links from
``body``; each text item has a ``label`` (``title``, ``section_header``, ``text``, ``list_item``,
``formula``, ``caption``, ``footnote``, ``page_header``, ``page_footer``, ``code``...) and a
``content_layer`` (``body`` or ``furniture``).

This reader walks ``body`` in order:

- furniture and page headers/footers are dropped;
- ``section_header`` / ``title`` items open sections; the first header of the first page is the
  title, the text under an "Abstract" header the abstract, and the rest of the front matter
  (authors, affiliations, e-mails, often set as headers too) is dropped;
- captions (of pictures and tables, and free ``caption`` items) go to ``captions``, once each;
  text inside pictures (words Docling read off a plot) is dropped; tables are kept as rows of
  ``cell | cell`` lines;
- ``reference`` items (newer Docling labels bibliography entries) are dropped; the "References" and
  "Acknowledgments" sections are dropped by :func:`build_record` like every backend's;
- the NeurIPS paper checklist (pages of boilerplate questions and answers after the references
  of every NeurIPS paper) is dropped, up to the next appendix header ("A ...", "Appendix") if any.

It reads the JSON with the standard library, not with the ``docling-core`` package's
``DoclingDocument`` model: docling-core 2.104 requires ``typer<0.27`` (we ship with 0.29) and pulls
pandas, pillow, jsonschema, jsonref, latex2mathml and requests for what is here a tree walk over
five keys. The fields read are those of DoclingDocument 1.x; a file without
``schema_name: DoclingDocument`` is refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from reviewgpt.parse._document import PaperParts, PDFError, normalize_heading
from reviewgpt.records import Section

#: Labels whose items are never text of the paper.
_SKIPPED_LABELS = frozenset({"page_header", "page_footer", "reference", "document_index"})
_HEADER_LABELS = frozenset({"section_header", "title"})
# A header that opens the paper's body even without an "Abstract" before it.
_SECTION_START = re.compile(r"^\s*(?:(?:\d+|[IVX]+)\.?\s+\S|introduction\b|background\b)", re.IGNORECASE)
# A header that opens an appendix ("A Proofs", "B.1 Setup", "Appendix", "Technical Appendices").
_APPENDIX_START = re.compile(r"^\s*(?:appendi(?:x|ces)\b|technical appendi|supplementary|[A-H](?:\.\d+)*\.?\s+[A-Z])", re.IGNORECASE)
# The checklist's heading, or its first question when Docling missed the heading.
_CHECKLIST = re.compile(r"^(?:neurips |nips )?paper checklist$|^checklist$")
_CHECKLIST_FIRST = re.compile(r"^\s*1\.?\s+claims\s*$", re.IGNORECASE)


class _Doc:
    """Typed access to the parts of a DoclingDocument this reader uses."""

    def __init__(self, data: dict[str, Any], source: Path):
        self.data = data
        self.source = source

    def resolve(self, ref: Any) -> dict[str, Any] | None:
        """The item a ``{"$ref": "#/texts/3"}`` link names (None for a dangling one)."""
        target = ref.get("$ref") if isinstance(ref, dict) else None
        if not isinstance(target, str) or not target.startswith("#/"):
            return None
        node: Any = self.data
        for part in target[2:].split("/"):
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            elif isinstance(node, dict) and part in node:
                node = node[part]
            else:
                return None
        return node if isinstance(node, dict) else None

    def walk(self, node: dict[str, Any], seen: set[int]) -> Iterator[dict[str, Any]]:
        """Leaf items under ``node`` in reading order (texts, pictures, tables); groups are opened."""
        for ref in node.get("children") or []:
            item = self.resolve(ref)
            if item is None or id(item) in seen:
                continue
            seen.add(id(item))
            kind = str(item.get("self_ref", "")).split("/")[1:2]
            if kind == ["groups"]:
                yield from self.walk(item, seen)
            else:
                yield item
                if kind == ["texts"] and item.get("children"):  # a list item's nested list
                    yield from self.walk(item, seen)

    @property
    def n_pages(self) -> int:
        pages = self.data.get("pages")
        return len(pages) if isinstance(pages, dict) else 0


def _text(item: dict[str, Any]) -> str:
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        text = item.get("orig") if isinstance(item.get("orig"), str) else ""
    return " ".join(text.split())


def _page(item: dict[str, Any]) -> int | None:
    prov = item.get("prov")
    if isinstance(prov, list) and prov and isinstance(prov[0], dict):
        page = prov[0].get("page_no")
        return page if isinstance(page, int) else None
    return None


def _table_rows(table: dict[str, Any]) -> list[str]:
    """A table as ``cell | cell`` lines, from its grid (a spanning cell written once)."""
    data = table.get("data")
    grid = data.get("grid") if isinstance(data, dict) else None
    rows = []
    for row in grid if isinstance(grid, list) else []:
        cells, last = [], None
        for cell in row if isinstance(row, list) else []:
            text = " ".join(str(cell.get("text", "")).split()) if isinstance(cell, dict) else ""
            span = (cell.get("start_row_offset_idx"), cell.get("start_col_offset_idx")) if isinstance(cell, dict) else None
            if span is not None and span == last:
                continue
            last = span
            cells.append(text)
        if any(cells):
            rows.append(" | ".join(cells))
    return rows


def load_docling(path: Path) -> _Doc:
    """Read and check a DoclingDocument JSON file.

    Raises:
        PDFError: not JSON, or not a DoclingDocument.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PDFError("not-docling", f"{path} is not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("schema_name") != "DoclingDocument" or not isinstance(data.get("body"), dict):
        raise PDFError("not-docling", f"{path} is not a DoclingDocument (no schema_name DoclingDocument with a body)")
    return _Doc(data, path)


def parse_with_docling(path: Path) -> PaperParts:
    """One DoclingDocument JSON -> :class:`PaperParts` (see the module docstring for the rules).

    Raises:
        PDFError: the file is not a DoclingDocument, or holds no body text.
    """
    doc = load_docling(path)
    reader = _DoclingReader(doc)
    for item in doc.walk(doc.data["body"], set()):
        label = item.get("label")
        if item.get("content_layer", "body") != "body" or label in _SKIPPED_LABELS:
            continue
        if label in ("picture", "chart", "table"):
            reader.add_float(item, label)
            continue
        text = _text(item)
        if not text:
            continue
        if label == "caption":
            reader.add_caption(item)
        elif label in _HEADER_LABELS:
            reader.add_header(item, label, text)
        elif reader.phase == "abstract":
            reader.abstract.append(text)
        elif reader.phase == "body":
            reader.body.append(f"- {text}" if label == "list_item" else text)
    reader.close_section()
    if not reader.sections and not reader.abstract:
        raise PDFError("no-text", f"{path} has no body text (no section and no abstract)")
    return PaperParts(
        title=reader.title,
        abstract=" ".join(reader.abstract or []),
        sections=reader.sections,
        captions=reader.captions,
        n_pages=doc.n_pages,
    )


class _DoclingReader:
    """What :func:`parse_with_docling` has read so far, and where in the paper it is."""

    def __init__(self, doc: _Doc) -> None:
        self.doc = doc
        self.title = ""
        self.abstract: list[str] = []
        self.sections: list[Section] = []
        self.heading: str | None = None
        self.body: list[str] = []
        self.captions: list[str] = []
        self.caption_ids: set[int] = set()
        self.phase = "front"  # front (title, authors, affiliations) -> abstract -> body [-> checklist -> body]

    def close_section(self) -> None:
        if self.heading is not None and self.body:
            self.sections.append(Section(heading=self.heading, text="\n".join(self.body)))

    def open_section(self, phase: str, heading: str | None) -> None:
        self.close_section()
        self.phase, self.heading, self.body = phase, heading, []

    def add_caption(self, item: dict[str, Any] | None) -> None:
        """A caption, once however many items point at it."""
        if item is not None and id(item) not in self.caption_ids and _text(item):
            self.caption_ids.add(id(item))
            self.captions.append(_text(item))

    def add_float(self, item: dict[str, Any], label: str) -> None:
        """A picture, chart or table: its captions, and a table's rows when in the body."""
        for ref in item.get("captions") or []:
            self.add_caption(self.doc.resolve(ref))
        if label == "table" and self.phase == "body":
            self.body.extend(_table_rows(item))

    def add_header(self, item: dict[str, Any], label: str, text: str) -> None:
        """A title or heading: the title, the abstract's heading, or a section's start."""
        name = normalize_heading(text)
        if name == "abstract" and self.phase == "front":
            self.phase = "abstract"
            return
        if self.phase == "front" and not _SECTION_START.match(text):
            if not self.title and (label == "title" or (_page(item) or 1) == 1):
                self.title = text
            return  # author names and affiliations set as headers
        if _CHECKLIST.match(name) or _CHECKLIST_FIRST.match(text):
            self.open_section("checklist", None)
            return
        if self.phase == "checklist" and not _APPENDIX_START.match(text):
            return  # the checklist's own questions and answers, set as headers
        self.open_section("body", text)
