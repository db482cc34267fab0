"""The stage store: resumable, traceable, locked version folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from reviewgpt.errors import StoreError
from reviewgpt.records import Prediction
from reviewgpt.store import (
    LATEST,
    StageRun,
    iter_jsonl,
    latest_version,
    read_manifest,
    read_records,
    resolve_input,
)

WRITER = textwrap.dedent(
    """
    import sys, time
    from reviewgpt.store import StageRun
    data_dir, n, delay = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    with StageRun(data_dir, "parse", "v1", params={"n": n}) as run:
        done = run.done_ids()
        for i in range(n):
            if f"p{i}" in done:
                continue
            run.append({"forum": f"p{i}", "text": "x" * 100})
            print(i, flush=True)
            time.sleep(delay)
    """
)


def _start_writer(data_dir: Path, n: int, delay: float) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), str(n), str(delay)],
        stdout=subprocess.PIPE,
        text=True,
    )


def test_killed_run_loses_nothing_and_rerun_duplicates_nothing(data_dir: Path) -> None:
    proc = _start_writer(data_dir, 50, 0.02)
    assert proc.stdout is not None
    for _ in range(10):  # wait until 10 records were reported written
        proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    out = data_dir / "parse" / "v1" / "papers.jsonl"
    written = [r["forum"] for r in iter_jsonl(out)]
    assert len(written) >= 10
    assert latest_version(data_dir, "parse") is None  # never finished
    assert read_manifest(out.parent)["status"] == "running"

    # the dead process left its lock behind: the rerun takes it over and resumes
    proc = _start_writer(data_dir, 50, 0.0)
    proc.communicate(timeout=60)
    assert proc.returncode == 0
    forums = [r["forum"] for r in iter_jsonl(out)]
    assert sorted(forums) == sorted(f"p{i}" for i in range(50))
    assert len(forums) == len(set(forums))
    manifest = read_manifest(out.parent)
    assert manifest["status"] == "finished"
    assert manifest["counts"]["ok"] == 50
    assert latest_version(data_dir, "parse") == "v1"


def test_torn_last_line_is_repaired_on_resume(data_dir: Path) -> None:
    path = data_dir / "infer" / "v1"
    path.mkdir(parents=True)
    good = {"forum": "a", "sample": 0, "system": "s", "text": "t"}
    (path / "predictions.jsonl").write_text(json.dumps(good) + "\n" + '{"forum": "b", "sam')
    with StageRun(data_dir, "infer", "v1", records="predictions.jsonl", id_key="forum,sample") as run:
        assert run.done_ids() == {"a:0"}
        run.append(Prediction(forum="b", sample=0, system="s", text="t2"))
    records = list(read_records(path / "predictions.jsonl", Prediction))
    assert [(r.forum, r.sample) for r in records] == [("a", 0), ("b", 0)]


def test_manifest_records_params_inputs_counts_and_latest_moves_on_finish(data_dir: Path) -> None:
    with StageRun(data_dir, "crawl", "c1", params={"venues": ["X"]}) as crawl:
        crawl.append({"forum": "f1"})
    ref = resolve_input(data_dir, "crawl")
    assert ref.version == "c1"

    with StageRun(data_dir, "parse", "p1", params={"parser": "pymupdf"}, inputs=[ref]) as run:
        run.append({"forum": "f1"})
        run.fail("f2", "corrupt-pdf", "no %PDF header")
        run.skip("f3", "no-pdf")
        assert latest_version(data_dir, "parse") is None  # not before finishing
    manifest = read_manifest(data_dir / "parse" / "p1")
    assert manifest["stage"] == "parse" and manifest["version"] == "p1"
    assert manifest["params"] == {"parser": "pymupdf"}
    assert manifest["counts"] == {"ok": 1, "skipped": 1, "failed": 1}
    assert manifest["skipped_reasons"] == {"no-pdf": 1}
    assert manifest["inputs"][0]["version"] == "c1"
    assert len(manifest["inputs"][0]["manifest_sha256"]) == 64
    assert manifest["package_version"]
    errors = list(iter_jsonl(data_dir / "parse" / "p1" / "errors.jsonl"))
    assert errors == [{"id": "f2", "stage": "parse", "error": "corrupt-pdf", "detail": "no %PDF header"}]
    assert (data_dir / "parse" / LATEST).read_text().strip() == "p1"
    assert "corrupt-pdf" in (data_dir / "parse" / "p1" / "run.log").read_text()


def test_interrupted_run_keeps_latest_on_the_previous_version(data_dir: Path) -> None:
    with StageRun(data_dir, "parse", "old") as run:
        run.append({"forum": "a"})
    with pytest.raises(KeyboardInterrupt), StageRun(data_dir, "parse", "new") as run:
        run.append({"forum": "a"})
        raise KeyboardInterrupt
    assert latest_version(data_dir, "parse") == "old"
    assert read_manifest(data_dir / "parse" / "new")["status"] == "interrupted"


def test_lock_refuses_a_second_writer_naming_the_holder(data_dir: Path) -> None:
    with StageRun(data_dir, "parse", "v1") as run:
        with pytest.raises(StoreError, match=f"pid {os.getpid()}"), StageRun(data_dir, "parse", "v1"):
            pass
        run.append({"forum": "a"})
    with StageRun(data_dir, "parse", "v1"):  # released after the first finished
        pass


def test_lock_held_by_a_live_process_blocks(data_dir: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(data_dir), "1000", "0.05"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        holder.stdout.readline()
        with pytest.raises(StoreError, match=f"pid {holder.pid}"), StageRun(data_dir, "parse", "v1"):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_resolve_input_errors_name_the_stage(data_dir: Path) -> None:
    with pytest.raises(StoreError, match="no finished 'crawl' version"):
        resolve_input(data_dir, "crawl")
    with StageRun(data_dir, "crawl", "c1") as run:
        run.append({"forum": "a"})
    with pytest.raises(StoreError, match="known: c1"):
        resolve_input(data_dir, "crawl", "nope")


def test_reader_refuses_unknown_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"schema_version": 99, "forum": "a", "sample": 0, "system": "s", "text": "t"}) + "\n")
    with pytest.raises(StoreError, match="schema_version 99 is not supported"):
        list(read_records(path, Prediction))


def test_version_defaults_to_a_time_name(data_dir: Path) -> None:
    with StageRun(data_dir, "crawl") as run:
        run.append({"forum": "a"})
    assert len(run.version) == 15 and run.version[8] == "-"
    time.sleep(0)  # names sort by time
