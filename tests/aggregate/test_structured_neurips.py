"""The structured aggregator on real NeurIPS 2025 reviews imported with ``crawl --source peerread``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reviewgpt.aggregate._selection import select_reviews
from reviewgpt.aggregate._structured import aggregate_structured
from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.cli import app
from reviewgpt.records.crawl import CrawledPaper

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "neurips2025"
SIGNIFICANCE, ACCEPT = "Significance and novelty", "Potential reasons for acceptance"
REJECT, SUGGEST = "Potential reasons for rejection", "Suggestions for improvement"


@pytest.fixture(scope="module")
def papers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, CrawledPaper]:
    data_dir = tmp_path_factory.mktemp("data")
    result = CliRunner().invoke(app, ["crawl", "--source", "peerread", "--path", str(SAMPLE), "--no-pdfs",
                                      "--venue", "NeurIPS.cc/2025/Conference", "--data-dir", str(data_dir), "--version", "v"])
    assert result.exit_code == 0, result.output
    lines = (data_dir / "crawl/v/papers.jsonl").read_text().splitlines()
    return {p.forum: p for p in (CrawledPaper.model_validate(json.loads(line)) for line in lines)}


def _aspects(paper: CrawledPaper, schema: str, max_points: int = 10) -> dict[str, list[str]]:
    reviews = select_reviews(paper, AggregateConfig()).reviews
    assert len(reviews) == sum(r.kind == "review" for r in paper.replies)  # the decision is not a review
    return {name: [f"{p.title} | {p.detail}" for p in points] for name, points in aggregate_structured(reviews, schema, max_points=max_points).items()}


def _has(points: list[str], text: str) -> bool:
    return any(text in point for point in points)


def test_four_aspects_follow_the_review_form(papers: dict[str, CrawledPaper]) -> None:
    aspects = _aspects(papers["004uTlSufe"], "4-aspect")
    # strengths -> acceptance, weaknesses -> rejection, questions and limitations -> suggestions
    assert _has(aspects[ACCEPT], "Comprehensive analysis of theoretical and practical limitations of ORA")
    assert _has(aspects[ACCEPT], "clearly explains its main idea through the gap decomposition")
    assert _has(aspects[REJECT], "Narrow empirical scope | Evaluations are limited to synthetic settings")
    assert _has(aspects[REJECT], "The evaluation is limited to the white-box setting")
    assert _has(aspects[SUGGEST], "How would ORA behave on realistic DP-SGD workloads")
    assert _has(aspects[SUGGEST], "Focuses on ε-DP, not (ε, δ)-DP")  # a limitations item
    for name, points in aspects.items():  # no weakness among the strengths, no strength among the weaknesses
        if name != REJECT:
            assert not _has(points, "Evaluations are limited to synthetic settings")
        if name != ACCEPT:
            assert not _has(points, "Comprehensive analysis of theoretical and practical limitations")


def test_summary_is_significance_only_where_it_says_so(papers: dict[str, CrawledPaper]) -> None:
    aspects = _aspects(papers["004uTlSufe"], "4-aspect", max_points=100)
    significance = aspects[SIGNIFICANCE]
    # the summary's restatement of the problem is not a claim of significance...
    assert not any("Differential privacy (DP) provides theoretical upper bounds" in p for p in sum(aspects.values(), []))
    # ...its "Key Contributions:" list and a strength that says "novel" are
    assert _has(significance, "Introduces Adaptive ORA")
    assert _has(significance, "Novel theoretical framework to explain when and why ORA fails")
    seven = _aspects(papers["004uTlSufe"], "7-aspect", max_points=100)
    assert _has(seven["The idea of the paper"], "This paper analyzes the capabilities and limitations of one-run auditing")


def test_a_subheading_item_heads_the_item_below_it(papers: dict[str, CrawledPaper]) -> None:
    reject = _aspects(papers["004uTlSufe"], "4-aspect")[REJECT]
    # "- No exploration of abstention strategies under real-world constraints" then its question
    assert _has(reject, "No exploration of abstention strategies under real-world constraints | "
                        "No exploration of abstention strategies under real-world constraints: How would one select")
    assert not any(point.endswith("| ") for point in reject)


def test_rejected_paper_keeps_its_criticism(papers: dict[str, CrawledPaper]) -> None:
    aspects = _aspects(papers["KkOMqJQiWU"], "4-aspect")
    assert all(aspects[name] for name in (ACCEPT, REJECT, SUGGEST))
    assert len(aspects[REJECT]) >= 5
