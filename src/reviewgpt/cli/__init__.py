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
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

#: Typer's click (vendored in typer >= 0.2x, the click package before): found through a class typer
#: exports, so that usage errors are caught whichever click raised them.
_ClickException = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")

#: set by ``--debug``: a ReviewGPTError keeps its traceback
_debug = False

_INTERRUPTED = "interrupted: finished records are kept; rerun with the same --version to resume"


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"reviewgpt {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: bool = typer.Option(
        False, "--version", "--package-version", callback=_version_callback, is_eager=True,
        help="Print the package version and exit. (After a command, --version NAME names its output version.)",
    ),
    debug: bool = typer.Option(False, "--debug", help="Show the traceback of an error, not just its one line."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Warnings and errors only on stderr; no progress bars."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logs on stderr."),
) -> None:
    """reviewgpt: one subcommand per stage; each reads and writes versioned JSONL under data/.

    Results go to stdout; logs and progress bars to stderr. Exit status: 0 done, 1 a run that
    failed (nothing produced, or a fatal error), 2 a usage or configuration error.
    """
    import logging

    from reviewgpt.logging import set_console_level

    global _debug
    _debug = debug
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose exclude each other", param_hint="--quiet")
    set_console_level(logging.WARNING if quiet else logging.DEBUG if verbose else logging.INFO)


for _name in COMMAND_MODULES:
    if importlib.util.find_spec(f"reviewgpt.cli.{_name}") is not None:
        importlib.import_module(f"reviewgpt.cli.{_name}").register(app)


def main(args: list[str] | None = None) -> None:
    """Entry point: exit 0 on success; a usage error is one line plus the usage hint and exit 2; a
    :class:`ReviewGPTError` is one line on stderr and its ``exit_code`` (1 a failed run, 2 a usage or
    configuration error), with its traceback only under ``--debug``; bugs keep their traceback."""
    try:
        # Outside standalone mode Typer *returns* the exit code of a typer.Exit, and turns Ctrl-C
        # into Exit(130), so a non-zero int here is an exit status, not a command's result.
        code = app(args=args, prog_name="reviewgpt", standalone_mode=False)
        if isinstance(code, int) and not isinstance(code, bool) and code != 0:
            if code == 130:
                typer.echo(_INTERRUPTED, err=True)
            sys.exit(code)
    except ReviewGPTError as exc:
        if _debug:
            import traceback

            traceback.print_exc()
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        typer.echo(_INTERRUPTED, err=True)
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except _ClickException as exc:  # usage errors: unknown command or flag, missing or bad value (exit 2)
        exc.show()
        if getattr(exc, "ctx", False) is None:  # raised while parsing, before click knew the command
            typer.echo(f"Try '{_command_line(args)} --help' for help.", err=True)
        sys.exit(exc.exit_code)


def _command_line(args: list[str] | None) -> str:
    """``reviewgpt`` and the (sub)command names at the start of the arguments."""
    words = ["reviewgpt"]
    for arg in sys.argv[1:] if args is None else args:
        if arg.startswith("-"):
            break
        words.append(arg)
    return " ".join(words)


if __name__ == "__main__":
    main()
