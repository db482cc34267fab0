"""``reviewgpt model prepare|path``: the embedded default model's converted folder."""

from __future__ import annotations

import typer

from reviewgpt.models import DEFAULT_MODEL

model_app = typer.Typer(help="The embedded model (SmolLM2-135M-Instruct): convert it once, print where it is.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(model_app, name="model")


@model_app.command("prepare")
def prepare(
    name: str = typer.Argument(DEFAULT_MODEL, help="Embedded model's short name."),
    force: bool = typer.Option(False, "--force", help="Convert again even if a converted folder exists."),
) -> None:
    """Convert the embedded model's GGUF to safetensors + tokenizer (once; ~20 s) and print the folder.

    Example: reviewgpt model prepare
    """
    from reviewgpt.logging import setup_logging
    from reviewgpt.models import prepare_model

    setup_logging(False)
    typer.echo(prepare_model(name, force=force))


@model_app.command("path")
def path(name: str = typer.Argument(DEFAULT_MODEL, help="Embedded model's short name.")) -> None:
    """Print the converted folder of NAME (converting it first if needed): pass it wherever a path is expected.

    Example: reviewgpt model path
    """
    from reviewgpt.models import prepare_model

    typer.echo(prepare_model(name))
