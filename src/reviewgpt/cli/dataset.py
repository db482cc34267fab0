"""``reviewgpt build-dataset``: parse + aggregate output -> train/val/test instruction examples."""

from __future__ import annotations

import typer

from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, renamed_option, stage_options
from reviewgpt.dataset.config import DatasetConfig


def register(app: typer.Typer) -> None:
    app.command("build-dataset")(build_dataset)


@stage_options()
def build_dataset(
    tokenizer: str | None = typer.Option(None, "--tokenizer", help="Target model's tokenizer: hub id or local path (needs a chat template)."),
    review_schema: choices(DatasetConfig, "review_schema") | None = typer.Option(None, "--review-schema", help="Review schema [default: 4-aspect]."),
    schema: choices(DatasetConfig, "review_schema") | None = typer.Option(None, "--schema", hidden=True, help="Deprecated: --review-schema."),
    max_input_tokens: int | None = typer.Option(None, "--max-input-tokens", help="Most prompt tokens [default: 11138]."),
    max_output_tokens: int | None = typer.Option(None, "--max-output-tokens", help="Most review tokens, EOS included [default: 1150]."),
    max_total_tokens: int | None = typer.Option(None, "--max-total-tokens", help="Most prompt + review tokens [default: 12288]."),
    min_output_tokens: int | None = typer.Option(None, "--min-output-tokens", help="Drop reviews shorter than this [default: 64]."),
    split: str | None = typer.Option(None, "--split", help="Train,val,test fractions by paper [default: 0.96,0.02,0.02]."),
    seed: int | None = typer.Option(None, "--seed", help="Seed of the split assignment [default: 42]."),
    export: str | None = typer.Option(None, "--export", help="Also write: alpaca,llamafactory,xtuner,sharegpt (comma-separated)."),
    parse_input: str | None = typer.Option(None, "--parse-input", help="Parse version to read [default: its LATEST]."),
    crawl_input: str | None = typer.Option(None, "--crawl-input", help="Crawl version for venues and dates [default: the one parse read]."),
    workers: int | None = typer.Option(None, "--workers", min=1, help="Tokenizer processes [default: CPU cores]."),
    options: StageOptions = SHARED,
) -> None:
    """Join parsed papers and aggregated reviews into train/val/test examples counted with the model's chat template.

    --input names the aggregate version. Example:
    reviewgpt build-dataset --tokenizer meta-llama/Meta-Llama-3-8B-Instruct --export alpaca,llamafactory
    """
    from reviewgpt.dataset import run

    cfg = options.build(
        DatasetConfig, tokenizer=tokenizer, review_schema=renamed_option(review_schema, schema, "--schema", "--review-schema"), max_input_tokens=max_input_tokens, max_output_tokens=max_output_tokens,
        max_total_tokens=max_total_tokens, min_output_tokens=min_output_tokens, split=split, seed=seed,
        export=export, parse_input=parse_input, crawl_input=crawl_input, workers=workers,
    )
    report = execute(run, cfg)
    splits = report.extra.get("splits", {})
    typer.echo(f"splits: train={splits.get('train', 0)} val={splits.get('val', 0)} test={splits.get('test', 0)}; "
               f"truncated={report.extra.get('truncated', 0)}; dropped={report.extra.get('dropped_by_reason', {})}")
