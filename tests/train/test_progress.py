"""Training progress: a bar and one log line every N steps on stderr, no raw log dicts; report_to passes through."""

from __future__ import annotations

import logging

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from reviewgpt.train._progress import TrainProgressCallback


def _drive(callback: TrainProgressCallback, steps: int, tokens: list[int]) -> None:
    args = TrainingArguments(output_dir="unused", use_cpu=True, report_to="none")
    state, control = TrainerState(max_steps=steps), TrainerControl()
    callback.on_train_begin(args, state, control)
    for step in range(1, steps + 1):
        tokens[0] += 100
        state.global_step = step
        callback.on_log(args, state, control, logs={"loss": 3.0 - step / 10})
        callback.on_step_end(args, state, control)
    callback.on_train_end(args, state, control)


def test_a_log_line_every_n_steps_and_at_the_last(caplog):
    tokens = [0]
    callback = TrainProgressCallback(lambda: tokens[0], log_every=5, show_bar=True)
    with caplog.at_level(logging.INFO, logger="reviewgpt"):
        _drive(callback, 12, tokens)
    lines = [r.getMessage() for r in caplog.records if r.name == "reviewgpt.train._progress"]
    assert [line.split()[1] for line in lines] == ["5/12", "10/12", "12/12"]
    assert lines[-1].startswith("step 12/12  loss 1.8000  ") and " tok/s  ETA 0:00:00" in lines[-1]
    assert callback._progress is None  # the bar is gone after training


def test_tokens_per_second_counts_only_this_attempt(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("reviewgpt.train._progress.time.monotonic", lambda: clock[0])
    tokens = [5000]  # tokens of an attempt resumed from: not part of this one's rate
    callback = TrainProgressCallback(lambda: tokens[0], log_every=0, show_bar=False)
    callback.on_train_begin(TrainingArguments(output_dir="unused", use_cpu=True, report_to="none"),
                            TrainerState(max_steps=10), TrainerControl())
    tokens[0] += 3000
    clock[0] += 2.0
    assert callback.tokens_per_s() == pytest.approx(1500.0)


@pytest.mark.parametrize(("report_to", "expected"), [("none", []), (["tensorboard"], ["tensorboard"])])
def test_report_to_reaches_the_trainer(tmp_path, report_to, expected):
    from reviewgpt.train import _training_arguments
    from reviewgpt.train.config import TrainConfig

    cfg = TrainConfig.model_validate({"model": {"name_or_path": "unused"}, "training": {"report_to": report_to}})
    assert _training_arguments(cfg, tmp_path, has_eval=False).report_to == expected


def test_training_prints_no_log_dicts(dataset, tiny_llama, make_config, tmp_path):
    """Through the command line: the summary on stdout, progress lines on stderr, no ``{'loss': ...}``."""
    import yaml
    from typer.testing import CliRunner

    from reviewgpt.cli import app

    config = tmp_path / "tiny.yaml"
    config.write_text(yaml.safe_dump(make_config(dataset, tiny_llama).model_dump(
        mode="json", include={"model", "lora", "training"})))
    result = CliRunner().invoke(app, ["train", "--config", str(config), "--data-dir", str(dataset), "--version", "p1",
                                      "--set", "training.max_steps=4", "--set", "training.progress_log_steps=2"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("train p1: ok=8 ")  # the 8 train examples
    assert "'loss'" not in result.stdout + result.stderr
    assert "step 2/4  loss " in result.stderr and "step 4/4  loss " in result.stderr
