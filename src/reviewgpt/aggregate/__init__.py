"""``aggregate-reviews``: the reviews of each paper merged into one 4- or 7-aspect review.

Reads crawl records, writes ``data/aggregate/<version>/reviews.jsonl`` (:class:`AggregatedReview`).
Two aggregators: ``structured`` (rule-based, offline, the default; see ``_structured.py`` for
what it does and what it does worse than an LLM) and ``openai`` (one JSON-mode call per paper
through the shared :mod:`reviewgpt.llm` client: limits, retries, deadlines, cache, cost).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from reviewgpt.aggregate._selection import Selection, SourceReview, select_reviews
from reviewgpt.aggregate.config import AggregateConfig
from reviewgpt.artifacts import AGGREGATE, CRAWL
from reviewgpt.config import dump_config
from reviewgpt.logging import get_logger
from reviewgpt.records import AggregatedReview, CrawledPaper
from reviewgpt.reviewtext import ReviewPoint, render_review
from reviewgpt.stage import Failed, Outcome, Skipped, Written, run_items
from reviewgpt.store import StageReport, StageRun, read_records, resolve_input, stage_dir

__all__ = ["AggregateConfig", "run"]

log = get_logger(__name__)

RECORDS = AGGREGATE.records.name


def run(cfg: AggregateConfig) -> StageReport:
    """Aggregate every paper of the crawl input; resumable (a rerun into ``--version`` skips done papers).

    With ``dry_run`` nothing is written: the report's ``extra`` holds the calls, tokens and cost
    the openai aggregator would take.
    """
    crawl = resolve_input(cfg.data_dir, "crawl", cfg.input)
    if cfg.dry_run:
        return _dry_run(cfg, crawl)
    with StageRun(
        cfg.data_dir, "aggregate", cfg.version, params=dump_config(cfg), inputs=[crawl], records=RECORDS,
        max_failures=cfg.failure_limit,
    ) as stage:
        done = stage.done_ids()
        work, dropped = _select(cfg, crawl.file(CRAWL.records), done, stage)
        stage.extra["dropped_replies"] = dict(dropped)
        stage.extra["aggregator"] = _aggregator_name(cfg)
        if cfg.aggregator == "structured":
            _run_structured(cfg, work, stage)
        else:
            _run_openai(cfg, work, stage)
    return stage.report()


# ---------------------------------------------------------------------------- selection


def _select(cfg: AggregateConfig, papers_path, done: set[str], stage: StageRun | None):
    """Papers still to do with their selected reviews; drop counts by reason."""
    work: list[tuple[CrawledPaper, Selection]] = []
    dropped: Counter[str] = Counter()
    for i, paper in enumerate(read_records(papers_path, CrawledPaper)):
        if cfg.limit is not None and i >= cfg.limit:
            break
        if paper.forum in done:
            continue
        selection = select_reviews(paper, cfg)
        dropped.update(selection.dropped)
        if selection.skip_reason:
            if stage is not None:
                stage.skip(paper.forum, selection.skip_reason)
            continue
        work.append((paper, selection))
    return work, dropped


def _aggregator_name(cfg: AggregateConfig) -> str:
    return "structured" if cfg.aggregator == "structured" else f"openai:{cfg.llm.model}"


def _record(
    cfg: AggregateConfig, paper: CrawledPaper, reviews: list[SourceReview],
    aspects: dict[str, list[ReviewPoint]], usage: dict[str, int],
) -> AggregatedReview:
    return AggregatedReview(
        forum=paper.forum,
        schema=cfg.review_schema,
        aspects=aspects,
        text=render_review(aspects, cfg.review_schema),
        source_reviews=[r.id for r in reviews],
        source_ratings={r.id: r.rating for r in reviews if r.rating},
        aggregator=_aggregator_name(cfg),
        usage=usage,
    )


# ---------------------------------------------------------------------------- structured


def _run_structured(cfg: AggregateConfig, work: list[tuple[CrawledPaper, Selection]], stage: StageRun) -> None:
    from reviewgpt.aggregate._structured import aggregate_structured

    def aggregate_one(item: tuple[CrawledPaper, Selection]) -> Outcome:
        paper, selection = item
        try:
            aspects = aggregate_structured(
                selection.reviews, cfg.review_schema,
                max_points=cfg.max_points, merge_similarity=cfg.merge_similarity,
            )
        except Exception as exc:  # noqa: BLE001 - one odd review must not stop the run
            return Failed(paper.forum, "aggregation-failed", f"{type(exc).__name__}: {exc}")
        if not any(aspects.values()):
            return Skipped(paper.forum, "no-points-found")
        return Written(_record(cfg, paper, selection.reviews, aspects, {"prompt_tokens": 0, "completion_tokens": 0}))

    run_items(stage, work, aggregate_one, total=len(work), description="aggregating (structured)")


# ---------------------------------------------------------------------------- openai


def _make_client(cfg: AggregateConfig):
    from reviewgpt.llm import LLMClient

    return LLMClient(cfg.llm, cache_dir=cfg.data_dir / "cache" / "llm")


def _run_openai(cfg: AggregateConfig, work: list[tuple[CrawledPaper, Selection]], stage: StageRun) -> None:
    from reviewgpt.aggregate._openai import build_messages, schema_validator
    from reviewgpt.llm import BudgetExceeded, InvalidAnswerError

    client = _make_client(cfg)
    if work:
        client.preflight()  # no key or a dead server: one line now, not one error per paper
    validate = schema_validator(cfg.review_schema)

    async def aggregate_one(item: tuple[CrawledPaper, Selection]):
        paper, selection = item
        messages = build_messages(paper.title, selection.reviews, cfg.review_schema)
        return await client.chat_json(messages, validate=validate)

    answered: set[str] = set()

    def outcome(answer) -> Outcome:
        (paper, selection), result = answer
        answered.add(paper.forum)
        if isinstance(result, InvalidAnswerError):
            return Failed(paper.forum, "invalid-answer", str(result), raw=result.raw)
        if isinstance(result, Exception):
            return Failed(paper.forum, "llm-call-failed", str(result))
        aspects, response = result
        stage.extra["llm"] = client.stats
        return Written(_record(cfg, paper, selection.reviews, aspects, response.usage))

    try:  # the client draws its own progress bar
        run_items(stage, client.map(work, aggregate_one, "aggregating (openai)"), outcome)
    except BudgetExceeded as exc:
        left = [paper.forum for paper, _ in work if paper.forum not in answered]
        run_items(stage, (Skipped(forum, "max-cost-reached") for forum in left))
        stage.extra["stopped"] = f"max_cost_usd reached: {exc}"
        log.warning("stopped at --max-cost: %d papers not sent; rerun with --version %s and a higher "
                    "--max-cost to continue (answers so far are cached)", len(left), stage.version)
    finally:
        stage.extra["llm"] = client.stats


def _dry_run(cfg: AggregateConfig, crawl) -> StageReport:
    """Count the calls, tokens and cost a run would take, writing nothing."""
    from reviewgpt.aggregate._openai import build_messages
    from reviewgpt.llm import estimate_cost

    version_dir = stage_dir(cfg.data_dir, "aggregate") / (cfg.version or "<new>")
    done = set()
    if cfg.version and (version_dir / RECORDS).exists():
        from reviewgpt.store import iter_jsonl

        done = {obj["forum"] for obj in iter_jsonl(version_dir / RECORDS)}
    work, dropped = _select(cfg, crawl.file(CRAWL.records), done, None)
    extra: dict[str, Any] = {"dry_run": True, "aggregator": _aggregator_name(cfg), "papers": len(work),
                             "already_done": len(done), "dropped_replies": dict(dropped)}
    if cfg.aggregator == "openai":
        client = _make_client(cfg)
        calls = cached = prompt_tokens = completion_tokens = 0
        for paper, selection in work:
            messages = build_messages(paper.title, selection.reviews, cfg.review_schema)
            if client.is_cached(messages, json_mode=True):
                cached += 1
                continue
            p, c = client.estimate_call(messages)
            calls, prompt_tokens, completion_tokens = calls + 1, prompt_tokens + p, completion_tokens + c
        cost = estimate_cost(cfg.llm.model, prompt_tokens, completion_tokens)
        extra.update(calls=calls, cached=cached, prompt_tokens=prompt_tokens,
                     completion_tokens=completion_tokens, cost_usd=None if cost is None else round(cost, 4))
    else:
        extra.update(calls=0, cached=0, prompt_tokens=0, completion_tokens=0, cost_usd=0.0)
    return StageReport("aggregate", cfg.version or "(dry run)", version_dir, {"ok": 0, "skipped": 0, "failed": 0}, extra)


def describe_dry_run(report: StageReport) -> str:
    """The dry run's figures as lines for the terminal."""
    e = report.extra
    cost = "unknown (no price for this model)" if e.get("cost_usd") is None else f"${e['cost_usd']:.4f}"
    return (
        f"dry run ({e['aggregator']}): {e['papers']} papers to aggregate ({e['already_done']} already done)\n"
        f"  LLM calls: {e['calls']} (+{e['cached']} answered from the cache)\n"
        f"  estimated tokens: {e['prompt_tokens']:,} prompt + {e['completion_tokens']:,} completion (at most)\n"
        f"  estimated cost: {cost}"
    )
