"""``reviewgpt evaluate``: hit rates of generated reviews against the human ones, and a report.

A command group: ``reviewgpt evaluate --predictions ... --references ...`` runs the evaluation;
the judge tools (``calibrate``, ``agreement``) register their subcommands when installed.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

import typer

from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, stage_options
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.evaluate.constants import HIT_THRESHOLD, SIMILARITY_SCALE_TEXT

evaluate_app = typer.Typer(
    help="Hit rates of generated reviews against the human reviews (Liang et al. 2023), with a report.",
    add_completion=False,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.add_typer(evaluate_app, name="evaluate")


@evaluate_app.callback(invoke_without_command=True)
@stage_options(with_input=False)
def evaluate(
    ctx: typer.Context,
    predictions: str | None = typer.Option(
        None, "--predictions",
        help="Infer version(s) to evaluate, comma-separated, or a predictions .jsonl file ('-': stdin) "
        "[default: infer's LATEST].",
    ),
    references: str | None = typer.Option(
        None, "--references",
        help="Dataset version whose test split holds the human references, or such a split's .jsonl file "
        "('-': stdin) [default: LATEST].",
    ),
    judge: choices(EvaluateConfig, "judge") | None = typer.Option(
        None, "--judge", help="The judge of point pairs [default: openai when the API key is set, else embedding]."
    ),
    judge_model: str | None = typer.Option(None, "--judge-model", help="Model of the LLM judge [default: gpt-4o-mini]."),
    threshold: float | None = typer.Option(None, "--threshold", help=f"Similarity ({SIMILARITY_SCALE_TEXT}) from which a pair is a hit [default: {HIT_THRESHOLD:g}]."),
    aspects: str | None = typer.Option(
        None, "--aspects", help="all, or aspects to compare, comma-separated; 'rejection' = criticisms only [default: all]."
    ),
    humans: str | None = typer.Option(
        None, "--humans", help="Crawl version ('latest' for LATEST) with the raw human reviews: adds the human-human ceiling."
    ),
    reference: choices(EvaluateConfig, "reference") | None = typer.Option(
        None, "--reference", help="aggregated (the dataset's merged review) | each-human (each human review of the "
        "paper, hit rate averaged over them, as Liang et al. and the ceiling) [default: aggregated]."
    ),
    extractor: choices(EvaluateConfig, "extractor") | None = typer.Option(
        None, "--extractor", help="How human reviews' criticisms are read: structured (offline, from their weaknesses "
        "and questions fields) | openai (an LLM) [default: openai when an LLM is reachable, else structured]."
    ),
    embedding_calibration: Path | None = typer.Option(
        None, "--embedding-calibration", help="Calibration file of the embedding judge (from `evaluate calibrate`)."
    ),
    options: StageOptions = SHARED,
) -> None:
    """Judge each generated review against the paper's human review; write matches, summary and report.

    \b
    Examples:
      reviewgpt evaluate --predictions llama3-v1,gpt35 --references v1 --judge openai --aspects rejection
      reviewgpt evaluate --predictions my_predictions.jsonl --references data/dataset/v1/test.jsonl --judge embedding
      reviewgpt evaluate --reference each-human --humans latest   (offline: structured extractor, embedding judge)
    """
    if ctx.invoked_subcommand is not None:
        return
    from reviewgpt.evaluate import run

    cfg = options.build(
        EvaluateConfig, predictions=predictions, references=references, judge=judge, threshold=threshold, aspects=aspects,
        humans=humans, reference=reference, extractor=extractor, embedding_calibration=embedding_calibration,
        llm={"model": judge_model} if judge_model else None,
    )
    report = execute(run, cfg)
    typer.echo(f"report: {report.path / 'report.md'}")


# The judge tools (calibrate, agreement) live in their own module, registered when present.
if importlib.util.find_spec("reviewgpt.cli.evaluate_judge") is not None:
    importlib.import_module("reviewgpt.cli.evaluate_judge").register(evaluate_app)
