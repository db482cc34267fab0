"""``build-dataset``: parsed papers + aggregated reviews -> instruction examples with exact token budgets.

Reads ``parse`` and ``aggregate`` (joined by forum) and, when there is one, ``crawl`` (venue ids
and dates); writes ``data/dataset/<version>/{train,val,test}.jsonl`` (:class:`InstructionExample`),
``stats.json``, ``lengths.png`` and the requested exports. See docs/dataset.md.

Public: :func:`run`.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewgpt.prompting import instruction_for, tokenizer_identity, tokenizer_mismatch

if TYPE_CHECKING:
    from reviewgpt.dataset._inputs import Candidate
    from reviewgpt.dataset._stats import StatsCollector
    from reviewgpt.dataset._tokenize import FitPool
    from reviewgpt.dataset.config import DatasetConfig
    from reviewgpt.store import StageReport, StageRun

__all__ = ["run"]


def run(cfg: DatasetConfig) -> StageReport:
    """Build the dataset version described by ``cfg``; rerunning into the same version resumes.

    Raises:
        ConfigError: the tokenizer cannot be loaded or has no chat template.
        StoreError: a parse or aggregate version is missing.
    """
    from reviewgpt.artifacts import DATASET, PARSE
    from reviewgpt.config import dump_config
    from reviewgpt.dataset._budget import Budget
    from reviewgpt.dataset._inputs import resolve_inputs
    from reviewgpt.dataset._split import SPLITS
    from reviewgpt.dataset._stats import StatsCollector
    from reviewgpt.dataset._tokenize import FitPool, load_tokenizer
    from reviewgpt.logging import get_logger
    from reviewgpt.store import StageRun, count_lines

    tokenizer = load_tokenizer(cfg.tokenizer)
    versions = resolve_inputs(cfg.data_dir, cfg.parse_input, cfg.aggregate_version, cfg.crawl_input)
    instruction = instruction_for(cfg.review_schema)
    budget = Budget(cfg.max_input_tokens, cfg.max_output_tokens, cfg.max_total_tokens, cfg.min_output_tokens)
    split_names = {split: DATASET.split(split).name for split in SPLITS}
    papers = count_lines(versions.parse.file(PARSE.records))
    workers = min(cfg.workers or os.cpu_count() or 1, math.ceil(papers / cfg.chunk_size) or 1)

    identity = tokenizer_identity(cfg.tokenizer, tokenizer)
    _refuse_other_tokenizer(cfg, identity)
    with StageRun(
        cfg.data_dir, "dataset", cfg.version, params=dump_config(cfg), inputs=versions.refs(),
        records=split_names["train"], id_key="id", max_failures=cfg.failure_limit,
    ) as run, FitPool(
        tokenizer=tokenizer, tokenizer_name=cfg.tokenizer, instruction=instruction, budget=budget,
        schema=cfg.review_schema, workers=workers, chunk_size=cfg.chunk_size,
    ) as pool:
        run.extra["tokenizer"] = identity
        done = _already_written(run, split_names)
        candidates, todo, split_of, drops = _plan(cfg, versions, run, pool, done)
        drop = partial(_drop, run, drops)
        if done:
            get_logger(__name__).info("resuming: %d examples already written, %d to go", len(done), len(todo))
        collector = _earlier_stats(run, split_names) if done else StatsCollector()
        _write_examples(cfg, run, pool, todo, split_of, split_names, instruction, collector, drop)
        _finish(cfg, run, {split: run.file(name) for split, name in split_names.items()}, collector, drops,
                len(candidates), versions.crawl is not None)
    return run.report()


def _plan(cfg: DatasetConfig, versions: Any, run: StageRun, pool: FitPool, done: set[str]):
    """The papers that make examples, those still to write, each one's split, and the drops so far.

    Tokenizing starts while the inputs are still read (each candidate is submitted as it is joined),
    except with --limit, where only the first N are submitted.
    """
    from reviewgpt.dataset._inputs import join_inputs
    from reviewgpt.dataset._split import assign_split
    from reviewgpt.dataset._tokenize import Job

    def count_early(cand: Candidate) -> None:
        if cand.forum not in done:
            pool.submit(Job(cand.forum, cand.paper, cand.review))

    joined = join_inputs(
        versions, schema=cfg.review_schema, min_content_chars=cfg.min_content_chars,
        on_candidate=None if cfg.limit else count_early,
    )
    candidates = joined.candidates[: cfg.limit] if cfg.limit else joined.candidates
    split_of = {c.forum: assign_split(c.group, cfg.split, cfg.seed) for c in candidates}
    drops: Counter[str] = Counter()
    for forum, reason, detail in joined.drops:
        _drop(run, drops, forum, reason, detail)
    todo = [c for c in candidates if c.forum not in done]
    if cfg.limit:
        for cand in todo:
            pool.submit(Job(cand.forum, cand.paper, cand.review))
    return candidates, todo, split_of, drops


def _finish(cfg: DatasetConfig, run: StageRun, split_files: dict[str, Path], collector: StatsCollector,
            drops: Counter[str], n_candidates: int, crawl_metadata: bool) -> None:
    """Close the split files, write stats.json, the length plot and the exports, and the manifest's extra."""
    from reviewgpt.artifacts import DATASET
    from reviewgpt.dataset._export import write_exports
    from reviewgpt.dataset._stats import build_stats, plot_lengths

    _close_splits(cfg, split_files, collector, n_candidates)
    stats = build_stats(collector, drops, run.counts["failed"], _settings(cfg, crawl_metadata))
    run.write_json(DATASET.stats, stats)
    plot_lengths(collector, cfg.max_total_tokens, run.file(DATASET.lengths_plot))
    exports = (write_exports(run.path, split_files, list(cfg.export), max_total_tokens=cfg.max_total_tokens,
                             model=cfg.tokenizer) if cfg.export else {})
    run.extra.update(
        splits=dict(collector.per_split), dropped_by_reason=dict(drops),
        truncated=collector.truncated, exports=sorted(exports),
    )


