"""A resumed infer run draws exactly the samples an uninterrupted run draws (real processes, kill -9)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from reviewgpt.records import InstructionExample
from reviewgpt.store import StageRun, count_lines, iter_jsonl

from .conftest import INSTRUCTION, REVIEW, RUN, paper_text

CLI = "from reviewgpt.cli import main; main()"
PAPERS = 6


def _infer_args(data: Path, version: str) -> list[str]:
    return [
        sys.executable, "-c", CLI, "infer", "--data-dir", str(data), "--run", RUN, "--input", "many:test",
        "--samples", "2", "--version", version, "--set", "hf.max_batch_papers=1",
        "--set", "sampling.max_new_tokens=48", "--set", "sampling.temperature=1.0", "--set", "hf.device=cpu",
    ]


def _texts(data: Path, version: str) -> dict[tuple[str, int], str]:
    return {(r["forum"], r["sample"]): r["text"] for r in iter_jsonl(data / "infer" / version / "predictions.jsonl")}


def test_kill_and_resume_equals_an_uninterrupted_run(run_data: Path) -> None:
    with StageRun(run_data, "dataset", "many", records="test.jsonl", id_key="id") as run:
        for i in range(PAPERS):
            run.append(InstructionExample(id=f"paper{i}", instruction=INSTRUCTION, input=paper_text(i),
                                          output=REVIEW.format(i=i, j=i % 3), input_tokens=0, output_tokens=0))
    whole = subprocess.run(_infer_args(run_data, "whole"), capture_output=True, text=True, timeout=300)
    assert whole.returncode == 0, whole.stderr

    predictions = run_data / "infer" / "resumed" / "predictions.jsonl"
    for _attempt in range(3):  # kill it once it has written some papers and not all
        proc = subprocess.Popen(_infer_args(run_data, "resumed"), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while proc.poll() is None and count_lines(predictions) < 2:
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if count_lines(predictions) < 2 * PAPERS:
            break
        predictions.unlink()  # finished before the kill: try again
    written_before_kill = count_lines(predictions)
    assert 0 < written_before_kill < 2 * PAPERS
    resumed = subprocess.run(_infer_args(run_data, "resumed"), capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr

    expected, got = _texts(run_data, "whole"), _texts(run_data, "resumed")
    assert len(expected) == len(got) == 2 * PAPERS
    assert len(set(expected.values())) > PAPERS  # sampled, not greedy: the samples differ
    assert got == expected
