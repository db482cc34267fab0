"""A cut-off or damaged PDF is named as such; a killed run shows as interrupted in ``status``."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from reviewgpt.store import iter_jsonl, latest_version

from .conftest import run_cli


def _pdfs(data: Path) -> dict[str, Path]:
    return {p["forum"]: Path(p["pdf_path"]) for p in iter_jsonl(data / "crawl" / "c1" / "papers.jsonl")}


def test_truncated_and_damaged_pdfs_are_named_not_called_scans(crawled: Path) -> None:
    pdfs = _pdfs(crawled)
    truncated, damaged, *_ = sorted(pdfs)
    blob = pdfs[truncated].read_bytes()
    pdfs[truncated].write_bytes(blob[: len(blob) * 9 // 10])  # an interrupted download
    blob = pdfs[damaged].read_bytes()
    pdfs[damaged].write_bytes(blob[:1000] + b"\0" * (len(blob) - 2000) + blob[-1000:])  # zeroed-out middle
    result = run_cli("parse", "--data-dir", str(crawled), "--version", "p1", "--workers", "1")
    assert result.returncode == 0, result.stderr
    errors = {e["id"]: e for e in iter_jsonl(crawled / "parse" / "p1" / "errors.jsonl")}
    assert errors[truncated]["error"] == "truncated-pdf" and "truncated PDF" in errors[truncated]["detail"]
    assert errors[damaged]["error"] == "damaged-pdf" and "damaged PDF" in errors[damaged]["detail"]
    assert len(errors) == 2
    assert "failed=2" in result.stdout
    assert latest_version(crawled, "parse") == "p1"


WRITER = textwrap.dedent(
    """
    import sys, time
    from reviewgpt.store import StageRun
    with StageRun(sys.argv[1], "parse", "v1") as run:
        for i in range(10_000):
            run.append({"forum": f"p{i}"})
            print(i, flush=True)
            time.sleep(0.05)
    """
)


def _status_of(data: Path, version: str) -> str:
    shown = run_cli("status", "--data-dir", str(data))
    assert shown.returncode == 0, shown.stderr
    [row] = [line for line in shown.stdout.splitlines() if version in line]
    return row


def test_status_shows_a_killed_run_as_interrupted(data_dir: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(data_dir)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        proc.stdout.readline()
        assert "running" in _status_of(data_dir, "v1")  # alive: it is running
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    row = _status_of(data_dir, "v1")
    assert "interrupted" in row and "running" not in row
