"""``reviewgpt demo`` as a user runs it: a fresh process, every stage for real on the sample venue."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

STAGES = ["crawl", "parse", "aggregate", "dataset", "train", "infer", "evaluate"]


def test_demo_runs_every_stage_and_ends_with_the_report(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "reviewgpt", "demo", "--data-dir", str(data), "--version", "e2e"],
        capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    for stage in STAGES:
        manifest = json.loads((data / stage / "e2e" / "manifest.json").read_text())
        assert manifest["status"] == "finished", stage
        assert manifest["counts"]["ok"] > 0 and manifest["counts"]["failed"] == 0, (stage, manifest["counts"])
        assert (data / stage / "LATEST").read_text().strip() == "e2e", stage
        assert f"{data / stage / 'e2e'}" in proc.stdout, stage  # it says where each output is

    # the papers went through the real parser and the crawl's both API shapes
    crawled = [json.loads(line) for line in (data / "crawl" / "e2e" / "papers.jsonl").open()]
    assert {p["api_version"] for p in crawled} == {1, 2}
    parsed = [json.loads(line) for line in (data / "parse" / "e2e" / "papers.jsonl").open()]
    assert all(p["text"].startswith("[TITLE]") and "[CONTENT]" in p["text"] for p in parsed)

    # a trained adapter, reviews for every test paper, and the report they lead to
    assert (data / "train" / "e2e" / "adapter" / "adapter_config.json").exists()
    test_papers = {json.loads(line)["id"] for line in (data / "dataset" / "e2e" / "test.jsonl").open()}
    predictions = [json.loads(line) for line in (data / "infer" / "e2e" / "predictions.jsonl").open()]
    assert {p["forum"] for p in predictions} == test_papers
    assert all(sum(p["forum"] == f for p in predictions) == 2 for f in test_papers)  # 2 samples each
    report = data / "evaluate" / "e2e" / "report.md"
    assert "mean hit rate" in report.read_text()
    assert str(report) in proc.stdout

    # logs went to stderr: stdout holds the results alone
    assert "== crawl" in proc.stderr and "== crawl" not in proc.stdout

    # the same --version again resumes: every stage is done, train is read back, not refused
    again = subprocess.run(
        [sys.executable, "-m", "reviewgpt", "demo", "--data-dir", str(data), "--version", "e2e"],
        capture_output=True, text=True, timeout=900,
    )
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert "train e2e already finished" in again.stderr
    assert str(report) in again.stdout
