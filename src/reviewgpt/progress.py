"""Progress bars with a known length (rich), shown on stderr only when it is a terminal (and not --quiet)."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def show_progress() -> bool:
    """Whether progress bars are drawn: stderr is a terminal and the CLI is not --quiet."""
    import logging

    from reviewgpt.logging import console_level

    return sys.stderr.isatty() and console_level() <= logging.INFO


def track(items: Iterable[T], total: int | None, description: str, *, per_hour: str | None = None) -> Iterator[T]:
    """Iterate ``items`` with a progress bar of ``total`` steps (transient, stderr).

    Args:
        per_hour: when given (e.g. ``"reviews"``), also show the rate as ``N reviews/hour``.
    """
    if not show_progress():
        yield from items
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    if per_hour:
        columns += (_PerHourColumn(per_hour),)
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


def _PerHourColumn(unit: str):  # noqa: N802 - a column class made on demand, so rich loads lazily
    from rich.progress import ProgressColumn
    from rich.text import Text

    class PerHourColumn(ProgressColumn):
        def render(self, task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed * 3600:,.0f} {unit}/hour" if speed else f"- {unit}/hour")

    return PerHourColumn()
