"""The crawl itself: list each venue's submissions with their replies, normalise, fetch PDFs, write.

A full crawl pages through a venue's submission listing (details=replies, so one request brings
up to 1,000 papers with every reply). ``--since-last`` instead asks for the venue's notes modified
since the previous crawl's newest ``tmdate`` (newest first, stopping at older ones) and merges them
into the previous version's records: a new reply is added, an edited one replaced, a new paper
added; nothing else changes.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError

from reviewgpt.artifacts import CRAWL
from reviewgpt.config import dump_config
from reviewgpt.crawl._client import CrawlError, OpenReviewApi, RateLimiter, RequestStats
from reviewgpt.crawl._normalize import (
    MalformedNoteError,
    accepted_from_decision,
    build_paper,
    decision_of,
    normalize_reply,
    plain_content,
    replies_of,
)
from reviewgpt.crawl._pdfs import PdfDownloader, PdfError, PdfResult
from reviewgpt.crawl._venues import Listing, VenuePlan, resolve_venue
from reviewgpt.crawl.config import CrawlConfig
from reviewgpt.errors import ConfigError, StoreError
from reviewgpt.logging import get_logger
from reviewgpt.progress import track
from reviewgpt.records.crawl import CrawledPaper, Reply
from reviewgpt.stage import Failed, Outcome, Written, write_outcome
from reviewgpt.store import (
    InputRef,
    StageReport,
    StageRun,
    read_manifest,
    read_records,
    resolve_input,
    utc_now,
)

log = get_logger(__name__)


class _Apis:
    """The API v1 and v2 clients, each made on first use (a login, if any, happens then)."""

    def __init__(self, cfg: CrawlConfig):
        self.cfg = cfg
        self.stats = RequestStats()
        self.limiter = RateLimiter(cfg.rate)
        self._clients: dict[int, OpenReviewApi] = {}

    def __call__(self, version: int) -> OpenReviewApi:
        if version not in self._clients:
            self._clients[version] = OpenReviewApi(self.cfg, version, self.limiter, self.stats)
        return self._clients[version]


class _PaperWriter:
    """Appends papers in the order given, fetching their PDFs on a small thread pool meanwhile.

    Up to ``2 * concurrency`` papers wait for their PDF at once; the oldest is written as soon as its
    download ends, so a kill loses at most those few, and a rerun redoes them.
    """

    def __init__(self, run: StageRun, cfg: CrawlConfig, downloader_factory: Any):
        self.run = run
        self.cfg = cfg
        self.done = run.done_ids()
        self._downloader_factory = downloader_factory
        self._downloader: PdfDownloader | None = None
        self._pool: ThreadPoolExecutor | None = None
        self._pending: deque[tuple[CrawledPaper, Future[PdfResult] | None]] = deque()
        self.written = 0
        self.pdf_counts = {"downloaded": 0, "cached": 0, "failed": 0}

    @property
    def full(self) -> bool:
        return self.cfg.limit is not None and self.written + len(self._pending) >= self.cfg.limit

    def submit(self, paper: CrawledPaper, *, want_pdf: bool, force_pdf: bool = False) -> None:
        if paper.forum in self.done or self.full:
            return
        self.done.add(paper.forum)
        future = None
        if want_pdf and self.cfg.pdfs and paper.pdf_url:
            if self._pool is None:
                self._downloader = self._downloader_factory()
                self._pool = ThreadPoolExecutor(self.cfg.concurrency, thread_name_prefix="pdf")
            assert self._downloader is not None
            future = self._pool.submit(self._downloader.fetch, paper.forum, paper.pdf_url, force=force_pdf)
        self._pending.append((paper, future))
        while len(self._pending) > 2 * self.cfg.concurrency:
            self._write_oldest()

    def flush(self) -> None:
        while self._pending:
            self._write_oldest()

    def _write_oldest(self) -> None:
        paper, future = self._pending[0]
        for outcome in self._outcomes(paper, future):
            write_outcome(self.run, outcome)
        self._pending.popleft()
        self.written += 1

    def _outcomes(self, paper: CrawledPaper, future: Future[PdfResult] | None) -> list[Outcome]:
        """The paper's record, and a failure when its PDF could not be fetched (the paper is kept without it)."""
        failure = []
        if future is not None:
            try:
                result = future.result()
            except PdfError as exc:
                self.pdf_counts["failed"] += 1
                paper.pdf_path = paper.pdf_sha256 = None
                failure = [Failed(paper.forum, "pdf-download", str(exc))]
            else:
                self.pdf_counts["downloaded" if result.downloaded else "cached"] += 1
                paper.pdf_path = str(result.path)
                paper.pdf_sha256 = result.sha256
        return [*failure, Written(paper)]

    def close(self, *, interrupted: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=not interrupted, cancel_futures=interrupted)
        if self._downloader is not None:
            self._downloader.close()


