"""``reviewgpt parse``: paper PDFs to [TITLE]/[ABSTRACT]/[CAPTIONS]/[CONTENT] records."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, stage_options, stdin_to_file
from reviewgpt.parse.config import ParseConfig


def register(app: typer.Typer) -> None:
    app.command("parse")(parse)


@stage_options()
def parse(
    options: StageOptions = SHARED,
    parser: choices(ParseConfig, "parser") | None = typer.Option(None, "--parser", help="pymupdf (default, CPU; AGPL, see docs/cli.md) | grobid | nougat (GPU) | docling (the Docling JSON an import links)."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Worker processes [default: all cores]."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds allowed per PDF [default: 120]."),
    grobid_url: str | None = typer.Option(None, "--grobid-url", help="GROBID server [default: http://localhost:8070]."),
    pdf: Path | None = typer.Option(None, "--pdf", dir_okay=False, allow_dash=True, help="Parse this one PDF ('-': standard input) and print its text (no store)."),
    as_json: bool = typer.Option(False, "--json", help="With --pdf: print the whole record as JSON."),
) -> None:
    """Parse the crawled PDFs into data/parse/<version>/papers.jsonl, or one --pdf to stdout.

    Examples: reviewgpt parse --workers 2  |  reviewgpt parse --pdf my_paper.pdf
    """
    from reviewgpt.parse import parse_pdf, run
    cfg = options.build(ParseConfig, parser=parser, workers=workers, timeout=timeout, grobid_url=grobid_url)
    if pdf is None:
        execute(run, cfg)
        return
    record = parse_pdf(stdin_to_file(pdf, "'--pdf'"), cfg.parser, grobid_url=cfg.grobid_url, nougat_model=cfg.nougat_model)
    typer.echo(record.model_dump_json(indent=2) if as_json else record.text)
