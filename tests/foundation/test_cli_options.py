"""Every command keeps the options it had: names, flags and help text.

``tests/fixtures/cli_options.json`` was written from the commands as they were before their shared
options moved into one place; a command that loses, renames or re-documents an option fails here.
To change an option on purpose, regenerate the fixture with ``option_table()`` and review the diff.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from typer.testing import CliRunner

from reviewgpt.cli import app
from reviewgpt.cli.common import SHARED, StageOptions, stage_options

FIXTURE = Path(__file__).parents[1] / "fixtures" / "cli_options.json"


def _params(command: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for param in command.params:
        if param.param_type_name == "option":
            rows.append({"name": param.name, "opts": sorted(param.opts + param.secondary_opts), "help": param.help})
        else:
            rows.append({"name": param.name, "argument": True})
    return sorted(rows, key=lambda row: row["name"])


def option_table() -> dict[str, list[dict[str, Any]]]:
    """``"reviewgpt <command> [<subcommand>]"`` -> its parameters, for every (sub)command."""
    table: dict[str, list[dict[str, Any]]] = {}

    def walk(command: Any, path: list[str]) -> None:
        table[" ".join(path)] = _params(command)
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            walk(sub, [*path, name])

    walk(typer.main.get_command(app), ["reviewgpt"])
    return table


def test_every_command_lists_the_options_it_had() -> None:
    expected = json.loads(FIXTURE.read_text())
    actual = option_table()
    assert sorted(actual) == sorted(expected)
    for command, params in expected.items():
        assert actual[command] == params, command


def test_help_lists_each_shared_option_of_a_stage_command() -> None:
    result = CliRunner().invoke(app, ["parse", "--help"])
    assert result.exit_code == 0
    for flag in ("--data-dir", "--version", "--input", "--config", "--limit", "--strict", "--max-failures", "--set", "--parser"):
        assert flag in result.output, flag


def test_stage_options_are_gathered_into_one_object() -> None:
    seen: list[tuple[StageOptions, str | None]] = []
    app_under_test = typer.Typer()

    @app_under_test.command()
    @stage_options(with_input=False)
    def command(options: StageOptions = SHARED, own: str | None = typer.Option(None, "--own")) -> None:
        seen.append((options, own))

    result = CliRunner().invoke(
        app_under_test, ["--own", "x", "--version", "v1", "--limit", "3", "--set", "a.b=1", "--set", "c=2", "--strict"]
    )
    assert result.exit_code == 0, result.output
    options, own = seen[0]
    assert own == "x"
    assert options == StageOptions(version="v1", limit=3, sets=["a.b=1", "c=2"], strict=True)
    assert options.flags() == {"data_dir": None, "version": "v1", "input": None, "limit": 3, "verbose": None,
                               "strict": True, "max_failures": None}
    assert CliRunner().invoke(app_under_test, ["--input", "v0"]).exit_code == 2  # not an option of this command
