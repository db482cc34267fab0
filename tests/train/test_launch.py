"""The command lines `reviewgpt train launch` builds for 1, 2 and 8 processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.train.launch import launch_command

SCRIPT = "/venv/bin/reviewgpt"
TRAIN = [SCRIPT, "train", "--config", "configs/c.yaml", "--version", "r1"]


@pytest.mark.parametrize("n", [1, 2, 8])
def test_accelerate_command(n):
    cmd = launch_command(Path("configs/c.yaml"), "r1", n, script=SCRIPT)
    head = ["accelerate", "launch", "--num_processes", str(n), "--num_machines", "1", "--mixed_precision", "bf16",
            "--dynamo_backend", "no"]
    multi = ["--multi_gpu"] if n > 1 else []
    assert cmd == [*head, *multi, "--main_process_port", "29500", *TRAIN]


@pytest.mark.parametrize("n", [1, 2, 8])
def test_deepspeed_command(n):
    cmd = launch_command(Path("configs/c.yaml"), "r1", n, launcher="deepspeed", script=SCRIPT,
                         sets=["training.max_steps=10"], resume=True, data_dir=Path("/data"))
    assert cmd == ["deepspeed", "--num_gpus", str(n), "--no_local_rank", "--master_port", "29500", *TRAIN,
                   "--data-dir", "/data", "--set", "training.max_steps=10", "--resume"]


def test_bad_launch_arguments():
    with pytest.raises(ValueError, match="num_gpus"):
        launch_command(Path("c.yaml"), "r1", 0)
    with pytest.raises(ValueError, match="launcher"):
        launch_command(Path("c.yaml"), "r1", 2, launcher="torchrun")


def test_cli_dry_run_prints_the_command():
    from reviewgpt.cli import app

    result = CliRunner().invoke(app, ["train", "launch", "--config", "configs/llama2-longqlora.yaml",
                                      "--num-gpus", "2", "--version", "r9", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("accelerate launch --num_processes 2 ")
    assert "--multi_gpu" in result.output
    assert result.output.strip().endswith("train --config configs/llama2-longqlora.yaml --version r9")


def test_cli_refuses_several_gpus_without_deepspeed():
    """Plain DDP would not synchronise the chunked loss's gradients: several GPUs go through DeepSpeed."""
    from reviewgpt.cli import app

    result = CliRunner().invoke(app, ["train", "launch", "--config", "configs/llama2-longqlora.yaml",
                                      "--num-gpus", "2", "--version", "r9", "--dry-run",
                                      "--set", "training.deepspeed=null"])
    assert result.exit_code != 0
    assert "several GPUs need DeepSpeed" in str(result.exception)


def test_cli_mixed_precision_follows_the_model_dtype():
    from reviewgpt.cli import app

    result = CliRunner().invoke(app, ["train", "launch", "--config", "configs/llama2-longqlora.yaml",
                                      "--num-gpus", "2", "--version", "r9", "--dry-run",
                                      "--set", "model.dtype=float32"])
    assert result.exit_code == 0, result.output
    assert "--mixed_precision no " in result.output


def test_every_rank_but_the_first_returns_a_report_and_writes_no_run_folder(monkeypatch, dataset, tiny_llama,
                                                                             make_config):
    import reviewgpt.train as train

    calls = []
    monkeypatch.setattr(train, "_train", lambda cfg, checks, run_dir, write: calls.append(write) or {})
    for key, value in {"WORLD_SIZE": "2", "RANK": "1", "LOCAL_RANK": "1"}.items():  # as a launcher sets them
        monkeypatch.setenv(key, value)
    cfg = make_config(dataset, tiny_llama, version="r2",
                      deepspeed=str(Path(__file__).resolve().parents[2] / "configs/deepspeed/zero2.json"))
    report = train.run(cfg)
    assert calls == [None]  # it trained, and was given nothing to write with
    assert report.summary().startswith("train r2:")
    assert not (dataset / "train" / "r2").exists()
    monkeypatch.setenv("RANK", "0")
    with pytest.raises(Exception, match="several GPUs need DeepSpeed"):
        train.run(make_config(dataset, tiny_llama, version="r3"))


def test_one_process_without_a_launcher_gets_a_one_process_group(monkeypatch):
    """DeepSpeed run as plain `reviewgpt train`: the variables a launcher would set, a free port."""
    import os

    from reviewgpt.train import set_single_process_env

    keys = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
    for key in keys:  # recorded by setenv, so the test leaves the environment as it found it
        monkeypatch.setenv(key, "x")
        monkeypatch.delenv(key)
    set_single_process_env()
    assert {k: os.environ[k] for k in keys[:4]} == {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1",
                                                    "MASTER_ADDR": "127.0.0.1"}
    assert int(os.environ["MASTER_PORT"]) > 0
    monkeypatch.setenv("LOCAL_RANK", "3")
    monkeypatch.setenv("MASTER_PORT", "29500")
    set_single_process_env()  # a launcher's variables win
    assert os.environ["LOCAL_RANK"] == "3" and os.environ["MASTER_PORT"] == "29500"
