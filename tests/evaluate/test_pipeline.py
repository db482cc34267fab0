"""The evaluate stage end to end with a deterministic judge: records, summary, resume, report."""

from __future__ import annotations

import json

import pytest

from reviewgpt.errors import ConfigError
from reviewgpt.evaluate import run
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.records.evaluate import MatchResult
from reviewgpt.store import iter_jsonl, read_records
from reviewgpt.testing.evaluate_inputs import TitleJudge, review, write_dataset, write_predictions

REFERENCES = {
    "p1": review(significance=["Novel idea"], rejection=["Weak baselines", "No ablation"]),
    "p2": review(rejection=["Unclear writing"]),
}
PREDICTIONS = [
    ("sysA", "p1", 0, review(significance=["Novel idea"], rejection=["Weak baselines"])),  # 2 hits / 2
    ("sysA", "p1", 1, review(rejection=["No ablation", "Weak proofs"])),  # 1 hit / 2 ("Weak" alone: 6)
    ("sysA", "p2", 0, review(rejection=["Unclear writing"])),  # 1 / 1
    ("sysB", "p1", 0, review(rejection=["Novel idea"])),  # a rejection point: no match within aspect
    ("sysB", "p2", 0, "I could not write a review."),  # unparsable: 0 points
    ("sysB", "p9", 0, review(rejection=["Other paper"])),  # not in the references
]


@pytest.fixture
def inputs(data_dir):
    write_dataset(data_dir, REFERENCES)
    write_predictions(data_dir, PREDICTIONS)
    return data_dir


def test_matches_summary_and_win_tie_loss(inputs, title_judge):
    report = run(EvaluateConfig(data_dir=inputs, version="e1", bootstrap=100, plots=False), judge=title_judge)
    assert report.counts == {"ok": 5, "skipped": 1, "failed": 0}
    records = {(r.system, r.forum, r.sample): r for r in read_records(report.path / "matches.jsonl", MatchResult)}
    first = records[("sysA", "p1", 0)]
    assert first.points_a == ["Novel idea: Detail about novel idea.", "Weak baselines: Detail about weak baselines."]
    assert first.aspects_b == ["Significance and novelty", "Potential reasons for rejection", "Potential reasons for rejection"]
    # indices are into the whole review (B2 = Weak baselines), not into the aspect's own list
    assert [(m.a, m.b) for m in first.matches] == [(1, 1), (2, 2)]
    assert (first.hits, first.hit_rate, first.judge) == (2, 1.0, "test:title")
    second = records[("sysA", "p1", 1)]
    assert [(m.a, m.b, m.similarity) for m in second.matches] == [(1, 3, 9.0), (2, 2, 6.0)]
    assert (second.hits, second.hit_rate) == (1, 0.5)
    assert (records[("sysB", "p1", 0)].hits, records[("sysB", "p2", 0)].points_a) == (0, [])

    summary = json.loads((report.path / "summary.json").read_text())
    a = summary["systems"]["sysA"]
    assert (a["papers"], a["reviews"], a["mean_hits"], a["mean_hit_rate"]) == (2, 3, 1.25, 0.875)
    assert summary["per_paper"]["sysA"]["p1"] == {"mean_hits": 1.5, "mean_hit_rate": 0.75, "samples": 2}
    assert summary["systems"]["sysB"]["mean_hit_rate"] == 0.0
    assert summary["systems"]["sysB"]["review_shape"]["no_points"] == 1
    assert summary["pairs"] == [
        {"a": "sysA", "b": "sysB", "papers": 2, "by_hits": {"win": 2, "tie": 0, "loss": 0},
         "by_hit_rate": {"win": 2, "tie": 0, "loss": 0}}
    ]
    assert summary["human_human"] is None
    manifest = json.loads((report.path / "manifest.json").read_text())
    assert manifest["status"] == "finished" and manifest["params"]["judge"] == "test:title"


def test_rejection_only_compares_criticisms(inputs, title_judge):
    report = run(EvaluateConfig(data_dir=inputs, version="e1", aspects="rejection", bootstrap=0, plots=False), judge=title_judge)
    record = next(r for r in read_records(report.path / "matches.jsonl", MatchResult)
                  if (r.system, r.forum, r.sample) == ("sysA", "p1", 0))
    assert record.points_a == ["Weak baselines: Detail about weak baselines."]
    assert len(record.points_b) == 2
    assert (record.hits, record.hit_rate) == (1, 1.0)


