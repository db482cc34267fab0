"""The stage protocol: plan items -> process each -> write its outcome; progress and errors handled here.

Every stage has the same shape. It opens a :class:`~reviewgpt.store.StageRun` (version folder,
lock, manifest, resume, failure threshold), plans the items still to do (``run.done_ids()`` names
the ones an earlier attempt wrote), and turns each item into one or more *outcomes*:

- :class:`Written`: a record to append (to the run's records file, or to a named artifact);
- :class:`Failed`: an item that failed (one ``errors.jsonl`` line and one log line);
- :class:`Skipped`: an item left out on purpose (counted by reason in the manifest).

:func:`run_items` is the one loop that draws the progress bar and writes the outcomes; leaving the
StageRun's block then finishes the manifest and applies the failure rule (``--max-failures``,
``--strict``). Items can come in any order and any grouping: a process pool's results as they
finish (parse), batches of generated samples (infer), examples spread over split files (dataset).
A stage whose work is one long item (train: the model) uses only the StageRun's open and finish.

Example::

    with StageRun(data_dir, "parse", version, params=params, inputs=[crawl]) as run:
        done = run.done_ids()
        todo = [paper for paper in papers if paper.forum not in done]
        run_items(run, todo, parse_one, total=len(todo), description="parse")
    report = run.report()

where ``parse_one(paper)`` returns ``Written(record)``, ``Failed(paper.forum, "corrupt-pdf", str(exc))``
or ``Skipped(paper.forum, "no-pdf")``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from reviewgpt.progress import track
from reviewgpt.store import StageRun

__all__ = ["Failed", "Outcome", "Skipped", "Written", "run_items", "write_outcome"]

T = TypeVar("T")


@dataclass(frozen=True)
class Written:
    """A record to append and flush.

    Args:
        record: the record (a model or a plain dict).
        artifact: the file to append to; None: the run's records file.
        counted: whether it counts as an ``ok`` item; None: only when it goes to the records file
            (a side file such as extracted points is not an item of the stage).
    """

    record: BaseModel | dict[str, Any]
    artifact: str | os.PathLike[str] | None = None
    counted: bool | None = None


@dataclass(frozen=True)
class Failed:
    """An item that failed: ``raw`` (an invalid answer as received, say) goes to errors.jsonl only."""

    id: str
    error: str
    detail: str | None = None
    raw: Any = None


@dataclass(frozen=True)
class Skipped:
    """An item left out on purpose, and why."""

    id: str
    reason: str


Outcome = Written | Failed | Skipped


def write_outcome(run: StageRun, outcome: Outcome) -> None:
    """Write one outcome to ``run``: append the record, or record the failure or the skip."""
    if isinstance(outcome, Written):
        run.append(outcome.record, outcome.artifact, count=outcome.counted)
    elif isinstance(outcome, Failed):
        run.fail(outcome.id, outcome.error, outcome.detail, raw=outcome.raw)
    elif isinstance(outcome, Skipped):
        run.skip(outcome.id, outcome.reason)
    else:
        raise TypeError(f"not a stage outcome: {outcome!r}")


def run_items(
    run: StageRun,
    items: Iterable[T],
    process: Callable[[T], Outcome | Iterable[Outcome] | None] | None = None,
    *,
    total: int | None = None,
    description: str | None = None,
    per_hour: str | None = None,
) -> None:
    """Process ``items`` one by one and write what each gives, with a progress bar over the items.

    Args:
        run: the open StageRun to write to.
        items: the planned items, in the order they are to be written (or finish).
        process: turns one item into an outcome, several, or None (nothing to write yet: a
            batch still incomplete, say); None when ``items`` are outcomes already.
        total: the number of items, for the bar.
        description: the bar's label; None draws no bar (the item source draws its own).
        per_hour: also show the rate as ``N <per_hour>/hour``.
    """
    if description is not None:
        items = track(items, total, description, per_hour=per_hour)
    for item in items:
        result = item if process is None else process(item)
        if result is None:
            continue
        if isinstance(result, (Written, Failed, Skipped)):
            write_outcome(run, result)
        else:
            for outcome in result:
                write_outcome(run, outcome)
