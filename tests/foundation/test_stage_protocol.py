"""The stage protocol: one driver writes records, failures and skips for every stage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reviewgpt.artifacts import ERRORS
from reviewgpt.errors import RunFailedError
from reviewgpt.stage import Failed, Skipped, Written, run_items
from reviewgpt.store import StageRun, iter_jsonl, latest_version, read_manifest

ITEMS = ["a", "b-bad", "c", "d-skip", "e"]


def toy_process(item: str):
    """A toy stage: ``-bad`` items fail, ``-skip`` items are left out, the rest become records."""
    if item.endswith("-bad"):
        return Failed(item, "toy-error", "it was bad", raw={"answer": "?"})
    if item.endswith("-skip"):
        return Skipped(item, "toy-reason")
    return Written({"forum": item, "text": item.upper()})


def run_toy(data_dir: Path, items: list[str], process=toy_process, **kwargs) -> StageRun:
    with StageRun(data_dir, "parse", "v1", **kwargs) as run:
        done = run.done_ids()
        todo = [item for item in items if item not in done]
        run_items(run, todo, process, total=len(todo), description="toy")
    return run


def test_records_failures_and_skips_are_written_and_counted(tmp_path: Path) -> None:
    run = run_toy(tmp_path, ITEMS)
    assert [r["forum"] for r in iter_jsonl(run.path / "papers.jsonl")] == ["a", "c", "e"]
    errors = list(iter_jsonl(run.path / ERRORS))
    assert errors == [{"id": "b-bad", "stage": "parse", "error": "toy-error", "detail": "it was bad",
                       "raw": {"answer": "?"}}]
    manifest = read_manifest(run.path)
    assert manifest["status"] == "finished"
    assert manifest["counts"] == {"ok": 3, "skipped": 1, "failed": 1}
    assert manifest["skipped_reasons"] == {"toy-reason": 1}
    assert latest_version(tmp_path, "parse") == "v1"


def test_resume_processes_only_items_not_done(tmp_path: Path) -> None:
    run_toy(tmp_path, ["a", "c"])
    seen: list[str] = []

    def process(item: str):
        seen.append(item)
        return toy_process(item)

    run = run_toy(tmp_path, ITEMS, process)
    assert seen == ["b-bad", "d-skip", "e"]
    assert [r["forum"] for r in iter_jsonl(run.path / "papers.jsonl")] == ["a", "c", "e"]
    assert read_manifest(run.path)["counts"] == {"ok": 3, "skipped": 1, "failed": 1}


def test_one_item_may_give_several_outcomes_or_none(tmp_path: Path) -> None:
    def batch(items: list[str]):
        return [toy_process(item) for item in items] if items else None

    with StageRun(tmp_path, "parse", "v1") as run:
        run_items(run, [["a", "b-bad"], [], ["c"]], batch)
        run_items(run, [Written({"forum": "side"}, "side.jsonl"), Written({"forum": "x"}, "x.jsonl", counted=True)])
    assert [r["forum"] for r in iter_jsonl(run.path / "papers.jsonl")] == ["a", "c"]
    assert [r["forum"] for r in iter_jsonl(run.path / "side.jsonl")] == ["side"]
    # a side file does not count as an item unless it says so
    assert run.counts == {"ok": 3, "skipped": 0, "failed": 1}


def test_failures_past_the_limit_fail_the_run_and_keep_latest(tmp_path: Path) -> None:
    with pytest.raises(RunFailedError, match="--strict allows none"):
        run_toy(tmp_path, ITEMS, max_failures=0)
    manifest = json.loads((tmp_path / "parse" / "v1" / "manifest.json").read_text())
    assert manifest["status"] == "failed"
    assert "b-bad: toy-error" in manifest["error"]
    assert latest_version(tmp_path, "parse") is None


def test_failures_within_the_limit_finish(tmp_path: Path) -> None:
    run = run_toy(tmp_path, ITEMS, max_failures=1)
    assert read_manifest(run.path)["status"] == "finished"


def test_a_run_with_only_failures_and_skips_fails(tmp_path: Path) -> None:
    with pytest.raises(RunFailedError, match="no record written"):
        run_toy(tmp_path, ["b-bad", "d-skip"])


def test_an_unknown_outcome_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="not a stage outcome"), StageRun(tmp_path, "parse", "v1") as run:
        run_items(run, ["a"], lambda item: {"forum": item})
