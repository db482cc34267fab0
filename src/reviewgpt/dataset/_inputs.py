"""Read parse, aggregate and (optionally) crawl output, join by forum, filter and deduplicate.

Everything here is cheap (no tokenizer): the token-based filters run later, in the pool.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reviewgpt.artifacts import AGGREGATE, CRAWL, PARSE, manifest_field, manifest_value
from reviewgpt.dataset._budget import content_chars
from reviewgpt.errors import StoreError
from reviewgpt.logging import get_logger
from reviewgpt.records import AggregatedReview, CrawledPaper, ParsedPaper
from reviewgpt.reviewtext import parse_review
from reviewgpt.store import InputRef, read_manifest, read_records, resolve_input

log = get_logger(__name__)

_NON_WORD = re.compile(r"[\W_]+")


def normalize_title(title: str) -> str:
    """A title key that ignores case, accents, punctuation and spacing.

    ``"BERT: Pre-training of  Deep..."`` and ``"bert pre training of deep"`` give the same key.
    """
    text = unicodedata.normalize("NFKD", title)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.lower()).strip()


@dataclass
class Candidate:
    """A paper with its review, ready to tokenize."""

    forum: str
    title: str
    group: str  # normalized title (or the forum when there is no title): the split/dedupe key
    venue_id: str | None
    date: int  # crawl tmdate (else cdate), ms; 0 when unknown
    paper: str
    review: str


@dataclass
class Joined:
    candidates: list[Candidate]
    drops: list[tuple[str, str, str]] = field(default_factory=list)  # (id, reason, detail)


@dataclass
class _CrawlInfo:
    title: str
    venue_id: str
    date: int


def find_crawl(data_dir: Path, parse_ref: InputRef, version: str | None) -> InputRef | None:
    """The crawl version to read: the named one, the one parse read, else crawl's LATEST, else None."""
    if version:
        return resolve_input(data_dir, "crawl", version)
    manifest = read_manifest(parse_ref.path) or {}
    for entry in manifest_value(manifest, manifest_field(PARSE, "inputs")) or []:
        if entry.get("stage") == "crawl" and entry.get("version"):
            try:
                return resolve_input(data_dir, "crawl", entry["version"])
            except StoreError:
                log.warning("parse %s read crawl %s, which is gone; trying crawl's LATEST", parse_ref.version, entry["version"])
    try:
        return resolve_input(data_dir, "crawl", None)
    except StoreError:
        return None


def _read_crawl(ref: InputRef) -> dict[str, _CrawlInfo]:
    info: dict[str, _CrawlInfo] = {}
    for paper in read_records(ref.file(CRAWL.records), CrawledPaper):
        info[paper.forum] = _CrawlInfo(paper.title, paper.venue_id, paper.tmdate or paper.cdate or 0)
    return info


@dataclass
class InputVersions:
    """The versions build-dataset reads (resolved before anything is read)."""

    parse: InputRef
    aggregate: InputRef
    crawl: InputRef | None

    def refs(self) -> list[InputRef]:
        return [self.parse, self.aggregate, *([self.crawl] if self.crawl else [])]


def resolve_inputs(
    data_dir: Path,
    parse_version: str | None = None,
    aggregate_version: str | None = None,
    crawl_version: str | None = None,
) -> InputVersions:
    """The parse and aggregate versions (default: LATEST) and the crawl version, if any.

    Raises:
        StoreError: a named or default parse / aggregate version does not exist.
    """
    parse_ref = resolve_input(data_dir, "parse", parse_version)
    aggregate_ref = resolve_input(data_dir, "aggregate", aggregate_version)
    return InputVersions(parse_ref, aggregate_ref, find_crawl(data_dir, parse_ref, crawl_version))


