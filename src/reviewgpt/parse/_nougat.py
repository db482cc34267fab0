"""The ``nougat`` backend: the Nougat OCR model (``pip install 'reviewgpt[nougat]'``, GPU).

Nougat reads page images, so it also handles scans without a text layer. Its Markdown
(LaTeX kept for math and tables) is split on headings into sections here.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from reviewgpt.errors import MissingExtraError
from reviewgpt.parse._document import PaperParts, PDFError, normalize_heading
from reviewgpt.records import Section

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BOLD_ABSTRACT = re.compile(r"^\*\*abstract\*\*[.:]?\s*", re.IGNORECASE)
_CAPTION = re.compile(r"^(figure|fig\.|table)\s*\d+\s*[.:|]", re.IGNORECASE)
_REFERENCES = frozenset({"references", "bibliography", "literature cited"})


def markdown_to_parts(markdown: str) -> PaperParts:
    """Split Nougat's Markdown into title, abstract, sections and captions.

    The first level-1 heading before any text is the title; an "Abstract" heading (or a bold
    **Abstract** paragraph) opens the abstract; the references are left out, an appendix after
    them kept. Math and tables stay as LaTeX.
    """
    title, abstract = "", ""
    sections: list[Section] = []
    captions: list[str] = []
    heading: str | None = None
    buffer: list[str] = []
    skipping = False

    def flush() -> None:
        nonlocal abstract
        text = "\n".join(p for p in "\n".join(buffer).split("\n") if p.strip()).strip()
        buffer.clear()
        if heading is not None and normalize_heading(heading) == "abstract":
            abstract = " ".join(text.split())
        elif not skipping and (text or heading):
            sections.append(Section(heading=heading or "", text=text))

    for line in markdown.splitlines():
        stripped = line.strip()
        match = _HEADING.match(stripped)
        if match:
            text = match.group(2).strip("* ")
            if not title and not sections and heading is None and not any(b.strip() for b in buffer) and len(match.group(1)) == 1:
                title = text
                continue
            flush()
            heading = text
            skipping = normalize_heading(text) in _REFERENCES
            continue
        if _BOLD_ABSTRACT.match(stripped) and not abstract:
            flush()
            heading = "Abstract"
            buffer.append(_BOLD_ABSTRACT.sub("", stripped))
            continue
        if _CAPTION.match(stripped):
            captions.append(stripped)
            continue
        buffer.append(line)
    flush()
    # Text between the title and the first heading is the author block, not content.
    if sections and not sections[0].heading:
        sections = sections[1:]
    return PaperParts(title=title, abstract=abstract, sections=sections, captions=captions)


def check_installed() -> str:
    """The path of the ``nougat`` command.

    Raises:
        MissingExtraError: nougat-ocr is not installed.
    """
    exe = shutil.which("nougat")
    if exe is None or importlib.util.find_spec("nougat") is None:
        raise MissingExtraError("nougat-ocr", "nougat", "the nougat parser (a GPU is also needed)")
    return exe


def parse_with_nougat(path: Path, model: str) -> PaperParts:
    """Run the nougat CLI on one PDF and split its Markdown.

    Raises:
        PDFError: nougat failed on the file or wrote no Markdown.
    """
    exe = check_installed()
    with tempfile.TemporaryDirectory(prefix="reviewgpt-nougat-") as out:
        proc = subprocess.run(
            [exe, str(path), "-o", out, "-m", model, "--no-skipping"],
            capture_output=True,
            text=True,
        )
        produced = Path(out) / f"{path.stem}.mmd"
        if proc.returncode != 0 or not produced.exists():
            tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-1:] or ["no output"]
            raise PDFError("nougat-failed", f"exit code {proc.returncode}: {tail[0][:300]}")
        markdown = produced.read_text(encoding="utf-8")
    if not markdown.strip():
        raise PDFError("no-text", f"{path}: nougat read no text")
    return markdown_to_parts(markdown)