def _drop(run: StageRun, drops: Counter[str], forum: str, reason: str, detail: str) -> None:
    """Record a paper left out of the version, and why."""
    from reviewgpt.logging import get_logger

    run.skip(forum, reason)
    drops[reason] += 1
    get_logger(__name__).debug("%s: dropped (%s): %s", forum, reason, detail)


def _already_written(run: StageRun, split_names: dict[str, str]) -> set[str]:
    """Ids an earlier attempt of this version wrote, in any split; counts the non-train ones as ok."""
    from reviewgpt.store import count_lines

    done: set[str] = set()
    for split, name in split_names.items():
        done |= run.done_ids(name)
        if split != "train":  # StageRun counts only its main records file on resume
            run.counts["ok"] += count_lines(run.file(name))
    return done


def _earlier_stats(run: StageRun, split_names: dict[str, str]) -> StatsCollector:
    """A collector holding the records of an earlier attempt: they count in this version's stats too."""
    from reviewgpt.dataset._stats import StatsCollector
    from reviewgpt.records import InstructionExample
    from reviewgpt.store import read_records

    collector = StatsCollector()
    for split, name in split_names.items():
        for record in read_records(run.file(name), InstructionExample):
            collector.add(split, record)
    return collector


def _write_examples(
    cfg: DatasetConfig,
    run: StageRun,
    pool: FitPool,
    todo: list[Candidate],
    split_of: dict[str, str],
    split_names: dict[str, str],
    instruction: str,
    collector: StatsCollector,
    drop: Callable[[str, str, str], None],
) -> None:
    """Take each candidate's counted result from the pool, in order, and write, drop or fail it."""
    from reviewgpt.dataset._budget import Dropped
    from reviewgpt.dataset._tokenize import Failed
    from reviewgpt.records import InstructionExample
    from reviewgpt.stage import Failed as FailedItem
    from reviewgpt.stage import Outcome, Written, run_items

    def outcome(cand: Candidate) -> Outcome | None:
        forum, result = cand.forum, pool.result(cand.forum)
        if isinstance(result, Failed):
            return FailedItem(forum, result.error, result.detail)
        if isinstance(result, Dropped):
            drop(forum, result.reason, result.detail)  # a skip that also counts in stats.json
            return None
        split = split_of[forum]
        record = InstructionExample(
            id=forum, instruction=instruction, input=result.paper if result.paper is not None else cand.paper,
            output=result.review if result.review is not None else cand.review,
            input_tokens=result.input_tokens, output_tokens=result.output_tokens,
            truncated=result.truncated, venue_id=cand.venue_id, schema=cfg.review_schema,
            untruncated_input_tokens=result.untruncated_input_tokens,
            output_truncated=result.output_truncated, title=cand.title or None,
        )
        collector.add(split, record)
        return Written(record, split_names[split], counted=True)  # an example of any split is an item

    run_items(run, todo, outcome, total=len(todo), description="build-dataset")


def _close_splits(cfg: DatasetConfig, split_files: dict[str, Path], collector: StatsCollector, papers: int) -> None:
    """Every split has its file, empty or not; a split asked for but left empty is worth a warning."""
    from reviewgpt.dataset._split import SPLITS
    from reviewgpt.logging import get_logger

    for path in split_files.values():
        path.touch()  # an empty split is an empty file, not a missing one
    for split, fraction in zip(SPLITS, cfg.split, strict=True):
        if fraction > 0 and collector.per_split[split] == 0:
            get_logger(__name__).warning("split %s is empty (fraction %s of %d papers)", split, fraction, papers)


def _settings(cfg: DatasetConfig, crawl_metadata: bool) -> dict[str, Any]:
    """What the version was built with, as stats.json records it."""
    return {
        "tokenizer": cfg.tokenizer, "schema": cfg.review_schema, "max_input_tokens": cfg.max_input_tokens,
        "max_output_tokens": cfg.max_output_tokens, "max_total_tokens": cfg.max_total_tokens,
        "min_output_tokens": cfg.min_output_tokens, "split": list(cfg.split), "seed": cfg.seed,
        "crawl_metadata": crawl_metadata,
    }


def _refuse_other_tokenizer(cfg: DatasetConfig, identity: dict) -> None:
    """A resumed version must be counted by the tokenizer that counted its first records."""
    from reviewgpt.errors import ConfigError
    from reviewgpt.store import read_manifest, stage_dir

    if not cfg.version:
        return
    manifest = read_manifest(stage_dir(cfg.data_dir, "dataset") / cfg.version) or {}
    before = (manifest.get("extra") or {}).get("tokenizer")
    problem = tokenizer_mismatch(before, identity) if before else None
    if problem is not None:
        raise ConfigError(
            f"dataset version '{cfg.version}' was counted with another tokenizer: {problem}; "
            f"resume it with --tokenizer {before.get('name')} or write another --version"
        )
