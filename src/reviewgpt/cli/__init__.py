"""The ``reviewgpt`` command. This module only registers subcommands.

Each command lives in its own module here and exposes ``register(app)``; a module that does not
exist (a stage not built yet) is simply not listed. Heavy imports (torch, transformers) happen
inside the command functions, so ``reviewgpt --help`` stays fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys

import typer

from reviewgpt import __version__
from reviewgpt.errors import ReviewGPTError

#: Command modules in the order ``--help`` lists them.
COMMAND_MODULES = (
    "demo",
    "crawl",
    "parse",
    "aggregate",
    "dataset",
    "train",
    "infer",
    "review",
    "evaluate",
    "status",
    "model",
)

app = typer.Typer(
    name="reviewgpt",
    help="OpenReview papers and reviews -> a long-context LLM that writes structured reviews, and how good they are.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"reviewgpt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--package-version", callback=_version_callback, is_eager=True, help="Print the package version."
    ),
) -> None:
    """reviewgpt: one subcommand per stage; each reads and writes versioned JSONL under data/."""


for _name in COMMAND_MODULES:
    if importlib.util.find_spec(f"reviewgpt.cli.{_name}") is not None:
        importlib.import_module(f"reviewgpt.cli.{_name}").register(app)


def main() -> None:
    """Entry point: user errors become one line on stderr and exit code 2; bugs keep their traceback."""
    try:
        # Outside standalone mode Typer *returns* the exit code of a typer.Exit, and turns Ctrl-C
        # into Exit(130), so a non-zero int here is an exit status, not a command's result.
        code = app(standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            if code == 130:
                typer.echo("interrupted: finished records are kept; rerun with the same --version to resume", err=True)
            sys.exit(code)
    except ReviewGPTError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)  # 1 for a failed run, 2 for usage and configuration
    except KeyboardInterrupt:
        typer.echo("interrupted: finished records are kept; rerun with the same --version to resume", err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except Exception as exc:  # click usage errors
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise


if __name__ == "__main__":
    main()