def test_across_aspects_a_rejection_point_can_match_a_novelty_point(inputs, title_judge):
    report = run(EvaluateConfig(data_dir=inputs, version="e1", within_aspect=False, bootstrap=0, plots=False), judge=title_judge)
    record = next(r for r in read_records(report.path / "matches.jsonl", MatchResult) if r.system == "sysB" and r.forum == "p1")
    assert record.hits == 1


def test_a_failed_comparison_fails_its_review_and_a_rerun_judges_only_what_is_missing(inputs):
    broken = TitleJudge(fail_on="No ablation")
    report = run(EvaluateConfig(data_dir=inputs, version="e1", bootstrap=0, plots=False), judge=broken)
    assert report.counts["failed"] == 1 and report.counts["ok"] == 4
    (error,) = list(iter_jsonl(report.path / "errors.jsonl"))
    assert error["id"] == "sysA:p1:1:human" and "judge broke" in error["detail"]

    again = TitleJudge()
    report = run(EvaluateConfig(data_dir=inputs, version="e1", bootstrap=0, plots=False), judge=again)
    assert report.counts["ok"] == 5 and report.counts["failed"] == 0
    assert {c.key.split("|")[0] for c in again.seen} == {"sysA:p1:1:human"}
    assert len(list(iter_jsonl(report.path / "matches.jsonl"))) == 5


def test_a_rerun_with_other_judging_settings_is_refused(inputs, title_judge):
    run(EvaluateConfig(data_dir=inputs, version="e1", bootstrap=0, plots=False), judge=title_judge)
    with pytest.raises(ConfigError, match="threshold 7.0 -> 8.0"):
        run(EvaluateConfig(data_dir=inputs, version="e1", threshold=8, bootstrap=0, plots=False), judge=title_judge)


def test_the_same_system_sample_in_two_infer_versions_is_refused(inputs, title_judge):
    write_predictions(inputs, PREDICTIONS[:1], version="i2")
    with pytest.raises(ConfigError, match="'sysA' paper p1 sample 0 is in infer/i1 and infer/i2"):
        run(EvaluateConfig(data_dir=inputs, predictions="i1,i2", plots=False), judge=title_judge)


def test_several_infer_versions_and_limit(inputs, title_judge):
    write_predictions(inputs, [("sysC", "p1", 0, REFERENCES["p1"]), ("sysC", "p2", 0, REFERENCES["p2"])], version="i2")
    report = run(EvaluateConfig(data_dir=inputs, predictions=["i1", "i2"], limit=1, bootstrap=0, plots=False), judge=title_judge)
    summary = json.loads((report.path / "summary.json").read_text())
    assert summary["systems"]["sysC"]["mean_hit_rate"] == 1.0
    assert {s["papers"] for s in summary["systems"].values()} == {1}
    assert [(p["a"], p["b"]) for p in summary["pairs"]] == [("sysA", "sysB"), ("sysA", "sysC"), ("sysB", "sysC")]


def test_report_renders_with_non_empty_png_images(inputs, title_judge):
    from PIL import Image

    report = run(EvaluateConfig(data_dir=inputs, version="e1", bootstrap=50), judge=title_judge)
    text = (report.path / "report.md").read_text()
    assert "| sysA | 2 | 3 | 1.25 [" in text and "87.50%" in text
    assert "| sysA | sysB | 2 | 2 / 0 / 0 | 2 / 0 / 0 |" in text
    images = [line.split("(")[1].rstrip(")") for line in text.splitlines() if line.startswith("![")]
    assert images == ["per_paper_hits.png", "win_tie_loss.png", "hit_rate_distribution.png", "review_shape.png"]
    for name in images:
        with Image.open(report.path / name) as image:
            assert image.format == "PNG"
            width, height = image.size
            assert width > 300 and height > 150
            # not a blank canvas: the plot drew something other than the background
            assert len(image.convert("L").getcolors(maxcolors=1 << 16) or []) > 10