def crawl(cfg: CrawlConfig) -> StageReport:
    """Run the crawl stage (see :func:`reviewgpt.crawl.run`)."""
    apis = _Apis(cfg)
    prev, prev_state = _previous_crawl(cfg)
    venues = cfg.venues or list(prev_state)
    if not venues:
        raise ConfigError(
            "give at least one --venue" if not cfg.since_last else "the previous crawl lists no venues: give --venue"
        )
    # Resolve every venue before writing anything, so a typo fails fast and leaves no version behind.
    plans: dict[str, VenuePlan] = {}
    for venue in venues:
        state = prev_state.get(venue)
        if state and cfg.api in ("auto", str(state["api_version"])):
            plans[venue] = VenuePlan.from_state(venue, state)
        else:
            plans[venue] = resolve_venue(venue, cfg.api, apis)

    venue_state: dict[str, Any] = {}
    with StageRun(cfg.data_dir, "crawl", cfg.version, params=dump_config(cfg), inputs=[prev] if prev else [],
                  max_failures=cfg.failure_limit) as run:
        writer = _PaperWriter(run, cfg, lambda: _downloader(cfg, apis, plans))
        interrupted = True
        try:
            previous = _read_previous(prev) if prev else {}
            for venue, papers in previous.items():
                if venue not in plans:  # carried over unchanged
                    venue_state[venue] = prev_state.get(venue, {})
                    for paper in papers.values():
                        writer.submit(paper, want_pdf=False)
            for venue, plan in plans.items():
                state = prev_state.get(venue)
                if state and venue in previous and plan.used and state.get("watermark") is not None:
                    venue_state[venue] = _crawl_since(cfg, plan, apis(plan.api_version), previous[venue], state, writer, run)
                else:
                    venue_state[venue] = _crawl_full(cfg, plan, apis(plan.api_version), writer, run)
                run.extra["venues"] = venue_state
            writer.flush()
            interrupted = False
        finally:
            writer.close(interrupted=interrupted)
            run.extra.update(
                venues=venue_state,
                requests=dict(apis.stats.counts),
                pdfs=writer.pdf_counts,
                since=prev.version if prev else None,
            )
    return run.report()


def _previous_crawl(cfg: CrawlConfig) -> tuple[InputRef | None, dict[str, Any]]:
    if not cfg.since_last:
        return None, {}
    try:
        prev = resolve_input(cfg.data_dir, "crawl", cfg.input)
    except StoreError:
        if cfg.input or not cfg.venues:
            raise
        log.warning("--since-last: no previous crawl under %s; crawling in full", cfg.data_dir / "crawl")
        return None, {}
    manifest = read_manifest(prev.path) or {}
    return prev, dict((manifest.get("extra") or {}).get("venues") or {})


def _read_previous(prev: InputRef) -> dict[str, dict[str, CrawledPaper]]:
    by_venue: dict[str, dict[str, CrawledPaper]] = defaultdict(dict)
    for paper in read_records(prev.file(CRAWL.records), CrawledPaper):
        by_venue[paper.venue_id][paper.forum] = paper
    return by_venue


def _downloader(cfg: CrawlConfig, apis: _Apis, plans: dict[str, VenuePlan]) -> PdfDownloader:
    # Send the client's headers (a token after a login) with PDF requests too.
    versions = {plan.api_version for plan in plans.values()} or {2}
    return PdfDownloader(cfg, apis.limiter, apis.stats, apis(min(versions)).headers)


def _pdf_url(api: OpenReviewApi, forum: str, pdf_ref: Any) -> str | None:
    if not pdf_ref or not isinstance(pdf_ref, str):
        return None
    if pdf_ref.startswith(("http://", "https://")):
        return pdf_ref
    return api.pdf_url(forum)


