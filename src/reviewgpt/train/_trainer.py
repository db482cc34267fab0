"""HF Trainer with the chunked loss, tokens/s accounting, and metrics.jsonl written per log step."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

import torch
from transformers import Trainer, TrainerCallback

from reviewgpt.logging import get_logger
from reviewgpt.train._gc import ScheduledCollection
from reviewgpt.train._loss import causal_lm_loss_sum
from reviewgpt.train._model import backbone_and_head
from reviewgpt.train._offload import OffloadToCpu

log = get_logger(__name__)


class ReviewTrainer(Trainer):
    """Trainer whose loss runs the LM head in chunks on labelled tokens only.

    The loss is the sum over the accumulated batch's review tokens divided by their count
    (``num_items_in_batch``), so gradient accumulation equals one big batch.
    """

    loss_is_scaled_for_ga = True

    def __init__(self, *args, loss_chunk_size: int = 2048, offload_activations: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_chunk_size = loss_chunk_size
        self.offload = OffloadToCpu() if offload_activations and torch.cuda.is_available() else None
        if offload_activations and self.offload is None:
            log.warning("training.offload_activations: no CUDA device, so nothing is offloaded")
        self.tokens_seen = 0

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        labels = inputs["labels"]
        mask = inputs.get("attention_mask")
        self.tokens_seen += int(mask.sum()) if mask is not None else labels.numel()
        decoder, head = backbone_and_head(model)
        # The Trainer relies on accelerate wrapping model.forward in autocast; the decoder called
        # directly skips that wrapper, so enter it here (a no-op under DeepSpeed, which casts itself).
        # Without it the fp32 LoRA weights ran their matmuls in fp32: 5,664 vs 7,569 tokens/s on an H200.
        offload = self.offload if self.offload is not None and model.training else contextlib.nullcontext()
        with self.accelerator.autocast(), offload:
            hidden = decoder(input_ids=inputs["input_ids"], attention_mask=mask, use_cache=False).last_hidden_state
            loss_sum, count = causal_lm_loss_sum(hidden, labels, head, self.loss_chunk_size)
        if num_items_in_batch is None or not model.training:
            loss = loss_sum / max(count, 1)
        else:
            loss = loss_sum / num_items_in_batch
            if self.args.average_tokens_across_devices and self.accelerator.num_processes > 1:
                loss = loss * self.accelerator.num_processes  # DDP/ZeRO average the gradients over ranks
        return (loss, {}) if return_outputs else loss  # no logits: evaluation needs the loss only


class GarbageCollectionCallback(TrainerCallback):
    """Python's garbage collection on a schedule while training (see :mod:`reviewgpt.train._gc`)."""

    def __init__(self, interval: int):
        self.collection = ScheduledCollection(interval)

    def on_train_begin(self, args, state, control, **kwargs):
        self.collection.start()

    def on_step_end(self, args, state, control, **kwargs):
        self.collection.step(state.global_step)

    def stop(self) -> None:
        """Automatic collection back on (the caller's ``finally``: also when training fails)."""
        self.collection.stop()


class TimeLimitCallback(TrainerCallback):
    """Ends training at the first optimizer step past ``minutes`` (``training.max_minutes``)."""

    def __init__(self, minutes: float):
        self.seconds = minutes * 60
        self.started = 0.0

    def on_train_begin(self, args, state, control, **kwargs):
        self.started = time.monotonic()

    def on_step_end(self, args, state, control, **kwargs):
        if time.monotonic() - self.started >= self.seconds:
            log.info("training.max_minutes reached at step %d: stopping", state.global_step)
            control.should_training_stop = True


def metrics_key(record: dict[str, Any]) -> str:
    """Identity of a metrics line: its step, and whether it is a validation line."""
    return f"{record['step']}:{'eval' if 'eval_loss' in record else 'train'}"


class MetricsCallback(TrainerCallback):
    """Writes one metrics line per log step: loss, lr, tokens/s, peak memory (rank 0 only)."""

    def __init__(self, trainer: ReviewTrainer, write: Callable[[dict[str, Any]], None], done_steps: set[str]):
        self.trainer = trainer
        self.write = write
        self.done_steps = done_steps
        self._t0 = time.monotonic()
        self._tokens0 = 0

    def on_train_begin(self, args, state, control, **kwargs):
        self._t0, self._tokens0 = time.monotonic(), self.trainer.tokens_seen
        if torch.cuda.is_available():
            torch.cuda.reset_peak_memory_stats()

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not state.is_world_process_zero or not logs or "loss" not in logs and "eval_loss" not in logs:
            return
        now = time.monotonic()
        tokens = self.trainer.tokens_seen - self._tokens0
        record: dict[str, Any] = {
            "step": state.global_step,
            "epoch": round(state.epoch or 0.0, 4),
            **{k: logs[k] for k in ("loss", "learning_rate", "grad_norm", "eval_loss") if k in logs},
            # per process; multiply by the number of processes for the job's rate
            "tokens_per_s": round(tokens / max(now - self._t0, 1e-9), 1),
        }
        if "learning_rate" in record:
            record["lr"] = record.pop("learning_rate")
        if torch.cuda.is_available():
            record["peak_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
        self._t0, self._tokens0 = now, self.trainer.tokens_seen
        key = metrics_key(record)
        if key in self.done_steps:  # logged by the attempt we resume from
            return
        self.done_steps.add(key)
        self.write(record)
