"""The ``parse`` stage: paper PDFs -> ``[TITLE]/[ABSTRACT]/[CAPTIONS]/[CONTENT]`` records.

Reads the crawl records (``pdf_path`` and the OpenReview title/abstract used as fallback) and
writes ``data/parse/<version>/papers.jsonl``. Backends: ``pymupdf`` (default, CPU, no server),
``grobid`` (a GROBID server), ``nougat`` (OCR model on a GPU) and ``docling`` (no PDF: the
Docling JSON an import links as ``docling_path``). PDFs are parsed in a pool of
worker processes, each PDF under a time limit; a bad PDF is one line in ``errors.jsonl``.

Public API: :func:`run` (the stage) and :func:`parse_pdf` (one file, no store).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from reviewgpt.artifacts import CRAWL
from reviewgpt.logging import get_logger
from reviewgpt.parse._document import PDFError, build_record, render_text

if TYPE_CHECKING:
    from reviewgpt.parse.config import ParseConfig
    from reviewgpt.records import CrawledPaper, ParsedPaper
    from reviewgpt.stage import Outcome
    from reviewgpt.store import StageReport

__all__ = ["PDFError", "parse_pdf", "render_text", "run"]

log = get_logger(__name__)


def parse_pdf(
    path: str | Path,
    parser: str = "pymupdf",
    title_fallback: str | None = None,
    abstract_fallback: str | None = None,
    *,
    grobid_url: str = "http://localhost:8070",
    nougat_model: str = "0.1.0-small",
) -> ParsedPaper:
    """Parse one PDF in this process (no time limit, no store); ``forum`` is the file's stem.

    Args:
        path: the PDF.
        parser: ``pymupdf``, ``grobid``, ``nougat`` or ``docling`` (then ``path`` is a DoclingDocument JSON).
        title_fallback: used when the PDF has no title, or a junk one.
        abstract_fallback: used when the PDF has no abstract.
        grobid_url: GROBID server (grobid parser).
        nougat_model: Nougat model tag (nougat parser).

    Raises:
        PDFError: the file is missing, not a PDF, encrypted, damaged or without text.
    """
    from reviewgpt.parse._backends import ParseTask, parse_parts

    path = Path(path)
    forum = path.name.split(".")[0] if parser == "docling" else path.stem  # <forum>.docling.json / .pdf.json
    task = ParseTask(
        forum=forum, path=str(path), parser=parser, grobid_url=grobid_url, nougat_model=nougat_model
    )
    parts = parse_parts(task)
    return build_record(
        parts, forum=forum, parser=parser, title_fallback=title_fallback, abstract_fallback=abstract_fallback
    )


def resolve_pdf_path(pdf_path: str, data_dir: Path) -> Path | None:
    """Find a crawl record's PDF against ``data_dir``, never the working directory.

    An absolute path as it is; a relative one under ``data_dir``: as written, or its tail (the
    crawl writes ``<its --data-dir>/pdfs/<forum>.pdf`` relative to where it ran, so
    ``data/pdfs/x.pdf`` is found as ``<data_dir>/pdfs/x.pdf`` from any directory).
    """
    path = Path(pdf_path)
    if path.is_absolute():
        return path if path.is_file() else None
    root = Path(data_dir).resolve()
    candidates = [root / Path(*path.parts[i:]) for i in range(len(path.parts))]
    return next((c for c in candidates if c.is_file()), None)


def _check_backend(cfg: ParseConfig) -> None:
    """Fail before any work when the chosen backend cannot run at all."""
    if cfg.parser == "grobid":
        from reviewgpt.parse._grobid import check_server

        check_server(cfg.grobid_url)
    elif cfg.parser == "nougat":
        from reviewgpt.parse._nougat import check_installed

        check_installed()


def _task_for(paper: CrawledPaper, path: Path, cfg: ParseConfig):
    from reviewgpt.parse._backends import ParseTask

    return ParseTask(
        forum=paper.forum,
        path=str(path),
        parser=cfg.parser,
        grobid_url=cfg.grobid_url,
        nougat_model=cfg.nougat_model,
        title_fallback=paper.title or None,
        abstract_fallback=paper.abstract or None,
    )


def _plan(papers: list[CrawledPaper], done: set[str], cfg: ParseConfig) -> tuple[list, list[Outcome]]:
    """The parse tasks still to do (at most ``cfg.limit``), and the papers that cannot be parsed at all."""
    from reviewgpt.stage import Failed, Skipped

    tasks, unparsable = [], []
    for paper in papers:
        if paper.forum in done:
            continue
        if cfg.limit is not None and len(tasks) >= cfg.limit:
            break
        source = paper.docling_path if cfg.parser == "docling" else paper.pdf_path
        if not source:
            unparsable.append(Skipped(paper.forum, "no-docling-text" if cfg.parser == "docling" else "no-pdf"))
            continue
        path = resolve_pdf_path(source, cfg.data_dir)
        if path is None:
            reason = "missing-docling-text" if cfg.parser == "docling" else "missing-pdf"
            unparsable.append(Failed(paper.forum, reason, f"{source} not found under {Path(cfg.data_dir).resolve()}"))
            continue
        tasks.append(_task_for(paper, path, cfg))
    return tasks, unparsable


def run(cfg: ParseConfig) -> StageReport:
    """Parse the PDFs of a crawl version into ``data/parse/<version>/papers.jsonl``.

    Papers already in the output version are skipped (resume); papers without a PDF are
    counted as skipped; each PDF that fails is one ``errors.jsonl`` line and the run goes on.

    Raises:
        StoreError: no crawl version to read.
        ReviewGPTError: the backend cannot run (no GROBID server, nougat not installed).
    """
    from reviewgpt.config import dump_config
    from reviewgpt.parse._backends import run_task
    from reviewgpt.parse._pool import TaskFailure, run_with_deadlines
    from reviewgpt.records import CrawledPaper, ParsedPaper
    from reviewgpt.stage import Failed, Written, run_items
    from reviewgpt.store import StageRun, read_records, resolve_input

    crawl = resolve_input(cfg.data_dir, "crawl", cfg.input)
    papers = list(read_records(crawl.file(CRAWL.records), CrawledPaper))
    _check_backend(cfg)
    with StageRun(cfg.data_dir, "parse", cfg.version, params=dump_config(cfg), inputs=[crawl],
                  max_failures=cfg.failure_limit) as stage:
        done = stage.done_ids()
        tasks, unparsable = _plan(papers, done, cfg)
        run_items(stage, unparsable)
        workers = min(cfg.resolved_workers(), max(1, len(tasks)))
        log.info("parsing %d PDFs with %s on %d workers (%d already done)", len(tasks), cfg.parser, workers, len(done))
        started, pages = time.monotonic(), 0

        def outcome(finished) -> Outcome:
            nonlocal pages
            task, result = finished
            if isinstance(result, TaskFailure):
                return Failed(task.forum, result.reason, f"{task.path}: {result.detail}")
            status, payload, detail = result
            if status != "ok":
                return Failed(task.forum, payload, detail)
            record = ParsedPaper.model_validate(payload)
            pages += record.n_pages
            return Written(record)

        results = run_with_deadlines(run_task, tasks, workers=workers, time_limit=cfg.timeout) if tasks else iter(())
        run_items(stage, results, outcome, total=len(tasks), description=f"parse ({cfg.parser})")
        seconds = time.monotonic() - started
        stage.extra.update(
            parser=cfg.parser,
            workers=workers,
            pages=pages,
            parse_seconds=round(seconds, 2),
            papers_per_second=round(len(tasks) / seconds, 2) if tasks and seconds > 0 else None,
        )
    return stage.report()
