"""Options every stage command takes, and the glue from flags to ``stage.run(cfg)``.

A stage command is about ten lines::

    def parse(data_dir: DataDir = None, version: Version = None, ..., parser: str | None = typer.Option(None, ...)):
        from reviewgpt.parse import run
        from reviewgpt.parse.config import ParseConfig
        execute(run, build_config(ParseConfig, config, sets, data_dir=data_dir, ..., parser=parser))

All flags default to None so that YAML keys and class defaults apply unless a flag is given.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel

from reviewgpt.config import load_config
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
Verbose = Annotated[bool | None, typer.Option("--verbose", "-v", help="Debug logging.")]
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


def build_config(cls: type[C], config_file: Path | None, sets: list[str] | None = None, **flags: Any) -> C:
    """Defaults, then the YAML file, then ``--set`` overrides, then explicit flags."""
    return load_config(cls, config_file, overrides=flags, sets=sets or ())


def execute(run: Callable[[C], StageReport], cfg: C) -> StageReport:
    """Set up logging, run the stage, print its one-line summary."""
    setup_logging(bool(getattr(cfg, "verbose", False)))
    report = run(cfg)
    typer.echo(report.summary())
    return report
