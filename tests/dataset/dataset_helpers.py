"""Builders of build-dataset test inputs in the formats the crawl, parse and aggregate stages write."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from reviewgpt.records import AggregatedReview, CrawledPaper, ParsedPaper, Section
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, render_review
from reviewgpt.store import StageRun, resolve_input


@dataclass(frozen=True)
class FixtureText:
    """Real text from tests/fixtures: a paper's sections and review sentences."""

    title: str
    abstract: str
    sections: list[tuple[str, str]]
    review_sentences: list[str]


def paper_text(title: str, abstract: str, captions: list[str], sections: list[tuple[str, str]]) -> str:
    """The parse stage's text layout (DESIGN.md): [TITLE], [ABSTRACT], [CAPTIONS], [CONTENT]."""
    content = "\n\n".join(f"{heading}\n{text}" if heading else text for heading, text in sections)
    return f"[TITLE]\n{title}\n\n[ABSTRACT]\n{abstract}\n\n[CAPTIONS]\n" + "\n".join(captions) + f"\n\n[CONTENT]\n{content}"


def review_aspects(sentences: list[str], per_aspect: int, schema: str = "4-aspect", offset: int = 0) -> dict[str, list[ReviewPoint]]:
    """Real review sentences spread over the schema's aspects as ``<title> detail`` points."""
    aspects: dict[str, list[ReviewPoint]] = {}
    i = offset
    for name in ASPECT_SCHEMAS[schema]:
        points = []
        for _ in range(per_aspect):
            sentence = sentences[i % len(sentences)]
            i += 1
            points.append(ReviewPoint(title=" ".join(sentence.split()[:4]), detail=sentence))
        aspects[name] = points
    return aspects


@dataclass
class PaperSpec:
    """One paper of a test data set; the defaults make a good example."""

    forum: str
    title: str
    n_sections: int = 6
    per_aspect: int = 2
    venue_id: str = "ICLR.cc/2023/Conference"
    tmdate: int = 1_666_000_000_000
    review: bool = True
    parsed: bool = True
    schema: str = "4-aspect"
    empty_content: bool = False
    captions: list[str] = field(default_factory=lambda: ["Figure 1: The Transformer - model architecture."])


def write_stage_inputs(data_dir: Path, specs: list[PaperSpec], text: FixtureText, with_crawl: bool = True) -> None:
    """Write crawl (optional), parse and aggregate versions for ``specs`` through the stage store."""
    crawl_refs = []
    if with_crawl:
        with StageRun(data_dir, "crawl", "c1") as run:
            for s in specs:
                run.append(CrawledPaper(forum=s.forum, venue_id=s.venue_id, api_version=2, title=s.title, tmdate=s.tmdate))
        crawl_refs = [resolve_input(data_dir, "crawl", "c1")]
    with StageRun(data_dir, "parse", "p1", inputs=crawl_refs) as run:
        for k, s in enumerate(specs):
            if not s.parsed:
                continue
            n = len(text.sections)
            sections = [text.sections[(k + j) % n] for j in range(s.n_sections)]
            if s.empty_content:
                sections = [("1 Introduction", "Too short.")]
            run.append(
                ParsedPaper(
                    forum=s.forum, parser="test", title=s.title, abstract=text.abstract,
                    sections=[Section(heading=h, text=t) for h, t in sections], captions=s.captions,
                    text=paper_text(s.title, text.abstract, s.captions, sections),
                )
            )
    with StageRun(data_dir, "aggregate", "a1", records="reviews.jsonl") as run:
        for k, s in enumerate(specs):
            if not s.review:
                continue
            aspects = review_aspects(text.review_sentences, s.per_aspect, s.schema, offset=k)
            run.append(
                AggregatedReview(
                    forum=s.forum, schema=s.schema, aspects=aspects, text=render_review(aspects, s.schema),
                    source_reviews=[f"{s.forum}-r1"], aggregator="test",
                )
            )
