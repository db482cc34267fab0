"""``reviewgpt evaluate calibrate`` and ``reviewgpt evaluate agreement``: measure and fit the offline judge."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import DataDir, choice_of, plain
from reviewgpt.evaluate.calibration import DEFAULT_OBJECTIVE, THRESHOLD_OBJECTIVES
from reviewgpt.evaluate.constants import HIT_THRESHOLD, SIMILARITY_SCALE_TEXT

Objective = choice_of("Objective", THRESHOLD_OBJECTIVES)
OfflineJudge = choice_of("OfflineJudge", ("embedding",))

Gold = typer.Option(
    ..., "--gold", "--matches",
    help="LLM-judged pairs: a MARG alignment .jsonl, a matches.jsonl, or an evaluate version (name or folder).",
)
HitThreshold = typer.Option(
    HIT_THRESHOLD, "--hit-threshold",
    help=f"Similarity ({SIMILARITY_SCALE_TEXT}) from which a judged pair is a hit, on both sides (a MARG file's pairs are all hits).",
)


def register(evaluate_app: typer.Typer) -> None:
    evaluate_app.command("calibrate")(calibrate)
    evaluate_app.command("agreement")(agreement)


def calibrate(
    gold: str = Gold,
    out: Path = typer.Option(
        Path("calibration.json"), "--out", "-o", allow_dash=True,
        help="Where to save the fitted calibration ('-': standard output; the figures then go to stderr).",
    ),
    features: str | None = typer.Option(
        None, "--features", help="Comma-separated features, or 'plain' for the cosine-only judge [default: all]."
    ),
    folds: int = typer.Option(5, "--folds", min=2, help="Cross-validation folds; each holds out whole papers."),
    l2: float = typer.Option(30.0, "--l2", min=0.0, help="L2 penalty of the logistic model."),
    threshold: float | None = typer.Option(
        None, "--threshold", min=0.0, max=1.0, help="Fix the match probability threshold [default: best --objective]."
    ),
    objective: Objective = typer.Option(
        DEFAULT_OBJECTIVE, "--objective", help="What the threshold is chosen for: winner, balanced (winner+kappa+Spearman) or kappa."
    ),
    hit_threshold: float = HitThreshold,
    data_dir: DataDir = None,
) -> None:
    """Fit the embedding judge on LLM-judged pairs; print its paper-held-out agreement; save it.

    Example: reviewgpt evaluate calibrate --gold data/evaluate/gpt4o --out judge.json
    then: reviewgpt evaluate --judge embedding --embedding-calibration judge.json
    """
    import json

    from reviewgpt.evaluate.agreement import load_units
    from reviewgpt.evaluate.calibration import calibrate_units, parse_features
    from reviewgpt.logging import setup_logging

    setup_logging()
    units = load_units(_judged_path(gold, data_dir), threshold=hit_threshold)
    cal, cv = calibrate_units(
        units, parse_features(features), l2=l2, folds=folds, threshold=threshold, source=gold, objective=plain(objective)
    )
    to_stdout = str(out) == "-"
    typer.echo(f"cross-validated by paper ({cv.folds} folds, {cv.agreement.units} comparisons): {cv.agreement.headline()}",
               err=to_stdout)
    if to_stdout:
        typer.echo(json.dumps(cal.model_dump(mode="json"), indent=2))
        return
    cal.save(out)
    typer.echo(f"saved {out} (threshold {cal.threshold:.3f}); use it with --embedding-calibration {out}")


def agreement(
    gold: str = Gold,
    pred: str | None = typer.Option(
        None, "--pred", help="The judge to measure: an evaluate version (name or folder) or a matches.jsonl."
    ),
    judge: OfflineJudge | None = typer.Option(
        None, "--judge", help="Instead of --pred: run this judge on the gold comparisons."
    ),
    calibration: Path | None = typer.Option(None, "--calibration", help="Calibration of --judge embedding [default: shipped]."),
    hit_threshold: float = HitThreshold,
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
    data_dir: DataDir = None,
) -> None:
    """Print how often a judge agrees with the gold judge: winner agreement, kappa, F1, generator Spearman.

    Example: reviewgpt evaluate agreement --gold data/evaluate/gpt4o --pred data/evaluate/embedding-v1
    """
    import json

    from reviewgpt.errors import ConfigError
    from reviewgpt.evaluate.agreement import agreement as measure
    from reviewgpt.evaluate.agreement import load_units
    from reviewgpt.evaluate.calibration import judge_units
    from reviewgpt.logging import setup_logging

    setup_logging()
    if (pred is None) == (judge is None):
        raise ConfigError("give exactly one of --pred (judged matches) or --judge embedding")
    gold_units = load_units(_judged_path(gold, data_dir), threshold=hit_threshold)
    if pred is not None:
        pred_units = load_units(_judged_path(pred, data_dir), threshold=hit_threshold)
    else:
        pred_units = judge_units(gold_units, calibration, hit_threshold=hit_threshold)
    result = measure(gold_units, pred_units)
    typer.echo(json.dumps(result.to_dict(), indent=2) if as_json else result.headline())


def _judged_path(name: str, data_dir: Path | None) -> Path:
    """A path as given when it exists, else the evaluate version of that name."""
    from reviewgpt.store import resolve_input

    path = Path(name)
    if path.exists():
        return path
    return resolve_input(data_dir or Path("data"), "evaluate", name).path
