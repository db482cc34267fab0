"""The stage's default offline judge (embedding) on real review text from tests/fixtures."""

from __future__ import annotations

import json
import re

from reviewgpt.evaluate import run
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.reviewtext import ReviewPoint, render_review
from reviewgpt.testing.evaluate_inputs import write_dataset, write_predictions


def bullets(text: str) -> list[ReviewPoint]:
    items = [item.strip() for item in text.split("*") if item.strip()]
    return [ReviewPoint(title=" ".join(item.split()[:5]), detail=item) for item in items]


def sentences(text: str) -> list[ReviewPoint]:
    found = [s.strip() for s in re.split(r"(?<=[.!?])\s+", text) if len(s.split()) > 4]
    return [ReviewPoint(title=" ".join(s.split()[:5]), detail=s) for s in found]


def test_real_review_against_itself_hits_everything_and_against_another_paper_little(fixtures_dir, data_dir, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    lantm = (fixtures_dir / "reviews" / "reviewadvisor" / "sample_review.txt").read_text()
    pros, cons = lantm.split("Pros:")[1].split("Cons:")
    reference = render_review(
        {"Potential reasons for acceptance": bullets(pros), "Potential reasons for rejection": bullets(cons)}, "4-aspect"
    )
    doc2vec = json.loads((fixtures_dir / "reviews" / "peerread_iclr2017" / "330.json").read_text())
    criticisms = [r["comments"] for r in doc2vec["reviews"] if "benchmark against" in r["comments"] or "pieces of this model" in r["comments"]]
    other = render_review({"Potential reasons for rejection": [p for text in criticisms for p in sentences(text)]}, "4-aspect")
    write_dataset(data_dir, {"lantm": reference})
    write_predictions(data_dir, [("copy", "lantm", 0, reference), ("other-paper", "lantm", 0, other)])

    report = run(EvaluateConfig(data_dir=data_dir, version="e1", bootstrap=0, plots=False))  # no key: embedding

    summary = json.loads((report.path / "summary.json").read_text())
    assert summary["judge"] == "embedding"
    assert summary["systems"]["copy"]["mean_hits"] == len(bullets(pros)) + len(bullets(cons))
    assert summary["systems"]["copy"]["mean_hit_rate"] == 1.0
    assert summary["systems"]["other-paper"]["mean_hit_rate"] <= 0.25
    assert summary["pairs"][0]["by_hits"] == {"win": 1, "tie": 0, "loss": 0}
