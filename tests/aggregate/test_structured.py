"""The structured aggregator on real reviews: sensible aspects, titles, splitting and merging."""

from __future__ import annotations

from reviewgpt.aggregate._selection import SourceReview, select_reviews
from reviewgpt.aggregate._structured import aggregate_structured, make_title, split_sections
from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review, render_review

from .aggregate_material import peerread_paper, sample_review_papers, v1_papers, v2_paper

ACCEPT, REJECT = "Potential reasons for acceptance", "Potential reasons for rejection"
SIGNIFICANCE, SUGGEST = "Significance and novelty", "Suggestions for improvement"


def texts(points) -> list[str]:
    return [f"{p.title} {p.detail}".lower() for p in points]


def test_pros_cons_review_is_split_into_points_in_the_right_aspects(fixtures_dir):
    [review] = select_reviews(sample_review_papers(fixtures_dir)[0], AggregateConfig(min_words=0)).reviews
    aspects = aggregate_structured([review], "4-aspect")
    reject = texts(aspects[REJECT])
    assert len(reject) >= 5  # "Cons: * ... * ..." became one point per item
    assert any("source code" in t for t in reject)
    assert any("real-world tasks" in t for t in reject)
    positives = texts(aspects[ACCEPT] + aspects[SIGNIFICANCE])
    assert any("well written" in t for t in positives)
    assert any("novel addressing scheme" in t for t in positives)
    assert not any("source code" in t for t in positives)


def test_free_text_reviews_of_a_real_paper(fixtures_dir):
    reviews = select_reviews(peerread_paper(fixtures_dir), AggregateConfig()).reviews
    aspects = aggregate_structured(reviews, "4-aspect")
    assert all(aspects[name] for name in ASPECT_SCHEMAS["4-aspect"])
    assert any("novelty" in t or "not new" in t for t in texts(aspects[REJECT]))
    assert any("?" in t or "would like to see" in t for t in texts(aspects[SUGGEST]))
    assert any("efficient" in t for t in texts(aspects[ACCEPT]))
    for points in aspects.values():
        for point in points:
            assert 1 <= len(point.title.split()) <= 10
            assert not point.title.endswith((" the", " of", " and", " to"))


def test_v2_fields_map_to_aspects_and_duplicates_merge():
    reviews = select_reviews(v2_paper(), AggregateConfig(min_words=20)).reviews
    aspects = aggregate_structured(reviews, "4-aspect")
    reject = texts(aspects[REJECT])
    # both reviewers say LoRA / prefix tuning baselines are missing: one point, listed first
    assert sum("lora" in t for t in reject) == 1
    assert "lora" in reject[0]
    assert any("ablation" in t for t in reject)
    assert any("vit-h" in t or "seeds" in t for t in texts(aspects[SUGGEST]))
    # a summary that only restates the paper is not a claim of significance
    assert not any("proposes a layer-wise adapter" in t for t in texts(aspects[SIGNIFICANCE]))
    idea = aggregate_structured(reviews, "7-aspect")["The idea of the paper"]
    assert any("proposes a layer-wise adapter" in t for t in texts(idea))
    assert any("well written" in t for t in texts(aspects[ACCEPT]))


def test_seven_aspect_schema(fixtures_dir):
    reviews = select_reviews(v1_papers(fixtures_dir)[1], AggregateConfig()).reviews + \
        select_reviews(v2_paper(), AggregateConfig(min_words=20)).reviews
    aspects = aggregate_structured(reviews, "7-aspect")
    assert list(aspects) == list(ASPECT_SCHEMAS["7-aspect"])
    assert aspects["The idea of the paper"] and aspects["Potential reasons for rejection"]
    assert aspects["Other suggestions for improving the paper"]


def test_rendered_review_round_trips_through_the_one_parser(fixtures_dir):
    reviews = select_reviews(peerread_paper(fixtures_dir), AggregateConfig()).reviews
    for schema in ASPECT_SCHEMAS:
        aspects = aggregate_structured(reviews, schema)
        parsed = parse_review(render_review(aspects, schema), schema)
        assert parsed.unknown_headers == []
        assert parsed.aspects == aspects


def test_cue_phrases_split_free_text():
    text = "The paper studies X.\n\nStrengths:\n- clear\n\nWeaknesses:\n- small data\n\nMinor comments: typo in eq. 3"
    categories = [c for c, _ in split_sections(text)]
    assert categories == [None, "positive", "negative", "minor"]


def test_titles_are_short_and_use_a_point_heading():
    assert make_title("Scalability: the experiments use only N=6 series.") == (
        "Scalability", "the experiments use only N=6 series."
    )
    title, detail = make_title(
        "However, I am concerned by the assumption that the lagged variables follow a diagonal gaussian distribution."
    )
    assert title == "I am concerned by the assumption"
    assert detail.startswith("However, I am concerned")


def test_merging_needs_overlap_and_different_reviewers():
    a = SourceReview("a", "review", {"weaknesses": "- The ablation study on the loss terms is missing."})
    b = SourceReview("b", "review", {"weaknesses": "- Missing ablation study of the loss terms."})
    c = SourceReview("c", "review", {"weaknesses": "- The writing is hard to follow in Section 2."})
    aspects = aggregate_structured([a, b, c], "4-aspect")
    assert len(aspects[REJECT]) == 2
    assert "ablation" in texts(aspects[REJECT])[0]  # raised by two reviewers: first
