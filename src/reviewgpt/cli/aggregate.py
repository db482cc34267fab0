"""``reviewgpt aggregate-reviews``: the reviews of each paper merged into one 4- or 7-aspect review."""

from __future__ import annotations

import typer

from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, renamed_option, stage_options


def register(app: typer.Typer) -> None:
    app.command("aggregate-reviews")(aggregate_reviews)


@stage_options()
def aggregate_reviews(
    options: StageOptions = SHARED,
    review_schema: choices(AggregateConfig, "review_schema") | None = typer.Option(None, "--review-schema", help="Review schema [default: 4-aspect]."),
    schema: choices(AggregateConfig, "review_schema") | None = typer.Option(None, "--schema", hidden=True, help="Deprecated: --review-schema."),
    aggregator: choices(AggregateConfig, "aggregator") | None = typer.Option(
        None, "--aggregator", help="structured (offline, free) or openai (an LLM in JSON mode) [default: structured]."
    ),
    model: str | None = typer.Option(None, "--model", help="LLM for --aggregator openai [default: gpt-4o-mini]."),
    base_url: str | None = typer.Option(None, "--base-url", help="Any OpenAI-compatible server (vLLM, Ollama, Azure)."),
    concurrency: int | None = typer.Option(None, "--concurrency", min=1, help="LLM requests in flight [default: 8]."),
    rpm: int | None = typer.Option(None, "--rpm", min=1, help="Client-side limit of requests per minute."),
    tpm: int | None = typer.Option(None, "--tpm", min=1, help="Client-side limit of tokens per minute."),
    max_cost: float | None = typer.Option(None, "--max-cost", help="Stop cleanly when the estimated spend reaches this many USD."),
    min_words: int | None = typer.Option(None, "--min-words", min=0, help="Drop reviews shorter than this [default: 100]."),
    max_reviews: int | None = typer.Option(None, "--max-reviews", min=1, help="Use at most N official reviews per paper."),
    dry_run: bool | None = typer.Option(None, "--dry-run", help="Print the LLM calls, tokens and cost it would take; write nothing."),
) -> None:
    """Merge each paper's reviews into one structured review (data/aggregate/<version>/reviews.jsonl).

    \b
    Examples:
      reviewgpt aggregate-reviews                               # structured, offline
      reviewgpt aggregate-reviews --aggregator openai --rpm 500 --max-cost 5 --dry-run
      reviewgpt aggregate-reviews --aggregator openai --base-url http://localhost:8000/v1 --model llama3
    """
    from reviewgpt.aggregate import describe_dry_run, run

    llm = {"model": model, "base_url": base_url, "concurrency": concurrency, "rpm": rpm, "tpm": tpm, "max_cost_usd": max_cost}
    cfg = options.build(
        AggregateConfig, review_schema=renamed_option(review_schema, schema, "--schema", "--review-schema"), aggregator=aggregator, min_words=min_words,
        max_reviews=max_reviews, dry_run=dry_run, llm={k: v for k, v in llm.items() if v is not None} or None,
    )
    if cfg.dry_run:
        typer.echo(describe_dry_run(run(cfg)))
        return
    execute(run, cfg)
