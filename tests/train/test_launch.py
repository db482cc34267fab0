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
