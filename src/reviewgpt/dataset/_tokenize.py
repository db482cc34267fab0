"""Token counting and truncation across a process pool.

Each worker loads the fast tokenizer once and fits chunks of examples. The parent submits
every paper as it reads it (the texts are in its memory already) and reads the results back
in its own order, so output files are deterministic. ``workers=1`` runs in-process.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_context
from typing import TYPE_CHECKING, Any

from reviewgpt.dataset._budget import Budget, Dropped, Fitted, fit_example
from reviewgpt.errors import ConfigError
from reviewgpt.workers import die_with_parent

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


def _init_worker(parent_pid: int, tokenizer_name: str, instruction: str, budget: Budget, schema: str) -> None:
    die_with_parent(parent_pid)  # a killed build-dataset must not leave its tokenizers running
    # One process per core already: the tokenizer's own thread pool would only oversubscribe.
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _WORKER.update(tokenizer=load_tokenizer(tokenizer_name), instruction=instruction, budget=budget, schema=schema)


def _fit_one(tokenizer, instruction: str, budget: Budget, schema: str, job: Job) -> FitResult:
    try:
        return fit_example(tokenizer, instruction, job.paper, job.review, budget, schema)
    except Exception as exc:  # noqa: BLE001 - one bad text must not stop the run; it goes to errors.jsonl
        return Failed("tokenize-error", f"{type(exc).__name__}: {exc}")


def _fit_chunk(jobs: list[Job]) -> list[FitResult]:
    w = _WORKER
    results = []
    for job in jobs:
        result = _fit_one(w["tokenizer"], w["instruction"], w["budget"], w["schema"], job)
        if isinstance(result, Fitted):  # the parent has the texts: send back only what changed
            result.paper = result.paper if result.truncated else None
            result.review = result.review if result.output_truncated else None
        results.append(result)
    return results


class FitPool:
    """Fits examples in worker processes as they are submitted; results are read back by forum.

    Opened before the inputs are read, so the workers start, and count the first papers, while
    the parent is still reading and joining the inputs (serial work that used to leave the other
    cores idle). Jobs go to the workers in chunks, in submission order; a job whose result is
    never asked for (a paper dropped as a duplicate title once every paper was read) is cancelled
    if it has not run yet. ``workers=1`` fits in this process when the result is asked for.

    Args:
        tokenizer: the tokenizer, used in-process when ``workers == 1``.
        tokenizer_name: what each worker process loads (the same hub id or path).
        instruction: the instruction text of every example.
        budget: the token limits.
        schema: the review schema (to trim an over-long review by whole points).
        workers: processes; 1 runs in this process.
        chunk_size: examples per task sent to a worker.
    """

    def __init__(
        self,
        *,
        tokenizer: PreTrainedTokenizerBase,
        tokenizer_name: str,
        instruction: str,
        budget: Budget,
        schema: str,
        workers: int,
        chunk_size: int = 16,
    ):
        self._fit_args = (tokenizer, instruction, budget, schema)
        self._chunk_size = chunk_size
        self._pool: ProcessPoolExecutor | None = None
        if workers > 1:
            # spawn, not fork: a forked child of a process that already used the Rust tokenizer's
            # thread pool can deadlock (tokenizers warns about exactly this).
            self._pool = ProcessPoolExecutor(
                max_workers=workers,
                mp_context=get_context("spawn"),
                initializer=_init_worker,
                initargs=(os.getpid(), tokenizer_name, instruction, budget, schema),
            )
        self._pending: list[Job] = []
        self._where: dict[str, tuple[Future, int]] = {}  # forum -> (its chunk's future, index in the chunk)
        self._inline: dict[str, Job] = {}

    def __enter__(self) -> FitPool:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def submit(self, job: Job) -> None:
        if self._pool is None:
            self._inline[job.forum] = job
            return
        self._pending.append(job)
        if len(self._pending) >= self._chunk_size:
            self._flush()

    def result(self, forum: str) -> FitResult:
        """The fitted example of a submitted job (waits for its chunk). A Fitted result's
        ``paper`` / ``review`` is None when that text is unchanged."""
        if self._pool is None:
            return _fit_one(*self._fit_args, self._inline.pop(forum))
        if forum not in self._where:
            self._flush()
        future, index = self._where.pop(forum)
        return future.result()[index]

    def _flush(self) -> None:
        if not self._pending:
            return
        assert self._pool is not None
        future = self._pool.submit(_fit_chunk, self._pending)
        for index, job in enumerate(self._pending):
            self._where[job.forum] = (future, index)
        self._pending = []
