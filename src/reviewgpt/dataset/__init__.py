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
from typing import TYPE_CHECKING

from reviewgpt.prompting import instruction_for, tokenizer_identity, tokenizer_mismatch

if TYPE_CHECKING:
    from reviewgpt.dataset.config import DatasetConfig
    from reviewgpt.store import StageReport

__all__ = ["run"]


def run(cfg: DatasetConfig) -> StageReport:
    """Build the dataset version described by ``cfg``; rerunning into the same version resumes.

    Raises:
        ConfigError: the tokenizer cannot be loaded or has no chat template.
        StoreError: a parse or aggregate version is missing.
    """
    from reviewgpt.artifacts import DATASET, PARSE
    from reviewgpt.config import dump_config
    from reviewgpt.dataset._budget import Budget, Dropped
    from reviewgpt.dataset._export import write_exports
    from reviewgpt.dataset._inputs import Candidate, join_inputs, resolve_inputs
    from reviewgpt.dataset._split import SPLITS, assign_split
    from reviewgpt.dataset._stats import StatsCollector, build_stats, plot_lengths
    from reviewgpt.dataset._tokenize import Failed, FitPool, Job, load_tokenizer
    from reviewgpt.logging import get_logger
    from reviewgpt.progress import track
    from reviewgpt.records import InstructionExample
    from reviewgpt.store import StageRun, count_lines, read_records

    log = get_logger(__name__)
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
        done: set[str] = set()
        for split, name in split_names.items():
            done |= run.done_ids(name)
            if split != "train":  # StageRun counts only its main records file on resume
                run.counts["ok"] += count_lines(run.file(name))

        def count_early(cand: Candidate) -> None:  # counting starts while the inputs are still read
            if cand.forum not in done:
                pool.submit(Job(cand.forum, cand.paper, cand.review))

        joined = join_inputs(
            versions, schema=cfg.review_schema, min_content_chars=cfg.min_content_chars,
            on_candidate=None if cfg.limit else count_early,  # with --limit, only the first N are counted
        )
        candidates = joined.candidates[: cfg.limit] if cfg.limit else joined.candidates
        split_of = {c.forum: assign_split(c.group, cfg.split, cfg.seed) for c in candidates}
        drops: Counter[str] = Counter()

        def drop(forum: str, reason: str, detail: str) -> None:
            run.skip(forum, reason)
            drops[reason] += 1
            log.debug("%s: dropped (%s): %s", forum, reason, detail)

        for forum, reason, detail in joined.drops:
            drop(forum, reason, detail)

        todo = [c for c in candidates if c.forum not in done]
        if cfg.limit:
            for cand in todo:
                pool.submit(Job(cand.forum, cand.paper, cand.review))
        if done:
            log.info("resuming: %d examples already written, %d to go", len(done), len(todo))
        collector = StatsCollector()
        if done:  # records of an earlier attempt count in the stats of this version too
            for split, name in split_names.items():
                for record in read_records(run.file(name), InstructionExample):
                    collector.add(split, record)
        for cand in track(todo, total=len(todo), description="build-dataset"):
            forum, result = cand.forum, pool.result(cand.forum)
            if isinstance(result, Failed):
                run.fail(forum, result.error, result.detail)
            elif isinstance(result, Dropped):
                drop(forum, result.reason, result.detail)
            else:
                split = split_of[forum]
                record = InstructionExample(
                    id=forum, instruction=instruction, input=result.paper if result.paper is not None else cand.paper,
                    output=result.review if result.review is not None else cand.review,
                    input_tokens=result.input_tokens, output_tokens=result.output_tokens,
                    truncated=result.truncated, venue_id=cand.venue_id, schema=cfg.review_schema,
                    untruncated_input_tokens=result.untruncated_input_tokens,
                    output_truncated=result.output_truncated, title=cand.title or None,
                )
                run.append(record, name=split_names[split])
                collector.add(split, record)
                if split != "train":
                    run.counts["ok"] += 1

        split_files = {split: run.file(name) for split, name in split_names.items()}
        for path in split_files.values():
            path.touch()  # an empty split is an empty file, not a missing one
        for split, fraction in zip(SPLITS, cfg.split, strict=True):
            if fraction > 0 and collector.per_split[split] == 0:
                log.warning("split %s is empty (fraction %s of %d papers)", split, fraction, len(candidates))
        settings = {
            "tokenizer": cfg.tokenizer, "schema": cfg.review_schema, "max_input_tokens": cfg.max_input_tokens,
            "max_output_tokens": cfg.max_output_tokens, "max_total_tokens": cfg.max_total_tokens,
            "min_output_tokens": cfg.min_output_tokens, "split": list(cfg.split), "seed": cfg.seed,
            "crawl_metadata": versions.crawl is not None,
        }
        stats = build_stats(collector, drops, run.counts["failed"], settings)
        run.write_json(DATASET.stats, stats)
        plot_lengths(collector, cfg.max_total_tokens, run.file(DATASET.lengths_plot))
        exports = (write_exports(run.path, split_files, list(cfg.export), max_total_tokens=cfg.max_total_tokens,
                                 model=cfg.tokenizer) if cfg.export else {})
        run.extra.update(
            splits=dict(collector.per_split), dropped_by_reason=dict(drops),
            truncated=collector.truncated, exports=sorted(exports),
        )
    return run.report()


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