def _normalize_replies(raw: list[dict[str, Any]], forum: str, run: StageRun) -> list[Reply]:
    replies = []
    for note in raw:
        try:
            replies.append(normalize_reply(note))
        except (MalformedNoteError, ValidationError) as exc:
            run.extra["malformed_replies"] = run.extra.get("malformed_replies", 0) + 1
            log.warning("%s: skipping a malformed reply %s: %s", forum, note.get("id"), _short(exc))
    return replies


def _paper_from_note(
    cfg: CrawlConfig, plan: VenuePlan, api: OpenReviewApi, note: dict[str, Any], status: str | None,
    replies: list[Reply], run: StageRun,
) -> CrawledPaper | None:
    forum = str(note.get("id") or "?")
    try:
        pdf_ref = plain_content(note.get("content"), forum).get("pdf")
        paper = build_paper(
            note, replies, venue_id=plan.venue_id, api_version=plan.api_version,
            withdrawn=status == "withdrawn", pdf_url=_pdf_url(api, forum, pdf_ref),
        )
    except (MalformedNoteError, ValidationError) as exc:
        write_outcome(run, Failed(forum, "malformed-note", _short(exc)))
        return None
    paper.pdf_ref = pdf_ref if isinstance(pdf_ref, str) else None
    if status == "desk_rejected":
        paper.accepted = False
    return paper


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc)


def _stamp(note: dict[str, Any]) -> int:
    """A note's modification time in ms; 0 when it has none or it is not a number (that note
    then fails validation on its own, and must not stop the watermark of the others)."""
    value = note.get("tmdate") or note.get("mdate") or 0
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _newest(note: dict[str, Any]) -> int:
    return max([_stamp(note), *(_stamp(r) for r in replies_of(note) if isinstance(r, dict))])


def _crawl_full(
    cfg: CrawlConfig, plan: VenuePlan, api: OpenReviewApi, writer: _PaperWriter, run: StageRun
) -> dict[str, Any]:
    """List every submission of the venue with its replies; write each as a paper."""
    seen: set[str] = set()
    watermark = 0

    def crawl_listing(listing: Listing) -> bool:
        nonlocal watermark
        found = False
        for note in _iter_listing(api, listing.query, cfg, plan.venue_id):
            found = True
            forum = str(note.get("id"))
            watermark = max(watermark, _newest(note))
            if forum in seen or forum in writer.done:
                seen.add(forum)
                continue
            seen.add(forum)
            if writer.full:
                break
            try:
                replies = _normalize_replies(replies_of(note), forum, run)
            except (MalformedNoteError, TypeError, AttributeError) as exc:  # replies that are not a list of notes
                write_outcome(run, Failed(forum, "malformed-note", f"replies: {exc}"))
                continue
            paper = _paper_from_note(cfg, plan, api, note, listing.status, replies, run)
            if paper is not None:
                writer.submit(paper, want_pdf=True)
        return found

    used: list[Listing] = []
    for group in plan.alternatives:  # the first group that lists anything is the venue's listing
        found = [crawl_listing(listing) for listing in group]
        if any(found):
            used.extend(group)
            break
    for listing in plan.extras:
        crawl_listing(listing)
        used.append(listing)
    plan.used = used if len(used) > len(plan.extras) else plan.alternatives[0] + plan.extras
    log.info("%s: %d submissions listed (API v%d)", plan.venue_id, len(seen), plan.api_version)
    return {**plan.to_state(), "watermark": watermark or None, "papers": len(seen), "crawled_at": utc_now()}


def _iter_listing(api: OpenReviewApi, query: dict[str, Any], cfg: CrawlConfig, venue: str) -> Iterator[dict[str, Any]]:
    pages = api.iter_pages(details=cfg.details, **query)
    first = next(pages, None)
    if first is None:
        return
    total, notes = first
    rest = (note for _, page in pages for note in page)
    label = query.get("invitation") or f"{venue} {query}"
    yield from track(itertools.chain(notes, rest), total, f"crawl {label}")


