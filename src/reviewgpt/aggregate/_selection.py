"""Which replies of a paper are reviews worth aggregating, and their plain text.

Kept: official reviews and meta-reviews. Dropped, each counted by reason: decisions, author
responses, comments, anything else, reviews under ``min_words`` words, and reviews over the
per-paper cap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.records.crawl import CrawledPaper, Reply

#: Fields that are scores, flags or bookkeeping, not review text.
SCORE_FIELDS = frozenset({
    "rating", "confidence", "recommendation", "soundness", "presentation", "contribution", "correctness",
    "technical_novelty_and_significance", "empirical_novelty_and_significance", "clarity", "originality",
    "quality", "significance_score", "flag_for_ethics_review", "ethics_flag", "code_of_conduct",
    "first_time_reviewer", "details_of_ethics_concerns", "ethics_review_area", "title",
    "reviewer_expertise", "experience_assessment", "review_assessment:_checking_correctness_of_experiments",
    "review_assessment:_checking_correctness_of_derivations_and_theory", "review_assessment:_thoroughness_in_paper_reading",
    "code_of_ethics", "best_paper", "award", "final_rating", "acknowledgement",
})
#: Text fields in the order they are rendered; other text fields follow in their own order.
TEXT_FIELD_ORDER = (
    "summary", "summary_of_the_paper", "metareview", "meta_review", "review", "main_review",
    "strengths", "strength_and_weaknesses", "strengths_and_weaknesses", "weaknesses",
    "clarity,_quality,_novelty_and_reproducibility", "questions", "limitations", "suggestions",
    "summary_of_the_review", "comment",
)
#: A text field whose value is this short and starts with a digit is a score ("3 good").
_SCORE_MAX_WORDS = 12


@dataclass
class SourceReview:
    """One review as the aggregators see it.

    Attributes:
        id: the reply's note id.
        kind: ``review`` or ``meta_review``.
        sections: text fields in render order, ``{field name: text}``.
        rating, confidence: as the venue wrote them (``"6: marginally above"``), or None.
    """

    id: str
    kind: str
    sections: dict[str, str]
    rating: str | None = None
    confidence: str | None = None
    title: str | None = None

    @property
    def n_words(self) -> int:
        return sum(len(text.split()) for text in self.sections.values())

    def render(self) -> str:
        """Plain text: one labelled block per field, rating and confidence last."""
        blocks = [f"{_label(name)}:\n{text}" for name, text in self.sections.items()]
        if len(self.sections) == 1 and next(iter(self.sections)) in ("review", "metareview", "main_review"):
            blocks = [next(iter(self.sections.values()))]  # a free-text review needs no label
        for label, value in (("Rating", self.rating), ("Confidence", self.confidence)):
            if value:
                blocks.append(f"{label}: {value}")
        return "\n\n".join(blocks)


@dataclass
class Selection:
    """The reviews kept for one paper, why the others were dropped, and why the paper is
    skipped (``skip_reason``) when none is left."""

    reviews: list[SourceReview] = field(default_factory=list)
    dropped: Counter[str] = field(default_factory=Counter)
    skip_reason: str | None = None


def _label(name: str) -> str:
    return name.replace("_", " ").replace(",", ", ").replace("  ", " ").strip().capitalize()


def _is_score(value: str) -> bool:
    text = value.strip()
    return bool(text) and text[0].isdigit() and len(text.split()) <= _SCORE_MAX_WORDS


def review_from_reply(reply: Reply) -> SourceReview:
    """Render a reply's fields: text fields kept (scores like ``"3 good"`` left out), rating kept."""
    texts: dict[str, str] = {}
    for name, value in reply.fields.items():
        if name in SCORE_FIELDS or not isinstance(value, str):
            continue
        value = value.strip()
        if not value or _is_score(value):
            continue
        texts[name] = value
    order = {name: i for i, name in enumerate(TEXT_FIELD_ORDER)}
    sections = dict(sorted(texts.items(), key=lambda kv: order.get(kv[0], len(order))))
    rating = reply.fields.get("rating", reply.fields.get("recommendation"))
    confidence = reply.fields.get("confidence")
    title = reply.fields.get("title")
    return SourceReview(
        id=reply.id,
        kind=reply.kind,
        sections=sections,
        rating=None if rating is None else str(rating),
        confidence=None if confidence is None else str(confidence),
        title=title if isinstance(title, str) else None,
    )


def select_reviews(paper: CrawledPaper, cfg: AggregateConfig) -> Selection:
    """The reviews of ``paper`` to aggregate, with drop counts by reason."""
    selection = Selection()
    reviews: list[SourceReview] = []
    metas: list[SourceReview] = []
    for reply in sorted(paper.replies, key=lambda r: (r.cdate or 0, r.id)):
        if reply.kind not in ("review", "meta_review") or (reply.kind == "meta_review" and not cfg.meta_reviews):
            selection.dropped[reply.kind] += 1
            continue
        review = review_from_reply(reply)
        if review.n_words < cfg.min_words:
            selection.dropped["too_short"] += 1
            continue
        (metas if reply.kind == "meta_review" else reviews).append(review)
    if cfg.max_reviews is not None and len(reviews) > cfg.max_reviews:
        selection.dropped["over_cap"] += len(reviews) - cfg.max_reviews
        reviews = reviews[: cfg.max_reviews]
    selection.reviews = reviews + metas
    if not selection.reviews:
        had_any = any(r.kind in ("review", "meta_review") for r in paper.replies)
        selection.skip_reason = "all-reviews-too-short" if had_any else "no-reviews"
    return selection