def join_inputs(
    versions: InputVersions,
    *,
    schema: str,
    min_content_chars: int,
    on_candidate: Callable[[Candidate], None] | None = None,
) -> Joined:
    """Join papers and reviews by forum, drop what cannot make an example, keep one per title.

    Drop reasons: ``no-review`` (parsed, no aggregated review), ``no-paper`` (review, no parsed
    paper), ``duplicate-forum``, ``schema-mismatch``, ``review-empty`` (no point parsed),
    ``empty-content`` (``[CONTENT]`` shorter than ``min_content_chars``) and ``duplicate-title``
    (the same normalized title under another forum: the latest by crawl date is kept).

    Args:
        on_candidate: called with each paper as soon as it is read and joined, before titles are
            deduplicated (which needs every paper), so counting can start while reading goes on.

    Returns:
        The kept candidates in the order of the parse file.
    """
    parse_ref, aggregate_ref, crawl_ref = versions.parse, versions.aggregate, versions.crawl
    joined = Joined(candidates=[])
    crawl: dict[str, _CrawlInfo] = {}
    if crawl_ref is not None:
        crawl = _read_crawl(crawl_ref)
    else:
        log.warning(
            "no crawl output found: venue ids are unknown, and papers with the same title are "
            "deduplicated keeping the first forum in id order instead of the latest"
        )
    reviews = _read_reviews(aggregate_ref, joined.drops)

    seen: set[str] = set()
    kept: list[Candidate] = []
    for paper in read_records(parse_ref.file(PARSE.records), ParsedPaper):
        forum = paper.forum
        if forum in seen:
            joined.drops.append((forum, "duplicate-forum", "a second parse record for this forum"))
            continue
        seen.add(forum)
        review = reviews.get(forum)
        if review is None:
            joined.drops.append((forum, "no-review", f"no review in aggregate {aggregate_ref.version}"))
            continue
        drop = _unusable(paper, review, schema=schema, min_content_chars=min_content_chars)
        if drop is not None:
            joined.drops.append((forum, *drop))
            continue
        candidate = _candidate(paper, review, crawl.get(forum))
        kept.append(candidate)
        if on_candidate is not None:
            on_candidate(candidate)
    for forum in sorted(set(reviews) - seen):
        joined.drops.append((forum, "no-paper", f"no parsed paper in parse {parse_ref.version}"))

    joined.candidates = _keep_latest_per_title(kept, joined.drops)
    return joined


def _read_reviews(aggregate_ref: InputRef, drops: list[tuple[str, str, str]]) -> dict[str, AggregatedReview]:
    """The aggregated reviews by forum; a second record for a forum is added to ``drops``."""
    reviews: dict[str, AggregatedReview] = {}
    for review in read_records(aggregate_ref.file(AGGREGATE.records), AggregatedReview):
        if review.forum in reviews:
            drops.append((review.forum, "duplicate-forum", "a second review record for this forum"))
            continue
        reviews[review.forum] = review
    return reviews


def _unusable(
    paper: ParsedPaper,
    review: AggregatedReview,
    *,
    schema: str,
    min_content_chars: int,
) -> tuple[str, str] | None:
    """Why a parsed paper and its review cannot make an example, as (reason, detail); None when they can."""
    if review.schema != schema:
        return "schema-mismatch", f"review schema {review.schema}, building {schema}"
    if parse_review(review.text, schema).n_points == 0:
        return "review-empty", "no review point could be parsed"
    n_content = content_chars(paper.text)
    if n_content < min_content_chars:
        return "empty-content", f"{n_content} content characters < {min_content_chars}"
    return None


def _candidate(paper: ParsedPaper, review: AggregatedReview, meta: _CrawlInfo | None) -> Candidate:
    """The candidate of a usable paper; its title, venue and date come from the crawl when known."""
    title = (meta.title if meta and meta.title else paper.title) or ""
    return Candidate(
        forum=paper.forum,
        title=title,
        group=normalize_title(title) or paper.forum,
        venue_id=meta.venue_id if meta else None,
        date=meta.date if meta else 0,
        paper=paper.text,
        review=review.text,
    )


def _keep_latest_per_title(candidates: list[Candidate], drops: list[tuple[str, str, str]]) -> list[Candidate]:
    """One candidate per normalized title: the latest by crawl date (then venue id); ties keep the first forum."""
    best: dict[str, Candidate] = {}
    for cand in sorted(candidates, key=lambda c: c.forum):
        current = best.get(cand.group)
        if current is None:
            best[cand.group] = cand
            continue
        newer, older = (cand, current) if _recency(cand) > _recency(current) else (current, cand)
        best[cand.group] = newer
        drops.append((older.forum, "duplicate-title", f"same title as {newer.forum} ({newer.venue_id or 'venue unknown'}), which is newer"))
    return [c for c in candidates if best[c.group] is c]  # in the order read


def _recency(cand: Candidate) -> tuple[int, str]:
    # Without dates every key ties on 0 and the forum order above keeps the first one.
    return (cand.date, cand.venue_id or "")
