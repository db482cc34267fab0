"""``reviewgpt train``: LongQLoRA training, ``train merge`` and ``train launch`` (several GPUs)."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import (
    SHARED,
    ConfigFile,
    DataDir,
    Sets,
    StageOptions,
    build_config,
    choice_of,
    execute,
    plain,
    stage_options,
)
from reviewgpt.train.launch import LAUNCHERS

train_app = typer.Typer(help="Train a LoRA adapter (LongQLoRA) on a dataset version.", rich_markup_mode=None)


def register(app: typer.Typer) -> None:
    app.add_typer(train_app, name="train")


@train_app.callback(invoke_without_command=True)
@stage_options(order=("config", "sets", "strict", "max_failures"))  # --config first: train requires it
def train(
    ctx: typer.Context,
    options: StageOptions = SHARED,
    resume: bool = typer.Option(False, "--resume", help="Continue run --version from its last checkpoint."),
) -> None:
    """Train an adapter -> data/train/<run>/ (adapter, run_info.json, metrics.jsonl, loss.png).

    Example: reviewgpt train --config configs/llama2-longqlora.yaml --set training.max_steps=200 --version r1
    """
    if ctx.invoked_subcommand is not None:
        return
    if options.config is None:
        raise typer.BadParameter("--config is required (see configs/*.yaml)", param_hint="--config")
    from reviewgpt.train import run
    from reviewgpt.train.config import TrainConfig

    execute(run, options.build(TrainConfig, resume=resume or None))


@train_app.command("merge")
def merge(
    run: str = typer.Option(..., "--run", help="Train run name (folder under data/train/)."),
    data_dir: DataDir = None,
) -> None:
    """Merge the run's adapter into the base weights (the run's dtype, on CPU) -> data/train/<run>/merged/.

    Example: reviewgpt train merge --run r1
    """
    from reviewgpt.logging import setup_logging
    from reviewgpt.train.merge import merge_run

    setup_logging(False)
    typer.echo(f"merged -> {merge_run(data_dir or Path('data'), run)}")


@train_app.command("export")
def export(
    run: str = typer.Option(..., "--run", help="Train run name (folder under data/train/)."),
    data_dir: DataDir = None,
) -> None:
    """Export a run for serving -> data/train/<run>/export/ (merged/, adapter/, serving.json, serve.sh).

    Prints the vLLM command lines (--max-model-len, --max-lora-rank, --hf-overrides) and the
    `reviewgpt infer --backend openai` call; serve.sh holds the same.

    Example: reviewgpt train export --run llama2-r1
    """
    import shlex

    from reviewgpt.logging import setup_logging
    from reviewgpt.train.export import export_run

    setup_logging(False)
    plan = export_run(data_dir or Path("data"), run)
    typer.echo(f"# exported -> {Path(plan.merged_dir).parent} (trained context {plan.max_model_len} tokens)")
    typer.echo(shlex.join(plan.commands["vllm_merged"]))
    if "vllm_adapter" in plan.commands:
        typer.echo(shlex.join(plan.commands["vllm_adapter"]))
    else:
        typer.echo(f"# no adapter export: {plan.adapter_skipped}")
    typer.echo(shlex.join(plan.commands["infer"]))


@train_app.command("launch")
def launch(
    config: ConfigFile = None,
    num_gpus: int = typer.Option(..., "--num-gpus", min=1, help="Processes (GPUs) on this machine."),
    version: str = typer.Option(..., "--version", help="Run name every process writes to."),
    launcher: choice_of("Launcher", LAUNCHERS) = typer.Option(LAUNCHERS[0], "--launcher", help="The multi-process launcher."),
    sets: Sets = None,
    data_dir: DataDir = None,
    resume: bool = typer.Option(False, "--resume", help="Continue the run from its last checkpoint."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the command line only."),
) -> None:
    """Start `reviewgpt train` on several GPUs (DeepSpeed ZeRO from training.deepspeed).

    Example: reviewgpt train launch --config configs/mixtral-8x7b-qlora.yaml --num-gpus 4 --version mx1
    """
    import shlex
    import subprocess

    from reviewgpt.errors import ConfigError
    from reviewgpt.train import MULTI_GPU_NEEDS_DEEPSPEED
    from reviewgpt.train.config import TrainConfig
    from reviewgpt.train.launch import launch_command, mixed_precision_of

    if config is None:
        raise ConfigError("train launch: --config is required")
    # the config is checked here, once, before any process starts
    cfg = build_config(TrainConfig, config, sets, data_dir=data_dir, version=version, resume=resume)
    if num_gpus > 1 and cfg.training.deepspeed is None:
        raise ConfigError(f"train launch: {MULTI_GPU_NEEDS_DEEPSPEED}")
    try:
        cmd = launch_command(config, version, num_gpus, launcher=plain(launcher), sets=sets or (), resume=resume,
                             data_dir=data_dir, mixed_precision=mixed_precision_of(cfg.model.dtype))
    except ValueError as exc:
        raise ConfigError(f"train launch: {exc}") from None
    typer.echo(shlex.join(cmd))
    if not dry_run:
        raise typer.Exit(subprocess.call(cmd))
