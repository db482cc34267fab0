"""``reviewgpt demo``: the whole pipeline on the embedded sample venue (no GPU, network or API key)."""

from __future__ import annotations

import typer

from reviewgpt.cli.common import ConfigFile, DataDir, Sets, Verbose, Version, build_config


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)


def demo(
    data_dir: DataDir = None,
    version: Version = None,
    config: ConfigFile = None,
    sets: Sets = None,
    papers: int | None = typer.Option(None, "--papers", min=6, help="Sample papers to generate [default: 20]."),
    train_steps: int | None = typer.Option(None, "--train-steps", min=1, help="LoRA optimizer steps on the real model [default: 100]."),
    samples: int | None = typer.Option(None, "--samples", min=1, help="Reviews per test paper [default: 2]."),
    verbose: Verbose = None,
) -> None:
    """Run crawl -> parse -> aggregate-reviews -> build-dataset -> train -> infer -> evaluate on a sample venue.

    A venue of sample papers (real PDFs, reviews in API v1 and v2 shapes) is served on loopback by an
    OpenReview-compatible server and crawled with the real client; the model is the embedded
    SmolLM2-135M-Instruct, fine-tuned with LoRA for a short CPU run, which then reviews 5 test papers.

    Example: reviewgpt demo --data-dir data
    """
    from reviewgpt.demo import DemoConfig, run
    from reviewgpt.logging import setup_logging

    cfg = build_config(
        DemoConfig, config, sets, data_dir=data_dir, version=version, papers=papers,
        train_steps=train_steps, samples=samples, verbose=verbose,
    )
    setup_logging(cfg.verbose)
    result = run(cfg)
    typer.echo(f"\nreviewgpt demo finished: version {result.version}")
    for name, report in result.reports.items():
        c = report.counts
        typer.echo(
            f"  {name:<10} {result.seconds[name]:>6.1f} s  ok={c.get('ok', 0)} skipped={c.get('skipped', 0)} "
            f"failed={c.get('failed', 0)}  {report.path}"
        )
    evaluation = result.reports.get("evaluate")
    if evaluation is not None:
        typer.echo(f"\nEvaluation report: {evaluation.path / 'report.md'}")
