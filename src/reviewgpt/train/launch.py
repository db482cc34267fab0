"""Command lines that start ``reviewgpt train`` on several GPUs (accelerate or deepspeed launchers).

DeepSpeed itself is configured by the train config (``training.deepspeed``, read by the HF
Trainer), so the launchers only start one process per GPU. Every process must write the same
run, so the command always carries ``--version``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

LAUNCHERS = ("accelerate", "deepspeed")


def reviewgpt_script() -> str:
    """The ``reviewgpt`` console script (a Python file both launchers can run)."""
    found = shutil.which("reviewgpt")
    if found:
        return found
    return str(Path(sys.executable).with_name("reviewgpt"))


def mixed_precision_of(dtype: str) -> str:
    """accelerate's ``--mixed_precision`` for a model dtype (it overrides the Trainer's own choice)."""
    return {"bfloat16": "bf16", "float16": "fp16"}.get(dtype, "no")


def launch_command(
    config: Path,
    run: str,
    num_gpus: int,
    *,
    launcher: str = "accelerate",
    sets: list[str] | tuple[str, ...] = (),
    resume: bool = False,
    data_dir: Path | None = None,
    main_port: int = 29500,
    script: str | None = None,
    mixed_precision: str = "bf16",
) -> list[str]:
    """The argv that trains ``config`` as run ``run`` on ``num_gpus`` processes of this machine.

    Example (2 GPUs)::

        accelerate launch --num_processes 2 --num_machines 1 --mixed_precision bf16 --multi_gpu
            --main_process_port 29500 .venv/bin/reviewgpt train --config c.yaml --version r1
    """
    if num_gpus < 1:
        raise ValueError("num_gpus must be >= 1")
    if launcher not in LAUNCHERS:
        raise ValueError(f"launcher must be one of {LAUNCHERS}")
    train = [script or reviewgpt_script(), "train", "--config", str(config), "--version", run]
    if data_dir is not None:
        train += ["--data-dir", str(data_dir)]
    for item in sets:
        train += ["--set", item]
    if resume:
        train.append("--resume")
    if launcher == "deepspeed":
        # --no_local_rank: the Trainer reads LOCAL_RANK from the environment, not from an argument
        return ["deepspeed", "--num_gpus", str(num_gpus), "--no_local_rank", "--master_port", str(main_port), *train]
    cmd = ["accelerate", "launch", "--num_processes", str(num_gpus), "--num_machines", "1",
           "--mixed_precision", mixed_precision, "--dynamo_backend", "no"]
    if num_gpus > 1:
        cmd.append("--multi_gpu")
    return [*cmd, "--main_process_port", str(main_port), *train]
