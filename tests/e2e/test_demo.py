"""``reviewgpt demo`` as a user runs it: a fresh process, every stage for real on the sample venue,
with the real embedded model fine-tuned on CPU."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reviewgpt.testing.review_checks import complete, count_complete, reads_as_english

STAGES = ["crawl", "parse", "aggregate", "dataset", "train", "infer", "evaluate"]

_GOOD = (
    "[Significance and novelty]\n<A simple idea> The paper applies a known trick to a new task, which is "
    "useful for the community.\n\n[Potential reasons for acceptance]\n<Consistent gains> The gains are "
    "consistent across seeds and datasets.\n\n[Potential reasons for rejection]\n<Few baselines> Only one "
    "baseline is compared, and it is not the strongest one in the area.\n\n[Suggestions for improvement]\n"
    "<Add baselines> Compare with recent methods and report the variance of the results over more seeds."
)


def test_the_checks_tell_reviews_from_noise() -> None:
    good = _GOOD
    assert complete(good) and reads_as_english(good)
    assert not complete(good.split("[Suggestions")[0])
    assert not reads_as_english("[Suggggggestions for improvement]\n<tab class=x> " + "zq xv " * 40)


def test_count_complete_reads_an_infer_output(tmp_path: Path) -> None:
    texts = [_GOOD, _GOOD.split("[Suggestions")[0], "zq xv " * 40]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps({"forum": "f", "sample": i, "text": t}) + "\n" for i, t in enumerate(texts)))
    assert count_complete(path) == (1, 3)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, subprocess.CompletedProcess]:
    """One demo run, shared by the tests below (it takes minutes)."""
    data = tmp_path_factory.mktemp("demo") / "data"
    proc = subprocess.run(
        [sys.executable, "-m", "reviewgpt", "demo", "--data-dir", str(data), "--version", "e2e"],
        capture_output=True, text=True, timeout=2400,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return data, proc


def _predictions(data: Path) -> list[dict]:
    return [json.loads(line) for line in (data / "infer" / "e2e" / "predictions.jsonl").open()]


def test_demo_runs_every_stage_and_ends_with_the_report(demo) -> None:
    data, proc = demo
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

    # an adapter on the real model, reviews for 5 test papers, and the report they lead to
    adapter_config = json.loads((data / "train" / "e2e" / "adapter" / "adapter_config.json").read_text())
    assert "smollm2-135m-instruct" in adapter_config["base_model_name_or_path"]
    test_papers = {json.loads(line)["id"] for line in (data / "dataset" / "e2e" / "test.jsonl").open()}
    predictions = _predictions(data)
    reviewed = {p["forum"] for p in predictions}
    assert len(reviewed) == 5 and reviewed <= test_papers
    assert all(sum(p["forum"] == f for p in predictions) == 2 for f in reviewed)  # 2 samples each
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

    # the real model learnt something: its last training losses are well below its first
    rows = [json.loads(line) for line in (data / "train" / "e2e" / "metrics.jsonl").open()]
    losses = [row["loss"] for row in rows if "loss" in row]  # the last row is the validation's eval_loss
    assert sum(losses[-5:]) / 5 < 0.2 * sum(losses[:3]) / 3, losses


def test_most_demo_reviews_are_complete_english_reviews(demo) -> None:
    """Four demo runs with the shipped settings gave 6, 8, 9 and 9 of 10 (docs/demo.md; a demo trains an
    unseeded adapter, so runs differ): the gate is 5, under the lowest of them."""
    data, _ = demo
    predictions = _predictions(data)
    good = [p for p in predictions if complete(p["text"]) and reads_as_english(p["text"])]
    assert len(good) >= 5, f"{len(good)} of {len(predictions)} complete:\n\n" + "\n\n---\n\n".join(
        p["text"] for p in predictions
    )
