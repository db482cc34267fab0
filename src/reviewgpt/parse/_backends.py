"""One PDF through the chosen backend: the function the worker processes run."""

from __future__ import annotations

import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewgpt.parse._document import PaperParts, PDFError, build_record


@dataclass(frozen=True)
class ParseTask:
    """One PDF (for the docling parser: one DoclingDocument JSON) to parse, as sent to a worker process."""

    forum: str
    path: str
    parser: str = "pymupdf"
    grobid_url: str = "http://localhost:8070"
    nougat_model: str = "0.1.0-small"
    title_fallback: str | None = None
    abstract_fallback: str | None = None


def _page_count(path: Path) -> int:
    """The PDF's page count, or 0 where PyMuPDF (AGPL) is left out of an install: GROBID runs without it."""
    try:
        import pymupdf

        with pymupdf.open(path) as doc:
            return doc.page_count
    except Exception:  # the backend itself reports unreadable files
        return 0


def parse_parts(task: ParseTask) -> PaperParts:
    """Run the task's backend on its PDF.

    Raises:
        PDFError: the PDF is missing, unreadable or has no text.
    """
    path = Path(task.path)
    if not path.is_file():
        raise PDFError("missing-pdf", f"{path} does not exist")
    if path.stat().st_size == 0:
        raise PDFError("not-a-pdf", f"{path} is empty")
    if task.parser == "docling":  # a DoclingDocument JSON, not a PDF
        from reviewgpt.parse._docling import parse_with_docling

        return parse_with_docling(path)
    if task.parser == "pymupdf":
        from reviewgpt.parse._pymupdf import parse_with_pymupdf

        return parse_with_pymupdf(path)
    if task.parser == "grobid":
        from reviewgpt.parse._grobid import parse_with_grobid

        parts = parse_with_grobid(path, task.grobid_url)
    elif task.parser == "nougat":
        from reviewgpt.parse._nougat import parse_with_nougat

        parts = parse_with_nougat(path, task.nougat_model)
    else:
        raise ValueError(f"unknown parser {task.parser!r}")
    parts.n_pages = _page_count(path)
    return parts


def run_task(task: ParseTask) -> tuple[str, Any, str]:
    """Parse one PDF in a worker: ``("ok", record_dict, "")`` or ``("error", reason, detail)``.

    Every exception is caught here, so a bad PDF never takes its worker down.
    """
    try:
        parts = parse_parts(task)
        record = build_record(
            parts,
            forum=task.forum,
            parser=task.parser,
            title_fallback=task.title_fallback,
            abstract_fallback=task.abstract_fallback,
        )
        return "ok", record.model_dump(mode="json"), ""
    except PDFError as exc:
        return "error", exc.reason, exc.detail
    except Exception as exc:  # a parser bug on one paper must not stop the run
        detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        return "error", "parser-error", f"{detail} (at {traceback.extract_tb(exc.__traceback__)[-1].name})"
