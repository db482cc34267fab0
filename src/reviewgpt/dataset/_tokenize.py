"""Token counting and truncation across a process pool.

Each worker loads the fast tokenizer once and fits chunks of examples; results come back in
submission order (so output files are deterministic) with a bounded number of chunks in
flight (so memory stays flat however large the dataset). ``workers=1`` runs in-process.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from reviewgpt.dataset._budget import Budget, Dropped, Fitted, fit_example
from reviewgpt.errors import ConfigError

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


@dataclass
class Job:
    """One example to fit: the paper and review text of a forum."""

    forum: str
    paper: str
    review: str


@dataclass
class Failed:
    """An example whose tokenization raised (a bug or a pathological text), kept as an error."""

    error: str
    detail: str


FitResult = Fitted | Dropped | Failed


def load_tokenizer(name: str) -> PreTrainedTokenizerBase:
    """Load the target model's tokenizer (fast) and check it has a chat template.

    Raises:
        ConfigError: it cannot be loaded, or it has no chat template to count with.
    """
    from reviewgpt.modeling import load_tokenizer as load

    try:
        tokenizer = load(name)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--tokenizer {name!r}: cannot load it ({str(exc).splitlines()[0]})") from exc
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(
            f"--tokenizer {name!r} has no chat template, so training's token counts cannot be reproduced: "
            "use the instruction-tuned model's tokenizer or add a chat_template to its tokenizer_config.json"
        )
    return tokenizer


_WORKER: dict[str, Any] = {}


def _init_worker(tokenizer_name: str, instruction: str, budget: Budget, schema: str) -> None:
    # One process per core already: the tokenizer's own thread pool would only oversubscribe.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _WORKER.update(tokenizer=load_tokenizer(tokenizer_name), instruction=instruction, budget=budget, schema=schema)


def _fit_one(tokenizer, instruction: str, budget: Budget, schema: str, job: Job) -> FitResult:
    try:
        return fit_example(tokenizer, instruction, job.paper, job.review, budget, schema)
    except Exception as exc:  # noqa: BLE001 - one bad text must not stop the run; it goes to errors.jsonl
        return Failed("tokenize-error", f"{type(exc).__name__}: {exc}")


def _fit_chunk(jobs: list[Job]) -> list[tuple[str, FitResult]]:
    w = _WORKER
    results = []
    for job in jobs:
        result = _fit_one(w["tokenizer"], w["instruction"], w["budget"], w["schema"], job)
        if isinstance(result, Fitted):  # the parent has the texts: send back only what changed
            result.paper = result.paper if result.truncated else None
            result.review = result.review if result.output_truncated else None
        results.append((job.forum, result))
    return results


def _chunks(jobs: Iterable[Job], size: int) -> Iterator[list[Job]]:
    it = iter(jobs)
    while chunk := list(islice(it, size)):
        yield chunk


def fit_all(
    jobs: Iterable[Job],
    *,
    tokenizer: PreTrainedTokenizerBase,
    tokenizer_name: str,
    instruction: str,
    budget: Budget,
    schema: str,
    workers: int,
    chunk_size: int = 16,
) -> Iterator[tuple[str, FitResult]]:
    """Fit every job, yielding ``(forum, result)`` in the order of ``jobs``.

    A :class:`Fitted` result's ``paper`` / ``review`` is None when that text is unchanged.

    Args:
        jobs: the examples.
        tokenizer: the tokenizer, used in-process when ``workers == 1``.
        tokenizer_name: what each worker process loads (the same hub id or path).
        instruction: the instruction text of every example.
        budget: the token limits.
        schema: the review schema (to trim an over-long review by whole points).
        workers: processes; 1 runs in this process.
        chunk_size: examples per task sent to a worker.
    """
    if workers <= 1:
        for job in jobs:
            yield job.forum, _fit_one(tokenizer, instruction, budget, schema, job)
        return
    # spawn, not fork: a forked child of a process that already used the Rust tokenizer's
    # thread pool can deadlock (tokenizers warns about exactly this).
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=get_context("spawn"),
        initializer=_init_worker,
        initargs=(tokenizer_name, instruction, budget, schema),
    ) as pool:
        pending: deque[Future] = deque()
        for chunk in _chunks(jobs, chunk_size):
            pending.append(pool.submit(_fit_chunk, chunk))
            if len(pending) >= 3 * workers:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
