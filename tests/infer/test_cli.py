"""``reviewgpt infer`` and ``reviewgpt review paper.pdf`` through the command line."""

from __future__ import annotations

import pytest
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


def test_review_defaults_to_the_packaged_adapter_and_its_settings(fixtures_dir, tmp_path, monkeypatch):
    """No flags: the adapter shipped for the embedded model, with the infer.yaml it was measured with."""
    import reviewgpt.infer as infer
    from reviewgpt.models import DEFAULT_MODEL, packaged_adapter

    adapter = packaged_adapter(DEFAULT_MODEL)
    assert adapter is not None and (adapter / "adapter_model.safetensors").stat().st_size > 100_000
    seen = []

    def fake_review_paper(cfg, forum, text):
        seen.append(cfg)
        return [Prediction(forum=forum, sample=0, system=cfg.model, text="[Significance and novelty]\n<x> y")]

    monkeypatch.setattr(infer, "review_paper", fake_review_paper)
    pdf = fixtures_dir / "pdfs" / "N18-3011.pdf"
    result = runner.invoke(app, ["review", str(pdf), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    cfg = seen[0]
    assert cfg.adapter == adapter and cfg.model == DEFAULT_MODEL
    assert cfg.hf.max_prompt_tokens == 512 and cfg.sampling.no_repeat_ngram_size == 12
    # a flag still wins over the packaged settings; --adapter none drops both
    runner.invoke(app, ["review", str(pdf), "--data-dir", str(tmp_path), "--set", "hf.max_prompt_tokens=300"])
    assert seen[1].hf.max_prompt_tokens == 300 and seen[1].adapter == adapter
    runner.invoke(app, ["review", str(pdf), "--data-dir", str(tmp_path), "--adapter", "none"])
    assert seen[2].adapter is None and seen[2].hf.max_prompt_tokens is None


@pytest.mark.slow
def test_review_out_of_the_box_writes_the_aspect_format(fixtures_dir, tmp_path):
    """The real embedded model with the packaged adapter, as a fresh install runs it (about 20 s on 2 cores)."""
    pdf = fixtures_dir / "pdfs" / "2020.acl-main.207_SPECTER.pdf"
    result = runner.invoke(app, ["review", str(pdf), "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "[Significance and novelty]" in result.output
    assert "no fine-tuned adapter applied" not in result.output


def test_an_adapter_path_without_an_adapter_is_a_config_error(fixtures_dir, tmp_path):
    """Refused with the config (exit 2, one line from the entry point), before the PDF or a model is loaded."""
    from reviewgpt.errors import ConfigError

    pdf = fixtures_dir / "pdfs" / "N18-3011.pdf"
    result = runner.invoke(app, ["review", str(pdf), "--data-dir", str(tmp_path), "--adapter", str(tmp_path / "nope")])
    assert isinstance(result.exception, ConfigError)
    assert "not a PEFT adapter folder" in str(result.exception)
