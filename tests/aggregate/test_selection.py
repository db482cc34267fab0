"""Selection of reviews on real crawl material: what is kept, what is dropped and why."""

from __future__ import annotations

from reviewgpt.aggregate._selection import select_reviews
from reviewgpt.aggregate.config import AggregateConfig

from .aggregate_material import peerread_paper, v1_papers, v2_paper


def test_v1_keeps_official_reviews_and_drops_the_rest(fixtures_dir):
    dropout, pruning = v1_papers(fixtures_dir)
    selection = select_reviews(pruning, AggregateConfig())
    assert [r.kind for r in selection.reviews] == ["review"] * 3
    assert selection.dropped["decision"] == 1
    assert selection.dropped["author_response"] == 11 and selection.dropped["comment"] == 7
    review = selection.reviews[0]
    assert review.rating == "4: Top 50% of accepted papers, clear accept"
    assert review.render().endswith("Confidence: 2: The reviewer is fairly confident that the evaluation is correct")

    # the one review of "Targeted Dropout" has 94 words: under the 100-word minimum
    short = select_reviews(dropout, AggregateConfig())
    assert short.reviews == [] and short.skip_reason == "all-reviews-too-short"
    assert short.dropped["too_short"] == 1
    assert len(select_reviews(dropout, AggregateConfig(min_words=50)).reviews) == 1


def test_peerread_keeps_reviews_and_meta_review_with_a_cap(fixtures_dir):
    paper = peerread_paper(fixtures_dir)
    selection = select_reviews(paper, AggregateConfig(min_words=60))
    kinds = [r.kind for r in selection.reviews]
    assert kinds == ["review", "review", "review", "meta_review"]  # empty pre-review questions dropped
    assert selection.dropped["too_short"] >= 2
    capped = select_reviews(paper, AggregateConfig(min_words=60, max_reviews=2))
    assert [r.kind for r in capped.reviews] == ["review", "review", "meta_review"]
    assert capped.dropped["over_cap"] == 1
    no_meta = select_reviews(paper, AggregateConfig(min_words=60, meta_reviews=False))
    assert "meta_review" not in [r.kind for r in no_meta.reviews]


def test_v2_fields_render_in_order_and_scores_are_not_text():
    selection = select_reviews(v2_paper(), AggregateConfig(min_words=20))
    first = selection.reviews[0]
    assert list(first.sections) == ["summary", "strengths", "weaknesses", "questions"]
    assert "soundness" not in first.sections and "code_of_conduct" not in first.sections
    text = first.render()
    assert text.startswith("Summary:\nThis paper proposes")
    assert text.index("Strengths:") < text.index("Weaknesses:") < text.index("Questions:")
    assert "Rating: 6: marginally above the acceptance threshold" in text
    assert selection.dropped == {"author_response": 1, "decision": 1}
