"""Truncation: properties over random papers, reviews and budgets, plus the cases users hit."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reviewgpt.dataset._budget import Budget, Dropped, Fitted, fit_example, split_paper, trim_review
from reviewgpt.prompting import encode_example, encode_output, encode_prompt, instruction_for
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, parse_review, render_review

from .dataset_helpers import paper_text, review_aspects

INSTRUCTION = instruction_for("4-aspect")
HEADERS = ASPECT_SCHEMAS["4-aspect"]


@st.composite
def examples(draw, sentences: list[str]):
    """A random paper and review built from real review/paper sentences, and a random budget."""
    words = " ".join(sentences[:50]).split()
    sentence = st.sampled_from(sentences)
    title = " ".join(draw(st.lists(st.sampled_from(words), min_size=1, max_size=12)))
    abstract = " ".join(draw(st.lists(sentence, min_size=1, max_size=4)))
    captions = draw(st.lists(sentence.map(lambda s: f"Figure: {s}"), max_size=4))
    paragraphs = draw(st.lists(st.lists(sentence, min_size=1, max_size=6).map(" ".join), max_size=14))
    sections = [("", p) for p in paragraphs]
    per_aspect = draw(st.integers(1, 4))
    offset = draw(st.integers(0, len(sentences)))
    review = render_review(review_aspects(sentences, per_aspect, offset=offset), "4-aspect")
    max_total = draw(st.integers(150, 2500))
    max_output = draw(st.integers(10, max_total - 1))
    max_input = draw(st.integers(50, max_total))
    budget = Budget(max_input, max_output, max_total, draw(st.integers(0, 40)))
    return title, abstract, paper_text(title, abstract, captions, sections), review, budget


@pytest.fixture(scope="module")
def sentences(fixture_text) -> list[str]:
    return fixture_text.review_sentences + [s + "." for _, t in fixture_text.sections for s in t.split(". ") if s][:300]


def test_truncation_properties(tokenizer, sentences):
    @settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
    @given(examples(sentences))
    def check(example):
        title, abstract, paper, review, budget = example
        result = fit_example(tokenizer, INSTRUCTION, paper, review, budget, "4-aspect")
        original = encode_example(tokenizer, INSTRUCTION, paper, review)
        if isinstance(result, Dropped):
            _check_drop_is_justified(tokenizer, result, title, abstract, original, review, budget)
            return
        assert isinstance(result, Fitted)
        # the budget holds, and the counts are exactly training's
        enc = encode_example(tokenizer, INSTRUCTION, result.paper, result.review)
        assert (result.input_tokens, result.output_tokens) == (len(enc.prompt_ids), len(enc.output_ids))
        assert result.input_tokens <= budget.max_input_tokens
        assert result.output_tokens <= budget.max_output_tokens
        assert result.input_tokens + result.output_tokens <= budget.max_total_tokens
        # title and abstract are always kept
        assert result.paper.startswith(f"[TITLE]\n{title}\n\n[ABSTRACT]\n{abstract}\n\n[CAPTIONS]\n")
        # the review is intact up to its cap; over it, only whole points go and every header stays
        if len(original.output_ids) <= budget.max_output_tokens:
            assert result.review == review and not result.output_truncated
        else:
            kept = parse_review(result.review, "4-aspect")
            assert list(kept.aspects) == list(HEADERS)
            assert kept.n_points >= 1  # never a target of bare headers
            all_points = parse_review(review, "4-aspect").points()
            if kept.n_points > 1 or kept.points()[0] in all_points:
                assert all(p in all_points for p in kept.points())
            else:  # the one point left, cut at a sentence end
                [(name, point)] = kept.points()
                first_name, first = all_points[0]
                assert (name, point.title) == (first_name, first.title)
                assert first.detail.startswith(point.detail) and point.detail
        # the paper is untouched when it fits, else cut from the end of [CONTENT] at a boundary
        if not result.truncated:
            assert result.paper == paper
        else:
            head, content = split_paper(paper)
            cut_head, cut_content = split_paper(result.paper)
            if cut_head == head:
                assert content.startswith(cut_content)
                assert len(cut_content) in (0, len(content)) or content[len(cut_content)].isspace()
            else:  # the head alone was over: no content, captions dropped from the end
                assert cut_content == ""

    check()


def _check_drop_is_justified(tokenizer, result, title, abstract, original, review, budget):
    n_out = len(original.output_ids)
    if result.reason == "review-too-short":
        assert n_out < budget.min_output_tokens
    elif result.reason == "review-over-budget":
        name, first = parse_review(review, "4-aspect").points()[0]
        sentence = re.match(r".*?[.!?][\"')\]]*(?=\s|$)", first.detail)
        shortest = {h: [] for h in HEADERS}
        shortest[name] = [ReviewPoint(title=first.title, detail=sentence.group(0) if sentence else first.detail)]
        assert len(encode_output(tokenizer, render_review(shortest, "4-aspect"))) > budget.max_output_tokens
    else:
        assert result.reason == "paper-head-over-budget"
        minimal = paper_text(title, abstract, [], [])
        out = min(n_out, budget.max_output_tokens)
        prompt_budget = min(budget.max_input_tokens, budget.max_total_tokens - out)
        assert len(encode_prompt(tokenizer, INSTRUCTION, minimal)) > prompt_budget - 2


def test_cut_prefers_a_paragraph_end(tokenizer, fixture_text):
    paragraphs = [text for _, text in fixture_text.sections[:8]]
    paper = paper_text("T", fixture_text.abstract, [], [("", p) for p in paragraphs])
    review = "[Significance and novelty]\n<Novel> It is new."
    full = len(encode_prompt(tokenizer, INSTRUCTION, paper))
    budget = Budget(full - 200, 100, full + 100, 0)
    result = fit_example(tokenizer, INSTRUCTION, paper, review, budget, "4-aspect")
    assert isinstance(result, Fitted) and result.truncated
    _, content = split_paper(result.paper)
    _, original = split_paper(paper)
    assert content.endswith(".") and original[len(content)] == "\n"  # a sentence that ends a line
    assert result.input_tokens > full - 200 - 300  # a paragraph end close to the budget, not the abstract


def test_over_long_review_loses_last_points_of_longest_aspects(tokenizer, fixture_text):
    aspects = review_aspects(fixture_text.review_sentences, 6)
    review = render_review(aspects, "4-aspect")
    full = len(encode_output(tokenizer, review))
    trimmed = trim_review(tokenizer, review, "4-aspect", full // 2)
    assert trimmed is not None
    text, n = trimmed
    assert n <= full // 2 and n == len(encode_output(tokenizer, text))
    kept = parse_review(text, "4-aspect")
    counts = [len(points) for points in kept.aspects.values()]
    assert max(counts) - min(counts) <= 1  # points are taken evenly
    original = parse_review(review, "4-aspect").aspects
    for name, points in kept.aspects.items():
        assert points == original[name][: len(points)]  # the first points of each aspect stay


def test_huge_captions_are_dropped_before_title_or_abstract(tokenizer, fixture_text):
    captions = [f"Figure {i}: {s}" for i, s in enumerate(fixture_text.review_sentences[:60])]
    paper = paper_text("Short title", fixture_text.abstract, captions, [("", "Some content. " * 50)])
    n_head = len(encode_prompt(tokenizer, INSTRUCTION, paper_text("Short title", fixture_text.abstract, [], [])))
    budget = Budget(n_head + 150, 50, n_head + 300, 0)
    result = fit_example(tokenizer, INSTRUCTION, paper, "[Significance and novelty]\n<A> b.", budget, "4-aspect")
    assert isinstance(result, Fitted) and result.truncated
    assert result.input_tokens <= n_head + 150
    assert "Figure 0:" in result.paper and "Figure 59:" not in result.paper


def test_a_first_point_longer_than_the_budget_is_cut_at_a_sentence_never_emptied(tokenizer, fixture_text):
    """The case of a real review whose first point alone is over the output budget."""
    detail = " ".join(" ".join(fixture_text.review_sentences[:12]).split())
    review = render_review({HEADERS[0]: [ReviewPoint(title="Limited novelty", detail=detail)],
                            **{h: [] for h in HEADERS[1:]}}, "4-aspect")
    full = len(encode_output(tokenizer, review))
    for budget in (full // 2, full // 3):
        text, n = trim_review(tokenizer, review, "4-aspect", budget)
        assert n <= budget and n == len(encode_output(tokenizer, text))
        [(name, point)] = parse_review(text, "4-aspect").points()
        assert name == HEADERS[0] and point.title == "Limited novelty"
        assert point.detail and detail.startswith(point.detail) and point.detail.endswith(".")
    headers_and_title = len(encode_output(tokenizer, render_review(
        {HEADERS[0]: [ReviewPoint(title="Limited novelty", detail="")], **{h: [] for h in HEADERS[1:]}}, "4-aspect")))
    assert trim_review(tokenizer, review, "4-aspect", headers_and_title + 2) is None
    dropped = fit_example(tokenizer, INSTRUCTION, "[TITLE]\nT\n\n[ABSTRACT]\nA\n\n[CONTENT]\nC.",
                          review, Budget(2000, headers_and_title + 2, 4000, 0), "4-aspect")
    assert isinstance(dropped, Dropped) and dropped.reason == "review-over-budget"
