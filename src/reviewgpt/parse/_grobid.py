"""The ``grobid`` backend: a GROBID server turns the PDF into TEI XML, read with scipdf-parser.

Start a server with Docker (see docs/parse.md)::

    docker run --rm -p 8070:8070 lfoppiano/grobid:0.8.1
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

from reviewgpt.errors import ReviewGPTError, require
from reviewgpt.parse._document import PaperParts, PDFError
from reviewgpt.records import Section

_EXTRA = "grobid"


def _soup(xml: str):
    bs4 = require("bs4", _EXTRA, "the grobid parser")
    require("lxml", _EXTRA, "the grobid parser")
    with warnings.catch_warnings():
        # scipdf-parser reads TEI with the lxml HTML parser (it lower-cases tags, e.g. figDesc -> figdesc).
        warnings.simplefilter("ignore", getattr(bs4, "XMLParsedAsHTMLWarning", Warning))
        return bs4.BeautifulSoup(xml, "lxml")


def _captions(article) -> list[str]:
    captions = []
    for figure in article.find_all("figure"):
        kind = "Table" if figure.attrs.get("type") == "table" else "Figure"
        label_tag, desc_tag, note_tag = figure.find("label"), figure.find("figdesc"), figure.find("note")
        label = label_tag.get_text(" ", strip=True) if label_tag else ""
        desc = desc_tag.get_text(" ", strip=True) if desc_tag else ""
        if not desc and note_tag is not None:
            desc = note_tag.get_text(" ", strip=True)
        if desc:
            captions.append(f"{kind} {label}: {desc}" if label else desc)
    return captions


def _section_numbers(xml: str) -> list[tuple[str, str]]:
    """``(heading text, number)`` of each body division's head, in document order."""
    import xml.etree.ElementTree as ET

    tei = "{http://www.tei-c.org/ns/1.0}"
    try:
        root = ET.fromstring(xml.encode("utf-8"))
    except ET.ParseError:
        return []
    return [
        (" ".join("".join(head.itertext()).split()), head.get("n", ""))
        for div in root.iter(f"{tei}div")
        for head in div.findall(f"{tei}head")
    ]


def tei_to_parts(xml: str) -> PaperParts:
    """Convert GROBID TEI XML to :class:`PaperParts` (title, abstract, numbered sections, captions)."""
    parse_pdf = require("scipdf.pdf.parse_pdf", _EXTRA, "the grobid parser")
    article = _soup(xml)
    data = parse_pdf.convert_article_soup_to_dict(article)
    if not data:
        raise PDFError("grobid-failed", "GROBID returned an empty document")
    # scipdf's HTML parser loses <head n="2.1">: read the numbers with an XML parser, in order.
    numbers = _section_numbers(xml)
    sections = []
    for section in data.get("sections", []):
        heading = " ".join(str(section.get("heading", "")).split())
        while numbers and heading and numbers[0][0] != heading:
            numbers.pop(0)  # a head scipdf skipped (an empty division)
        number = numbers.pop(0)[1] if numbers and heading else ""
        if number and not heading.startswith(number):
            heading = f"{number} {heading}"
        text = re.sub(r"[ \t]+", " ", str(section.get("text", ""))).strip()
        if heading or text:
            sections.append(Section(heading=heading, text=text))
    abstract = " ".join(str(data.get("abstract", "")).split())
    abstract_tag = article.find("abstract")
    if not abstract and abstract_tag is not None:
        # scipdf 0.52 keeps only tagged pieces of <abstract><p>, so plain-text abstracts come out empty.
        abstract = abstract_tag.get_text(" ", strip=True)
    return PaperParts(
        title=str(data.get("title", "")).strip(),
        abstract=" ".join(abstract.split()),
        sections=sections,
        captions=_captions(article),
    )


def check_server(grobid_url: str) -> None:
    """Fail before the run starts when the GROBID server does not answer.

    Raises:
        ReviewGPTError: no server at ``grobid_url``, with the command that starts one.
    """
    requests = require("requests", _EXTRA, "the grobid parser")
    try:
        response = requests.get(f"{grobid_url.rstrip('/')}/api/isalive", timeout=5)
        response.raise_for_status()
    except Exception as exc:  # connection refused, DNS, HTTP error
        raise ReviewGPTError(
            f"no GROBID server at {grobid_url} ({type(exc).__name__}); start one with "
            "'docker run --rm -p 8070:8070 lfoppiano/grobid:0.8.1' or pass --grobid-url"
        ) from None


def parse_with_grobid(path: Path, grobid_url: str) -> PaperParts:
    """Send one PDF to GROBID and convert its TEI answer.

    Raises:
        PDFError: GROBID could not process the file or answered something other than TEI.
    """
    parse_pdf = require("scipdf.pdf.parse_pdf", _EXTRA, "the grobid parser")
    try:
        xml = parse_pdf.parse_pdf(str(path), fulltext=True, soup=False, grobid_url=grobid_url.rstrip("/"))
    except Exception as exc:
        raise PDFError("grobid-failed", f"{type(exc).__name__}: {exc}") from None
    if not xml or "<TEI" not in xml:
        raise PDFError("grobid-failed", f"GROBID answered: {(xml or 'nothing')[:200]}")
    return tei_to_parts(xml)
