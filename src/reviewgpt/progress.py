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

    The rate and the time left are averages since the start (see :func:`average_rate`).
    """
    if not show_progress():
        yield from items
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        average_eta_column(),
    )
    if per_hour:
        columns += (average_rate_column(per_hour, per_hour=True),)
    with Progress(*columns, console=Console(stderr=True), transient=True) as progress:
        task = progress.add_task(description, total=total)
        for item in items:
            yield item
            progress.advance(task)


def average_rate(task) -> float | None:
    """Items per second since the task started (``task.fields["done_before"]``: items done before, e.g. a resumed run).

    rich's own speed looks at the last 30 s of advances: a batch of reviews finishing together is
    advanced item by item within milliseconds and read as thousands per second, and its ETA with it.
    """
    done = task.completed - task.fields.get("done_before", 0)
    elapsed = task.elapsed
    return done / elapsed if elapsed and done > 0 else None


def average_rate_column(unit: str, *, per_hour: bool = False):
    """A column showing :func:`average_rate` as ``N unit/s`` (or ``N unit/hour``)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class AverageRateColumn(ProgressColumn):
        def render(self, task) -> Text:
            rate = average_rate(task)
            scale, per = (3600, "hour") if per_hour else (1, "s")
            return Text(f"{rate * scale:,.0f} {unit}/{per}" if rate else f"- {unit}/{per}")

    return AverageRateColumn()


def average_eta_column():
    """A column with the time left at :func:`average_rate` (H:MM:SS)."""
    from rich.progress import ProgressColumn
    from rich.text import Text

    class AverageEtaColumn(ProgressColumn):
        def render(self, task) -> Text:
            rate = average_rate(task)
            if rate is None or task.total is None:
                return Text("-:--:--")
            return Text(format_duration(max(task.total - task.completed, 0) / rate))

    return AverageEtaColumn()


def format_duration(seconds: float) -> str:
    """``H:MM:SS``."""
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"
