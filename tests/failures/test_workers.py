"""Worker pools: start-up does not count against a task's time limit; workers die with their parent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reviewgpt.parse._pool import TaskFailure, run_with_deadlines

from .conftest import CLI
from .slow_start_worker import quick

psutil = pytest.importorskip("psutil")


def test_parse_timeout_does_not_count_worker_start_up() -> None:
    results = dict(run_with_deadlines(quick, range(6), workers=2, time_limit=1.0))
    failures = {task: r for task, r in results.items() if isinstance(r, TaskFailure)}
    assert not failures, failures  # each task takes microseconds once its worker is up
    assert results == {i: 2 * i for i in range(6)}


def test_a_task_that_overruns_still_times_out() -> None:
    results = dict(run_with_deadlines(time.sleep, [5.0, 0.0], workers=1, time_limit=1.0))
    assert isinstance(results[5.0], TaskFailure) and results[5.0].reason == "timeout"
    assert results[0.0] is None


def _children_once_started(proc: subprocess.Popen, want: int, timeout: float = 120) -> list:
    parent = psutil.Process(proc.pid)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the stage ended before its workers could be seen"
        kids = [k for k in parent.children(recursive=True) if "resource_tracker" not in " ".join(k.cmdline())]
        if len(kids) >= want:
            return kids
        time.sleep(0.05)
    raise AssertionError(f"fewer than {want} workers appeared")


def _assert_all_gone(kids: list, timeout: float = 15) -> None:
    gone, alive = psutil.wait_procs(kids, timeout=timeout)
    for kid in alive:  # do not leave them behind for the next test
        kid.kill()
    assert not alive, f"{len(alive)} worker(s) outlived their killed parent"


def test_killed_build_dataset_leaves_no_tokenizer_worker(dataset_inputs: Path) -> None:
    data, tokenizer = dataset_inputs
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "build-dataset", "--data-dir", str(data), "--tokenizer", str(tokenizer),
         "--workers", "2", "--set", "chunk_size=1", "--version", "d1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    kids = _children_once_started(proc, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _assert_all_gone(kids)


def test_killed_parse_leaves_no_worker(crawled: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "parse", "--data-dir", str(crawled), "--workers", "2", "--version", "p1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    kids = _children_once_started(proc, 2)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _assert_all_gone(kids)
