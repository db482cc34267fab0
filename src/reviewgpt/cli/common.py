"""Options every stage command takes, and the glue from flags to ``stage.run(cfg)``.

A stage command declares only its own options; :func:`stage_options` adds the shared ones
(``--data-dir``, ``--version``, ``--input``, ``--config``, ``--limit``, ``--verbose``, ``--set``,
``--strict``, ``--max-failures``) where its ``options`` parameter stands, and hands them over as one
:class:`StageOptions`::

    @stage_options()
    def parse(options: StageOptions = SHARED, parser: str | None = typer.Option(None, "--parser", ...)):
        from reviewgpt.parse import run
        execute(run, options.build(ParseConfig, parser=parser))

All flags default to None so that YAML keys and class defaults apply unless a flag is given.
"""

from __future__ import annotations

import functools
import inspect
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar, get_args, get_origin

import typer
from pydantic import BaseModel

from reviewgpt.config import load_config, warn_deprecated
from reviewgpt.logging import setup_logging
from reviewgpt.store import StageReport

DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Root of the stage folders [default: ./data].", envvar="REVIEWGPT_DATA_DIR"),
]
Version = Annotated[str | None, typer.Option("--version", help="Name of the output version [default: the time]. Reuse a name to resume.")]
Input = Annotated[str | None, typer.Option("--input", help="Version of the previous stage to read [default: its LATEST].")]
ConfigFile = Annotated[
    Path | None, typer.Option("--config", help="YAML config; command-line flags override its keys.", dir_okay=False)
]
Limit = Annotated[int | None, typer.Option("--limit", min=1, help="Process at most N items.")]
Verbose = Annotated[bool | None, typer.Option("--verbose", "-v", help="Debug logging (as `reviewgpt --verbose`).")]
Strict = Annotated[
    bool | None, typer.Option("--strict", help="Any failed item fails the run: exit 1, LATEST stays where it was.")
]
MaxFailures = Annotated[
    int | None,
    typer.Option("--max-failures", min=0, help="More failed items than this fail the run [default: no limit]."),
]
Sets = Annotated[
    list[str] | None, typer.Option("--set", help="Override a config key: --set section.key=value (repeatable).")
]

C = TypeVar("C", bound=BaseModel)
F = TypeVar("F", bound=Callable[..., Any])

#: The shared options in the order ``--help`` lists them, with their option types.
_SHARED_OPTIONS: tuple[tuple[str, Any], ...] = (
    ("data_dir", DataDir),
    ("version", Version),
    ("input", Input),
    ("config", ConfigFile),
    ("limit", Limit),
    ("verbose", Verbose),
    ("sets", Sets),
    ("strict", Strict),
    ("max_failures", MaxFailures),
)


@dataclass(frozen=True)
class StageOptions:
    """The shared options of one stage command call (None: not given)."""

    data_dir: Path | None = None
    version: str | None = None
    input: str | None = None
    config: Path | None = None
    limit: int | None = None
    verbose: bool | None = None
    sets: list[str] | None = None
    strict: bool | None = None
    max_failures: int | None = None

    def flags(self) -> dict[str, Any]:
        """The options that are config keys (all but ``--config`` and ``--set``), for :func:`build_config`."""
        flags = asdict(self)
        del flags["config"], flags["sets"]
        return flags

    def build(self, cls: type[C], sets: list[str] | None = None, **flags: Any) -> C:
        """The stage config: ``--config``, then ``--set`` (``sets`` replaces them when given), then flags."""
        return build_config(cls, self.config, self.sets if sets is None else sets, **self.flags(), **flags)


#: The default of a command's ``options`` parameter (replaced by :func:`stage_options`).
SHARED = StageOptions()


