"""Training progress on stderr: a rich bar (step, loss, tokens/s, ETA) and one log line every N steps.

Replaces transformers' own tqdm bar and its printed log dicts (one per ``logging_steps``, ~300
lines for a 300-step run); the full per-step record stays in metrics.jsonl.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from transformers import TrainerCallback

from reviewgpt.logging import get_logger
from reviewgpt.progress import format_duration

log = get_logger(__name__)


class TrainProgressCallback(TrainerCallback):
    """Rank 0 only. The bar shows when stderr is a terminal (and not ``--quiet``); the log lines always.

    Args:
        tokens_seen: the trainer's running count of (non-padding) tokens, read for tokens/s.
        log_every: a log line every this many optimizer steps (0: none), and at the last step.
        show_bar: draw the bar (default: :func:`reviewgpt.progress.show_progress`).
    """

    def __init__(self, tokens_seen: Callable[[], int], log_every: int, show_bar: bool | None = None):
        from reviewgpt.progress import show_progress

        self.tokens_seen = tokens_seen
        self.log_every = log_every
        self.show_bar = show_progress() if show_bar is None else show_bar
        self.loss: float | None = None
        self._progress = None
        self._task = None
        self._t0 = 0.0
        self._tokens0 = 0
        self._step0 = 0

    def tokens_per_s(self) -> float:
        """Tokens per second since training (or this resumed attempt) began."""
        elapsed = time.monotonic() - self._t0
        return (self.tokens_seen() - self._tokens0) / elapsed if elapsed > 0 else 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        self._t0, self._tokens0, self._step0 = time.monotonic(), self.tokens_seen(), state.global_step
        if self.show_bar:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            from reviewgpt.progress import average_eta_column

            self._progress = Progress(
                TextColumn("train"), BarColumn(), MofNCompleteColumn(),
                TextColumn("loss {task.fields[loss]}"), TextColumn("{task.fields[rate]} tok/s"),
                TextColumn("ETA"), average_eta_column(),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            # a resumed run starts at its step: the rate and the ETA count this attempt's steps only
            self._task = self._progress.add_task("train", total=state.max_steps, completed=state.global_step,
                                                 done_before=state.global_step, loss="-", rate="-")

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "loss" in logs:
            self.loss = float(logs["loss"])

    def on_step_end(self, args, state, control, **kwargs):
        if not state.is_world_process_zero:
            return
        step, rate = state.global_step, self.tokens_per_s()
        loss = f"{self.loss:.4f}" if self.loss is not None else "-"
        if self._progress is not None:
            self._progress.update(self._task, completed=step, loss=loss, rate=f"{rate:,.0f}")
        if self.log_every and (step % self.log_every == 0 or step == state.max_steps):
            elapsed = time.monotonic() - self._t0
            steps_done = step - self._step0
            eta = elapsed / steps_done * (state.max_steps - step) if steps_done > 0 else 0.0
            log.info("step %d/%d  loss %s  %s tok/s  ETA %s", step, state.max_steps, loss, f"{rate:,.0f}",
                     format_duration(eta))

    def on_train_end(self, args, state, control, **kwargs):
        self.close()

    def close(self) -> None:
        """Remove the bar (also the caller's ``finally``: a failed run must not leave it drawn)."""
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

