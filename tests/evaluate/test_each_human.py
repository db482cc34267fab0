"""Scoring against each human review (Liang et al.'s setting) with the offline structured extractor."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.errors import ConfigError
from reviewgpt.evaluate import run
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.evaluate.extract import HumanReview, StructuredPointExtractor, split_items, structured_points
from reviewgpt.evaluate.points import CRITICISM, criticism_aspects, point_text
from reviewgpt.records.crawl import CrawledPaper, Reply
from reviewgpt.records.evaluate import HumanPoints, MatchResult
from reviewgpt.store import StageRun, read_records
from reviewgpt.testing.evaluate_inputs import TitleJudge, review, write_dataset, write_predictions

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "neurips2025"

HUMANS = {  # forum -> {review id: fields}
    "p1": {
        "r1": {"summary": "The paper proposes a method.", "strengths": "- Novel idea: a new take.",
               "weaknesses": "- Weak baselines: they are old.\n- No ablation: there is none.", "rating": 4},
        "r2": {"summary": "A method.", "strengths_and_weaknesses": "Strengths:\n- Clear: well written.\n"
               "Weaknesses:\n- Small data: one dataset only.", "questions": "Unclear proofs: can you explain Lemma 2?"},
    },
    "p2": {"r3": {"summary": "A method.", "weaknesses": "Vague: the setting is never defined precisely."}},
}


def _crawl(data_dir: Path) -> None:
    with StageRun(data_dir, "crawl", "c1") as stage:
        for forum, reviews in HUMANS.items():
            replies = [Reply(id=rid, kind="review", invitation="x/-/Official_Review", fields=fields)
                       for rid, fields in reviews.items()]
            stage.append(CrawledPaper(forum=forum, venue_id="NeurIPS.cc/2025/Conference", api_version=2, replies=replies))


@pytest.fixture
def inputs(data_dir: Path) -> Path:
    write_dataset(data_dir, {"p1": review(rejection=["Weak baselines"]), "p2": review(rejection=["Vague"])})
    write_predictions(data_dir, [
        # significance and acceptance points are not criticisms: "Novel idea" must not meet r1's strength
        ("sysA", "p1", 0, review(significance=["Novel idea"], rejection=["Weak baselines", "Small data"])),
        ("sysA", "p2", 0, review(rejection=["Other"], suggestions=["Vague"])),
    ])
    _crawl(data_dir)
    return data_dir


def test_each_generated_review_against_each_human_review(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    cfg = EvaluateConfig(data_dir=inputs, version="e1", reference="each-human", humans="c1", bootstrap=0, plots=False)
    report = run(cfg, judge=TitleJudge())
    path = report.path
    points = {r.review_id: [point_text(p) for p in r.points] for r in read_records(path / "human_points.jsonl", HumanPoints)}
    assert points == {
        "r1": ["Weak baselines: they are old.", "No ablation: there is none."],
        "r2": ["Small data: one dataset only.", "Unclear proofs: can you explain Lemma 2?"],
        "r3": ["Vague: the setting is never defined precisely."],
    }
    records = {(r.system, r.forum, r.reference): r for r in read_records(path / "matches.jsonl", MatchResult)}
    first = records[("sysA", "p1", "human:r1")]
    assert first.points_a == ["Weak baselines: Detail about weak baselines.", "Small data: Detail about small data."]
    assert set(first.aspects_a) == set(first.aspects_b) == {CRITICISM}
    assert (first.hits, first.hit_rate) == (1, 0.5)
    assert (records[("sysA", "p1", "human:r2")].hits, records[("sysA", "p1", "human:r2")].hit_rate) == (1, 0.5)
    assert records[("sysA", "p2", "human:r3")].hit_rate == 0.5  # "Vague" is a suggestion: still a criticism
    # the ceiling: r1 against r2 and back; p2 has one review, so no pair
    assert {k for k in records if k[0] == "human"} == {("human", "p1", "human:r2"), ("human", "p1", "human:r1")}
    assert all(r.hits == 0 for k, r in records.items() if k[0] == "human")
    summary = json.loads((path / "summary.json").read_text())
    assert (summary["reference"], summary["extractor"]) == ("each-human", "structured")
    # p1: mean over its two human reviews (0.5, 0.5); p2: 0.5
    assert summary["systems"]["sysA"]["mean_hit_rate"] == pytest.approx(0.5)
    assert summary["per_paper"]["sysA"]["p1"]["samples"] == 2
    assert summary["human_human"]["mean_hit_rate"] == 0.0
    # one version, one setting: the aggregated reference cannot be mixed in
    with pytest.raises(ConfigError, match="reference"):
        run(cfg.model_copy(update={"reference": "aggregated"}), judge=TitleJudge())


def test_aggregated_reference_is_still_the_default(inputs: Path) -> None:
    report = run(EvaluateConfig(data_dir=inputs, version="e2", bootstrap=0, plots=False), judge=TitleJudge())
    references = {r.reference for r in read_records(report.path / "matches.jsonl", MatchResult)}
    assert references == {"human"} and not (report.path / "human_points.jsonl").exists()


def test_cli_each_human_offline(inputs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from reviewgpt.cli import app

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setattr("reviewgpt.evaluate._pipeline._make_judge", lambda cfg: (TitleJudge(), None))
    result = CliRunner().invoke(app, ["evaluate", "--data-dir", str(inputs), "--version", "e3", "--reference", "each-human",
                                      "--extractor", "structured", "--set", "bootstrap=0", "--set", "plots=false"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((inputs / "evaluate/e3/manifest.json").read_text())
    assert manifest["params"]["extractor_resolved"] == "structured" and manifest["params"]["reference"] == "each-human"
    assert manifest["inputs"][-1]["stage"] == "crawl"  # --humans defaults to crawl's LATEST


def test_criticism_aspects() -> None:
    assert criticism_aspects(["4-aspect"]) == ["Potential reasons for rejection", "Suggestions for improvement"]
    assert criticism_aspects(["7-aspect"]) == ["Potential reasons for rejection", "Other suggestions for improving the paper"]


def test_split_items_bullets_headings_and_sentences() -> None:
    text = "Experiments:\n- The baselines are from 2019 only.\n  They miss recent work.\n- Key issue:\n  - No error bars are given.\n- n/a"
    assert split_items(text) == [
        "Experiments: The baselines are from 2019 only. They miss recent work.", "Key issue: No error bars are given.",
    ]
    assert split_items("The proofs are hard to follow. Lemma 2 lacks a condition! Why not test on ImageNet?") == [
        "The proofs are hard to follow.", "Lemma 2 lacks a condition!", "Why not test on ImageNet?",
    ]
    assert split_items("None.") == []


def test_structured_points_on_real_neurips_reviews() -> None:
    data = json.loads((SAMPLE / "reviews/004uTlSufe.json").read_text())
    from reviewgpt.crawl._import import reply_of  # the import's own reading of a PeerRead review

    replies = [reply_of(r, "004uTlSufe", i, "NeurIPS.cc/2025/Conference") for i, r in enumerate(data["reviews"])]
    reviews = [r for r in replies if r.kind == "review"]
    second = [point_text(p) for p in structured_points(reviews[1].fields)]
    assert second[0].startswith("There are some limitations on experiments; tests are done on a simple 1,000-dimensional")
    assert any(p.startswith("How would ORA behave on realistic DP-SGD workloads") for p in second)  # a question
    assert not any("clearly explains its main idea" in p for p in second)  # a strength
    assert not any(p.startswith("The paper addresses the problem") for p in second)  # the summary
    first = [point_text(p) for p in structured_points(reviews[0].fields)]
    # the combined field's weaknesses half, with a bullet that heads its sub-bullet
    assert first[0] == "Narrow empirical scope: Evaluations are limited to synthetic settings and DP-SGD."
    assert any(p.startswith("No exploration of abstention strategies under real-world constraints: How would one") for p in first)
    assert not any("Comprehensive analysis" in p for p in first)
    extractor = StructuredPointExtractor()
    [(got, points)] = list(extractor.extract_all([HumanReview("004uTlSufe", reviews[1].id, "", dict(reviews[1].fields))]))
    assert [point_text(p) for p in points] == second and extractor.name == "structured"


def test_generic_review_baseline_script(inputs: Path) -> None:
    import subprocess
    import sys

    script = Path(__file__).resolve().parents[2] / "scripts" / "generic_review_baseline.py"
    result = subprocess.run([sys.executable, str(script), "--data-dir", str(inputs), "--references", "d1", "--version", "g"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in (inputs / "infer/g/predictions.jsonl").read_text().splitlines()]
    assert [(r["forum"], r["system"], r["n_points"]) for r in rows] == [("p1", "generic", 11), ("p2", "generic", 11)]
    assert rows[0]["text"] == rows[1]["text"]
    report = run(EvaluateConfig(data_dir=inputs, predictions=["g"], version="eg", reference="each-human", humans="c1",
                                extractor="structured", bootstrap=0, plots=False), judge=TitleJudge())
    summary = json.loads((report.path / "summary.json").read_text())
    assert summary["systems"]["generic"]["papers"] == 2
