"""``reviewgpt infer`` and ``reviewgpt review paper.pdf`` through the command line."""

from __future__ import annotations

from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.records import Prediction
from reviewgpt.store import read_records

runner = CliRunner()
RUN = "tiny-run"


def test_infer_command_writes_predictions(run_data):
    result = runner.invoke(app, [
        "infer", "--run", RUN, "--samples", "2", "--input", "v1:test", "--data-dir", str(run_data),
        "--version", "cli", "--penalize-empty", "5", "--set", "sampling.max_new_tokens=8",
    ])
    assert result.exit_code == 0, result.output
    assert "infer cli: ok=6" in result.output
    preds = list(read_records(run_data / "infer" / "cli" / "predictions.jsonl", Prediction))
    assert len(preds) == 6 and all(p.completion_tokens <= 8 for p in preds)


def test_review_command_parses_a_pdf_and_prints_reviews(run_data, fixtures_dir):
    pdf = fixtures_dir / "pdfs" / "N18-3011.pdf"
    result = runner.invoke(app, [
        "review", str(pdf), "--run", RUN, "--data-dir", str(run_data), "--samples", "2",
        "--set", "sampling.max_new_tokens=8",
    ])
    assert result.exit_code == 0, result.output
    assert "=== sample 0 ===" in result.output and "=== sample 1 ===" in result.output
    assert not (run_data / "infer").exists()  # review writes no stage folder


def test_a_missing_run_is_one_clear_error(data_dir):
    from reviewgpt.errors import StoreError

    result = runner.invoke(app, ["infer", "--run", "nope", "--data-dir", str(data_dir), "--input", "v1:test"])
    assert result.exit_code != 0
    assert isinstance(result.exception, StoreError)


def test_an_empty_split_is_one_clear_error_before_any_model_loads(run_data):
    from reviewgpt.records import InstructionExample
    from reviewgpt.store import StageRun

    with StageRun(run_data, "dataset", "small", records="train.jsonl", id_key="id") as run:
        run.append(InstructionExample(id="p0", instruction="i", input="x", output="y", input_tokens=1, output_tokens=1))
        run.file("test.jsonl").touch()  # a small dataset whose test split got no paper
    result = runner.invoke(app, ["infer", "--run", RUN, "--data-dir", str(run_data), "--input", "small:test"])
    assert result.exit_code != 0
    assert "has an empty test split" in str(result.exception)
    assert not (run_data / "infer").exists()


def test_review_writes_one_review_unless_the_config_asks_for_more(run_data, fixtures_dir, tmp_path):
    pdf = fixtures_dir / "pdfs" / "N18-3011.pdf"
    args = ["review", str(pdf), "--run", RUN, "--data-dir", str(run_data), "--set", "sampling.max_new_tokens=8"]
    one = runner.invoke(app, args)
    assert one.exit_code == 0, one.output
    assert "=== sample" not in one.output
    config = tmp_path / "review.yaml"
    config.write_text("samples: 2\n")
    two = runner.invoke(app, [*args, "--config", str(config)])
    assert two.exit_code == 0, two.output
    assert "=== sample 1 ===" in two.output
