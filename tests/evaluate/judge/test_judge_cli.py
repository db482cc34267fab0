"""``reviewgpt evaluate calibrate`` and ``reviewgpt evaluate agreement`` through the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from typer.testing import CliRunner

from reviewgpt.cli.evaluate_judge import register
from reviewgpt.evaluate.calibration import load_calibration


def judge_app() -> typer.Typer:
    app = typer.Typer()

    @app.callback()
    def _group() -> None:
        """evaluate"""

    register(app)
    return app


def test_calibrate_then_agreement(marg_slice: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "cal.json"
    result = runner.invoke(judge_app(), ["calibrate", "--gold", str(marg_slice), "--out", str(out), "--folds", "2"])
    assert result.exit_code == 0, result.output
    assert "cross-validated by paper" in result.output and "kappa" in result.output
    cal = load_calibration(out)
    assert cal.cross_validation and cal.cross_validation["folds"] == 2

    result = runner.invoke(
        judge_app(),
        ["agreement", "--gold", str(marg_slice), "--judge", "embedding", "--calibration", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{"):])
    assert {"kappa", "f1", "winner_agreement", "spearman"} <= set(figures)

    # The gold judged against itself, read as --pred: perfect agreement.
    result = runner.invoke(judge_app(), ["agreement", "--gold", str(marg_slice), "--pred", str(marg_slice)])
    assert result.exit_code == 0, result.output
    assert "kappa 1.000" in result.output


def test_calibrate_to_stdout(marg_slice: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(judge_app(), ["calibrate", "--gold", str(marg_slice), "--out", "-", "--folds", "2"])
    assert result.exit_code == 0, result.output
    saved = json.loads(result.stdout)  # the calibration alone on stdout
    assert saved["cross_validation"]["folds"] == 2
    assert "cross-validated by paper" in result.stderr
    path = tmp_path / "from-stdout.json"
    path.write_text(result.stdout)
    assert load_calibration(path).threshold == saved["threshold"]


def test_agreement_needs_exactly_one_prediction_source(marg_slice: Path) -> None:
    result = CliRunner().invoke(judge_app(), ["agreement", "--gold", str(marg_slice)])
    assert result.exit_code != 0
    assert "exactly one" in str(result.exception)