def stage_options(*, with_input: bool = True, order: tuple[str, ...] = ()) -> Callable[[F], F]:
    """Give a command the shared options in place of its ``options: StageOptions`` parameter.

    Typer reads a command's options from its signature, so the decorated function shows Typer the
    shared options where ``options`` stood, and the call gathers them back into a
    :class:`StageOptions`. ``with_input=False``: a command whose inputs are its own options;
    ``order``: shared options that ``--help`` lists first (a command's required one, say). The
    command's annotations must resolve in its module's globals, as Typer needs anyway.
    """

    def decorate(command: F) -> F:
        signature = inspect.signature(command, eval_str=True)
        params = list(signature.parameters.values())
        at = [p.name for p in params].index("options")
        kind = params[at].kind
        names = [name for name, _ in _SHARED_OPTIONS if with_input or name != "input"]
        names = [*order, *(name for name in names if name not in order)]
        option_types = dict(_SHARED_OPTIONS)
        shared = [inspect.Parameter(name, kind, default=None, annotation=option_types[name]) for name in names]

        @functools.wraps(command)
        def with_shared_options(*args: Any, **kwargs: Any) -> Any:
            options = StageOptions(**{name: kwargs.pop(name, None) for name in names})
            return command(*args, options=options, **kwargs)

        with_shared_options.__signature__ = signature.replace(parameters=[*params[:at], *shared, *params[at + 1 :]])  # type: ignore[attr-defined]
        return with_shared_options  # type: ignore[return-value]

    return decorate


def choices(model: type[BaseModel], field: str) -> type[Enum]:
    """The values of a config field's ``Literal`` type as an Enum, the option type Typer checks.

    The CLI then rejects any other value as a usage error (exit 2) listing the valid ones, and
    ``--help`` shows them; the config class stays the one home of the values.
    """
    values = _literal_values(model.model_fields[field].annotation)
    if not values:
        raise TypeError(f"{model.__name__}.{field} is not a Literal")
    return Enum(f"{model.__name__}_{field}", {str(v): str(v) for v in values}, type=str)  # type: ignore[return-value]


def choice_of(name: str, values: tuple[str, ...]) -> type[Enum]:
    """``values`` (a module's tuple of valid names) as the Enum option type Typer checks."""
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


def renamed_option(value: Any, old_value: Any, old: str, new: str) -> Any:
    """An option's value given as ``new``, else as its deprecated flag ``old`` (one warning line on stderr)."""
    if old_value is None:
        return value
    warn_deprecated(old, new)
    return value if value is not None else old_value


def _literal_values(annotation: Any) -> list[Any]:
    if get_origin(annotation) is Literal:
        return list(get_args(annotation))
    return [v for arg in get_args(annotation) for v in _literal_values(arg)]


def plain(value: Any) -> Any:
    """An option's value with Enum members (choice options) turned back into their strings."""
    return value.value if isinstance(value, Enum) else value


def build_config(cls: type[C], config_file: Path | None, sets: list[str] | None = None, **flags: Any) -> C:
    """Defaults, then the YAML file, then ``--set`` overrides, then explicit flags."""
    flags = {name: plain(value) for name, value in flags.items()}
    return load_config(cls, config_file, overrides=flags, sets=sets or ())


def stdin_to_file(path: Path, param_hint: str, suffix: str = ".pdf") -> Path:
    """``-`` (standard input) as a temporary file that lives until the process ends; other paths as given.

    (Typer's own ``exists=True`` check rejects ``-``, so the file is checked here: a usage error.)
    """
    if str(path) != "-":
        if not path.is_file():
            raise typer.BadParameter(f"file '{path}' does not exist.", param_hint=param_hint)
        return path
    data = sys.stdin.buffer.read()
    if not data:
        from reviewgpt.errors import ConfigError

        raise ConfigError("'-' given but standard input is empty")
    handle = tempfile.NamedTemporaryFile(prefix="reviewgpt-stdin-", suffix=suffix, delete=False)  # noqa: SIM115
    with handle:
        handle.write(data)
    import atexit
    import os

    atexit.register(os.unlink, handle.name)
    return Path(handle.name)


def execute(run: Callable[[C], StageReport], cfg: C) -> StageReport:
    """Set up logging (stderr), run the stage, print its one-line summary (stdout)."""
    setup_logging(bool(getattr(cfg, "verbose", False)))
    report = run(cfg)
    typer.echo(report.summary())
    return report
