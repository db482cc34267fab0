"""``reviewgpt infer``: N reviews per paper from a train run, a model or an OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import SHARED, StageOptions, choices, execute, stage_options
from reviewgpt.infer.config import InferConfig


def register(app: typer.Typer) -> None:
    app.command("infer")(infer)


@stage_options()
def infer(
    run: str | None = typer.Option(None, "--run", help="Train run to serve (data/train/<run>)."),
    model: str | None = typer.Option(None, "--model", help="Hub id or path (hf), or the served model name (openai)."),
    adapter: Path | None = typer.Option(None, "--adapter", help="PEFT adapter to apply to --model (hf)."),
    backend: choices(InferConfig, "backend") | None = typer.Option(None, "--backend", help="hf (local transformers) or openai (any compatible server)."),
    base_url: str | None = typer.Option(None, "--base-url", help="openai backend: server URL, e.g. http://localhost:8000/v1."),
    samples: int | None = typer.Option(None, "--samples", min=1, help="Reviews per paper [default: 5]."),
    prompt_style: choices(InferConfig, "prompt_style") | None = typer.Option(None, "--prompt-style", help="review (training prompt) or json (schema prompt, JSON mode)."),
    penalize_empty: float | None = typer.Option(
        None, "--penalize-empty", help="Lower '<No related terms>'-style empty aspects by this many logits (hf; try 5)."
    ),
    system: str | None = typer.Option(None, "--system", help="System name written in each prediction."),
    options: StageOptions = SHARED,
) -> None:
    """Write data/infer/<version>/predictions.jsonl: --samples reviews for each paper of --input.

    --input is a dataset version and split (v1:test) or a parse version (v1) [default: the
    dataset's LATEST test split]. Rerun with the same --version to finish an interrupted run.

    \b
    Examples:
      reviewgpt infer --run llama3-8b-longqlora --samples 5 --input v1:test --version llama3
      reviewgpt infer --backend openai --model gpt-4o --prompt-style json --samples 1 --version gpt4o
      reviewgpt infer --backend openai --base-url http://localhost:8000/v1 --model reviewgpt --version vllm
    """
    from reviewgpt.infer import run as run_stage

    sets = list(options.sets or []) + ([f"llm.base_url={base_url}"] if base_url else [])
    cfg = options.build(
        InferConfig, sets, run=run, model=model, adapter=adapter, backend=backend, samples=samples, prompt_style=prompt_style,
        penalize_empty=penalize_empty, system=system,
    )
    execute(run_stage, cfg)
