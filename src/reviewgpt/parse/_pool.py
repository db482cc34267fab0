"""A process pool that enforces a time limit per task by killing the worker that overruns.

``concurrent.futures`` cannot stop a running task, and MuPDF can spin inside C code on a
hostile PDF where no Python signal reaches it. Here each worker takes one task at a time
over its own pipe; the parent knows when each task started, kills a worker whose task runs
past the limit (or notices one that died, e.g. a segfault), reports that task as failed and
starts a fresh worker. Workers are spawned, not forked, so no lock held by a parent thread
(the progress bar's) is copied into them.

A task's clock starts when a worker that has finished starting up gets it: a spawned worker
first imports the parser (seconds on a loaded machine), and that time must not count against
the first papers. Workers die with the parent (:func:`reviewgpt.workers.die_with_parent`).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any

from reviewgpt.errors import RunFailedError
from reviewgpt.workers import die_with_parent

#: Seconds a worker gets to exit after its input closes before it is killed.
_SHUTDOWN_GRACE = 5.0
#: Seconds a worker may take to start (spawn and import the parser) before the run gives up.
_STARTUP_LIMIT = 300.0


@dataclass
class TaskFailure:
    """A task that produced no result: ``reason`` is ``timeout`` or ``worker-crashed``."""

    reason: str
    detail: str


class WorkerStartError(RunFailedError):
    """A worker process died, or took longer than ``_STARTUP_LIMIT``, before it was ready for its first task."""


#: What a worker sends once it has started (its imports done), before any task is sent to it.
_READY = "ready"


def _worker_main(func: Callable[[Any], Any], conn: Connection, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    conn.send(_READY)
    while True:
        try:
            task = conn.recv()
        except EOFError:
            return
        if task is None:
            return
        conn.send(func(task))


@dataclass
class _Worker:
    process: Any
    conn: Connection
    task: Any = None
    started: float = 0.0
    ready: bool = False
    spawned: float = field(default_factory=time.monotonic)


def run_with_deadlines(
    func: Callable[[Any], Any],
    tasks: Iterable[Any],
    *,
    workers: int,
    time_limit: float,
) -> Iterator[tuple[Any, Any]]:
    """Yield ``(task, func(task))`` as tasks finish, or ``(task, TaskFailure)`` for one that overran or crashed.

    ``func`` must be a picklable module-level function and should catch its own exceptions:
    an exception it raises kills its worker and is reported as ``worker-crashed``.

    Args:
        func: the work for one task, run in a worker process.
        tasks: the inputs; consumed lazily, at most ``workers`` in flight.
        workers: number of worker processes.
        time_limit: seconds a task may run before its worker is killed.
    """
    pool = _DeadlinePool(func, tasks, time_limit)
    try:
        for _ in range(max(1, workers)):
            pool.start_worker()
        while active := pool.live():
            deadline = min(pool.deadline(worker) for worker in active)
            ready = wait([w.conn for w in active], timeout=max(0.0, deadline - time.monotonic()))
            for worker in active:
                if not worker.ready:
                    pool.check_start(worker, worker.conn in ready)
                    continue
                ended = pool.ended_task(worker, worker.conn in ready)
                if ended is None:
                    continue
                task, result, replace = ended
                yield task, result
                if replace:
                    pool.replace(worker)
                else:
                    pool.feed(worker)
    finally:
        pool.stop_all()


class _DeadlinePool:
    """The workers of one :func:`run_with_deadlines` call and the tasks not yet handed out."""

    def __init__(self, func: Callable[[Any], Any], tasks: Iterable[Any], time_limit: float) -> None:
        self.ctx = mp.get_context("spawn")
        self.func = func
        self.pending = iter(tasks)
        self.time_limit = time_limit
        self.workers: list[_Worker] = []
        self.exhausted = False

    def start_worker(self) -> None:
        """Spawn a worker; it is fed once it says it is ready."""
        parent, child = self.ctx.Pipe()
        process = self.ctx.Process(target=_worker_main, args=(self.func, child, os.getpid()), daemon=True)
        process.start()
        child.close()
        self.workers.append(_Worker(process, parent))

    def feed(self, worker: _Worker) -> None:
        """Send the worker the next task, or leave it idle when there is none left."""
        task = _DONE if self.exhausted else next(self.pending, _DONE)
        if task is _DONE:
            self.exhausted = True
            worker.task = None
            return
        worker.task, worker.started = task, time.monotonic()
        worker.conn.send(task)

    def live(self) -> list[_Worker]:
        """Workers still starting up, and ready ones with a task."""
        return [w for w in self.workers if not w.ready or w.task is not None]

    def deadline(self, worker: _Worker) -> float:
        """When the worker's task (or, while it starts, its start-up) runs out of time."""
        return worker.started + self.time_limit if worker.ready else worker.spawned + _STARTUP_LIMIT

    def check_start(self, worker: _Worker, has_message: bool) -> None:
        """A starting worker: feed it once it is ready (or stop it when no task is left).

        Raises:
            WorkerStartError: it died, sent something else, or overran ``_STARTUP_LIMIT``.
        """
        if not has_message:
            if time.monotonic() - worker.spawned >= _STARTUP_LIMIT:
                raise WorkerStartError(f"a parse worker did not start within {_STARTUP_LIMIT:g} s")
            return
        _expect_ready(worker)
        if self.exhausted:
            _stop(worker, kill=False)
            self.workers.remove(worker)
        else:
            self.feed(worker)

    def ended_task(self, worker: _Worker, has_message: bool) -> tuple[Any, Any, bool] | None:
        """``(task, result or TaskFailure, whether the worker must be replaced)`` once the worker's
        task has ended (answered, crashed or overran); None while it still runs."""
        replace = False
        if has_message:
            try:
                result = worker.conn.recv()
            except (EOFError, OSError):
                code = worker.process.exitcode
                result = TaskFailure("worker-crashed", f"the worker process died (exit code {code})")
                replace = True
        elif time.monotonic() - worker.started >= self.time_limit:
            result = TaskFailure("timeout", f"no result after {self.time_limit:g} s; the worker was killed")
            replace = True
        else:
            return None
        task, worker.task = worker.task, None
        return task, result, replace

    def replace(self, worker: _Worker) -> None:
        """Kill a worker that crashed or overran, and start a fresh one while tasks are left."""
        _stop(worker, kill=True)
        self.workers.remove(worker)
        if not self.exhausted:
            self.start_worker()

    def stop_all(self) -> None:
        for worker in self.workers:
            _stop(worker, kill=worker.task is not None or not worker.ready)


def _expect_ready(worker: _Worker) -> None:
    try:
        message = worker.conn.recv()
    except (EOFError, OSError):
        worker.process.join(_SHUTDOWN_GRACE)
        raise WorkerStartError(
            f"a parse worker died while starting (exit code {worker.process.exitcode})"
        ) from None
    if message != _READY:
        raise WorkerStartError(f"a parse worker sent {message!r} before saying it was ready")
    worker.ready = True


class _Done:
    pass


_DONE = _Done()


def _stop(worker: _Worker, *, kill: bool) -> None:
    if kill:
        worker.process.kill()
    else:
        try:
            worker.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
    worker.process.join(_SHUTDOWN_GRACE)
    if worker.process.is_alive():
        worker.process.kill()
        worker.process.join()
    worker.conn.close()
