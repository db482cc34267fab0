"""evaluate on explicit files: a predictions .jsonl and a references split file, or standard input."""

from __future__ import annotations

import io
import json

from reviewgpt.evaluate import run
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.testing.evaluate_inputs import review, write_dataset, write_predictions

REFERENCES = {"p1": review(rejection=["Weak baselines", "No ablation"]), "p2": review(rejection=["Unclear writing"])}
PREDICTIONS = [("sysA", "p1", 0, review(rejection=["Weak baselines"])), ("sysA", "p2", 0, review(rejection=["Other"]))]


def test_files_instead_of_versions(tmp_path, title_judge, monkeypatch):
    source, elsewhere = tmp_path / "made-elsewhere", tmp_path / "data"
    write_dataset(source, REFERENCES)
    write_predictions(source, PREDICTIONS)
    predictions = source / "infer" / "i1" / "predictions.jsonl"
    references = source / "dataset" / "d1" / "test.jsonl"

    report = run(EvaluateConfig(data_dir=elsewhere, version="e1", predictions=[str(predictions)],
                                references=str(references), bootstrap=50, plots=False), judge=title_judge)
    assert report.counts == {"ok": 2, "skipped": 0, "failed": 0}
    summary = json.loads((report.path / "summary.json").read_text())
    assert summary["systems"]["sysA"]["mean_hit_rate"] == 0.5  # p1: its one point a hit; p2: none

    # the predictions from standard input give the same figures
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(predictions.read_bytes())))
    again = run(EvaluateConfig(data_dir=elsewhere, version="e2", predictions=["-"], references=str(references),
                               bootstrap=50, plots=False), judge=title_judge)
    assert json.loads((again.path / "summary.json").read_text())["systems"] == summary["systems"]
