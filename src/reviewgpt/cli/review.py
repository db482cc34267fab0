"""``reviewgpt review paper.pdf``: parse one PDF and print its review."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import (
    ConfigFile,
    DataDir,
    Sets,
    Verbose,
    build_config,
    choices,
    plain,
    stdin_to_file,
)
from reviewgpt.infer.config import InferConfig
from reviewgpt.parse.config import ParseConfig


def register(app: typer.Typer) -> None:
    app.command("review")(review)


def review(
    pdf: Path = typer.Argument(..., dir_okay=False, allow_dash=True, help="The paper's PDF ('-': standard input)."),
    run: str | None = typer.Option(None, "--run", help="Train run to serve (data/train/<run>)."),
    model: str | None = typer.Option(
        None, "--model", help="Hub id or path (hf), or the served model name (openai) [default: smollm2-135m-instruct]."
    ),
    adapter: str | None = typer.Option(
        None, "--adapter",
        help="PEFT adapter folder to apply to the model (hf), or 'none' [default: the adapter packaged for the "
        "default model, if one ships].",
    ),
    backend: choices(InferConfig, "backend") | None = typer.Option(None, "--backend", help="hf (local) or openai (any compatible server)."),
    base_url: str | None = typer.Option(None, "--base-url", help="openai backend: server URL."),
    samples: int | None = typer.Option(None, "--samples", min=1, help="How many reviews to write [default: 1]."),
    parser: choices(ParseConfig, "parser") = typer.Option("pymupdf", "--parser", help="PDF parser."),
    penalize_empty: float | None = typer.Option(None, "--penalize-empty", help="Lower empty-aspect refusals (hf)."),
    data_dir: DataDir = None,
    config: ConfigFile = None,
    verbose: Verbose = None,
    sets: Sets = None,
) -> None:
    """Print a review of PDF (stdout; logs go to stderr); nothing is written under data/.

    \b
    Examples:
      reviewgpt review paper.pdf --run llama3-8b-longqlora > review.md
      curl -sL https://arxiv.org/pdf/1706.03762 | reviewgpt review - --run llama3-8b-longqlora
    """
    from reviewgpt.infer import review_paper
    from reviewgpt.logging import setup_logging
    from reviewgpt.models import DEFAULT_MODEL
    from reviewgpt.parse import parse_pdf

    pdf_file = stdin_to_file(pdf, "'PDF'")
    sets = list(sets or []) + ([f"llm.base_url={base_url}"] if base_url else [])
    adapter_path, config = _adapter_and_config(adapter, run, backend, model, config)
    cfg = build_config(
        InferConfig, config, sets, data_dir=data_dir, verbose=verbose, run=run, model=model, adapter=adapter_path,
        backend=backend, samples=samples, penalize_empty=penalize_empty,
    )
    if cfg.backend == "hf" and not cfg.run and cfg.adapter is None and cfg.model == DEFAULT_MODEL:
        typer.echo(
            f"note: no fine-tuned adapter applied; {DEFAULT_MODEL} (the embedded base model) writes this review "
            "and often misses the aspect format: pass --run or --adapter for a fine-tuned one",
            err=True,
        )
    if "samples" not in cfg.model_fields_set:  # one review unless asked: infer's default of 5 is for datasets
        cfg = cfg.model_copy(update={"samples": 1})
    setup_logging(bool(cfg.verbose))
    paper = parse_pdf(pdf_file, parser=plain(parser))
    for prediction in review_paper(cfg, paper.forum, paper.text):
        if cfg.samples > 1:
            typer.echo(f"=== sample {prediction.sample} ===")
        typer.echo(prediction.text)
        if prediction.unparsable:
            typer.echo("(warning: no aspect header could be parsed from this output)", err=True)


def _adapter_and_config(
    adapter: str | None, run: str | None, backend: str | None, model: str | None, config: Path | None
) -> tuple[Path | None, Path | None]:
    """The adapter to apply and the config file to read.

    ``--adapter none`` applies none. With no run, model or adapter named, the adapter packaged for the
    embedded model applies. A config is then the settings file beside it, the settings it was measured
    with (its prompt length above all), unless ``--config`` names one; ``--set`` and flags still override.
    """
    from reviewgpt.models import DEFAULT_MODEL, PACKAGED_SETTINGS_FILE, packaged_adapter

    if adapter is not None:
        return (None if adapter.lower() == "none" else Path(adapter)), config
    if run or backend not in (None, "hf") or model not in (None, DEFAULT_MODEL):
        return None, config
    packaged = packaged_adapter(DEFAULT_MODEL)
    settings = packaged / PACKAGED_SETTINGS_FILE if packaged is not None else None
    if config is None and settings is not None and settings.is_file():
        config = settings
    return packaged, config