def _changed_notes(
    plan: VenuePlan, api: OpenReviewApi, previous: dict[str, CrawledPaper], watermark: int
) -> tuple[int, dict[str, tuple[dict[str, Any], str | None]], dict[str, list[dict[str, Any]]]]:
    """The submissions and replies created or modified since ``watermark``, and the new watermark."""
    changed = api.changed_since(watermark, **plan.feed_query)
    log.info("%s: %d notes created or modified since the last crawl", plan.venue_id, len(changed))
    submissions: dict[str, tuple[dict[str, Any], str | None]] = {}
    replies_by_forum: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for note in changed:
        watermark = max(watermark, _stamp(note))
        forum = note.get("forum") or note.get("id")
        if forum == note.get("id"):
            is_submission, status = plan.status_of(note)
            if is_submission:
                submissions[forum] = (note, status)
        elif forum:
            replies_by_forum[str(forum)].append(note)
    # A reply in a forum we do not know (a paper made public since): fetch the whole forum once.
    for forum in replies_by_forum:
        if forum not in previous and forum not in submissions:
            note = api.get_forum(forum)
            if note is not None:
                is_submission, status = plan.status_of(note)
                if is_submission:
                    submissions[forum] = (note, status)
    return watermark, submissions, replies_by_forum


def _crawl_since(
    cfg: CrawlConfig,
    plan: VenuePlan,
    api: OpenReviewApi,
    previous: dict[str, CrawledPaper],
    state: dict[str, Any],
    writer: _PaperWriter,
    run: StageRun,
) -> dict[str, Any]:
    """Ask for the venue's notes modified since the last crawl's newest tmdate and merge them."""
    watermark, submissions, replies_by_forum = _changed_notes(plan, api, previous, int(state["watermark"]))
    merged = 0
    order = list(previous) + [f for f in submissions if f not in previous]
    for forum in track(order, len(order), f"merge {plan.venue_id}"):
        base = previous.get(forum)
        if forum not in submissions and forum not in replies_by_forum:
            # unchanged; retry a PDF that failed last time
            writer.submit(base, want_pdf=base.pdf_path is None)
            continue
        replies = {r.id: r for r in base.replies} if base else {}
        raw_replies = list(replies_of(submissions[forum][0])) if forum in submissions else []
        raw_replies += replies_by_forum.get(forum, [])
        for reply in _normalize_replies(raw_replies, forum, run):
            replies[reply.id] = reply  # a new reply is added, an edited one replaced
        if forum in submissions:
            note, status = submissions[forum]
            paper = _paper_from_note(cfg, plan, api, note, status, list(replies.values()), run)
            if paper is None:
                if base is not None:
                    writer.submit(base, want_pdf=False)
                continue
            new_pdf = base is None or paper.pdf_ref != base.pdf_ref or base.pdf_path is None
            if not new_pdf:
                paper.pdf_path, paper.pdf_sha256 = base.pdf_path, base.pdf_sha256
                if _unchanged(paper, base):
                    writer.submit(base, want_pdf=False)
                    continue
            writer.submit(paper, want_pdf=new_pdf, force_pdf=base is not None and new_pdf)
        else:
            assert base is not None
            updated = _with_replies(base, list(replies.values()))
            if _unchanged(updated, base):
                writer.submit(base, want_pdf=base.pdf_path is None)
                continue
            writer.submit(updated, want_pdf=base.pdf_path is None)
        merged += 1
    log.info("%s: %d papers new or updated", plan.venue_id, merged)
    return {
        **plan.to_state(), "watermark": watermark, "papers": len(order), "updated": merged, "crawled_at": utc_now(),
    }


def _unchanged(paper: CrawledPaper, base: CrawledPaper) -> bool:
    """``paper`` is ``base`` but for the crawl time: mintmdate is inclusive, so the note at the
    watermark comes back on every incremental crawl, and its record must stay as it was."""
    return paper.model_copy(update={"crawled_at": base.crawled_at}) == base


def _with_replies(base: CrawledPaper, replies: list[Reply]) -> CrawledPaper:
    """``base`` with a new reply list; a Decision among them sets decision/accepted."""
    replies = sorted(replies, key=lambda r: (r.cdate or 0, r.id))
    update: dict[str, Any] = {"replies": replies, "crawled_at": utc_now()}
    decision = decision_of(replies)
    if decision is not None and decision != base.decision:
        update["decision"] = decision
        if not base.withdrawn:
            update["accepted"] = accepted_from_decision(decision)
    return base.model_copy(update=update)


__all__ = ["CrawlError", "crawl"]
