"""``reviewgpt status``: what each stage has produced, read from the manifests."""

from __future__ import annotations

from pathlib import Path

import typer

from reviewgpt.cli.common import DataDir


def register(app: typer.Typer) -> None:
    app.command("status")(status)


def status(
    data_dir: DataDir = None,
    errors: int = typer.Option(3, "--errors", min=0, help="How many first errors to show per version."),
) -> None:
    """Show each stage's versions, which one is LATEST, counts ok/skipped/failed and the first errors.

    A version whose manifest says running but whose lock no live process holds was killed; it
    is shown as interrupted (rerun with its --version to resume).

    Example: reviewgpt status --data-dir data
    """
    from rich.console import Console
    from rich.table import Table

    from reviewgpt.store import STAGES, latest_version, list_version_names, stage_dir

    data_dir = data_dir or Path("data")
    console = Console()
    table = Table(title=f"reviewgpt data in {data_dir}")
    for column in ("stage", "version", "status", "ok", "skipped", "failed", "finished"):
        table.add_column(column)
    first_errors: list[str] = []
    any_version = False
    for stage in STAGES:
        latest = latest_version(data_dir, stage)
        for version in list_version_names(data_dir, stage):
            any_version = True
            path = stage_dir(data_dir, stage) / version
            table.add_row(stage, *_version_row(path, version, latest))
            first_errors.extend(f"{stage}/{version}: {line}" for line in _first_errors(path, errors))
    if not any_version:
        console.print(f"No stage output under {data_dir} yet. Start with: reviewgpt demo  (or reviewgpt crawl --venue ...)")
        return
    console.print(table)
    if first_errors:
        console.print("First errors:")
        for line in first_errors:
            console.print(f"  {line}", markup=False)


def _version_row(path: Path, version: str, latest: str | None) -> list[str]:
    """The table row of one version after its stage: version, status, ok, skipped, failed, finished."""
    from reviewgpt.store import is_being_written, read_manifest

    manifest = read_manifest(path) or {}
    counts = manifest.get("counts", {})
    mark = " (LATEST)" if version == latest else ""
    state = manifest.get("status", "?")
    if state == "running" and not is_being_written(path):  # killed: nobody holds its lock
        state = "interrupted"
    return [
        version + mark, state,
        str(counts.get("ok", "")), str(counts.get("skipped", "")), str(counts.get("failed", "")),
        manifest.get("finished_at") or "",
    ]


def _first_errors(path: Path, limit: int) -> list[str]:
    """The first ``limit`` errors of the version at ``path``: ``id: error: detail``."""
    from reviewgpt.store import ERRORS, iter_jsonl

    if not limit or not (path / ERRORS).exists():
        return []
    lines = []
    for i, err in enumerate(iter_jsonl(path / ERRORS)):
        if i >= limit:
            break
        lines.append(f"{err.get('id')}: {err.get('error')}: {err.get('detail') or ''}")
    return lines
