"""The train stage: LongQLoRA (QLoRA + RoPE position interpolation + S2-Attn) on a dataset version.

``run(cfg)`` writes ``data/train/<run>/``: ``adapter/`` (PEFT adapter + tokenizer),
``run_info.json`` (what infer needs to load it), ``config.yaml`` (resolved), ``metrics.jsonl``,
``loss.png``, ``checkpoints/``. ``merge`` (see :mod:`reviewgpt.train.merge`) adds ``merged/``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from reviewgpt.artifacts import DATASET, TRAIN
from reviewgpt.config import dump_config
from reviewgpt.errors import ConfigError, StoreError
from reviewgpt.logging import get_logger
from reviewgpt.records.train import RUN_INFO, RunInfo
from reviewgpt.store import StageReport, StageRun, iter_jsonl, stage_dir, write_json_atomic
from reviewgpt.train.config import TrainConfig

log = get_logger(__name__)

METRICS = TRAIN.records.name
#: The chunked loss calls the decoder directly; plain DDP synchronises gradients only through its
#: own forward, so several processes train with DeepSpeed, whose ZeRO reduces through parameter hooks.
MULTI_GPU_NEEDS_DEEPSPEED = (
    "several GPUs need DeepSpeed: set training.deepspeed to configs/deepspeed/zero2.json (or zero3.json)"
)


def run(cfg: TrainConfig) -> StageReport:
    """Train a LoRA adapter as ``cfg`` says; see the module docstring for the outputs.

    Raises:
        ConfigError, StoreError, MissingExtraError: found by the pre-flight checks, before loading.
    """
    from reviewgpt.train._validate import preflight

    checks = preflight(cfg)
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1 and not cfg.version:
        raise ConfigError("several processes need one run name: pass --version <run> (reviewgpt train launch does)")
    if world_size > 1 and cfg.training.deepspeed is None:
        raise ConfigError(MULTI_GPU_NEEDS_DEEPSPEED)
    if cfg.training.deepspeed is not None:
        set_single_process_env()
    run_dir = stage_dir(cfg.data_dir, "train") / (cfg.version or "")
    checkpoints = run_dir / "checkpoints"
    if cfg.resume and not _last_checkpoint(checkpoints):
        raise StoreError(f"--resume: no checkpoint under {checkpoints} to continue from")
    if not cfg.resume and cfg.version and (run_dir / "adapter").exists():
        raise StoreError(f"train run '{cfg.version}' already has an adapter ({run_dir}); pick another --version")

    rank = int(os.environ.get("RANK", "0"))
    if rank != 0:  # only rank 0 writes the run folder; the others train and save checkpoints with it
        _train(cfg, checks, run_dir, write=None)
        return StageReport("train", cfg.version or "", run_dir, counts={"ok": 0, "skipped": 0, "failed": 0},
                           extra={"rank": rank})
    # one long item, the model: no item loop (reviewgpt.stage), only the StageRun's open and finish
    with StageRun(
        cfg.data_dir, "train", cfg.version, params=dump_config(cfg), inputs=[checks.dataset],
        records=METRICS, id_key="step", max_failures=cfg.failure_limit,
    ) as stage:
        report_extra = _train(cfg, checks, stage.path, write=stage.append)
        stage.extra.update(report_extra)
        stage.counts["ok"] = report_extra.get("train_examples", 0)
        stage.counts["skipped"] = report_extra.get("too_long", 0)
        if report_extra.get("too_long"):
            stage.skip_reasons["longer than training.max_seq_len"] = report_extra["too_long"]
    return stage.report()


def set_single_process_env() -> None:
    """Let DeepSpeed start a one-process group when no launcher did (``reviewgpt train`` on one GPU).

    Without a launcher's variables DeepSpeed falls back to MPI discovery, which needs mpi4py and an
    MPI runtime; a launcher's own variables are left as they are.
    """
    import socket

    if "LOCAL_RANK" in os.environ:
        return
    with socket.socket() as sock:  # a free port for the one-process rendezvous
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    for key, value in {"RANK": "0", "LOCAL_RANK": "0", "WORLD_SIZE": "1", "MASTER_ADDR": "127.0.0.1",
                       "MASTER_PORT": str(port)}.items():
        os.environ.setdefault(key, value)


def _train(cfg: TrainConfig, checks: Any, run_dir: Path, write) -> dict[str, Any]:
    from reviewgpt.modeling import load_tokenizer
    from reviewgpt.train._model import build_model, default_device_map
    from reviewgpt.train._plot import plot_losses
    from reviewgpt.train._validate import check_tokenizer

    t = cfg.training
    tokenizer = load_tokenizer(cfg.model.name_or_path)
    check_tokenizer(tokenizer, cfg.model.name_or_path, checks.dataset_tokenizer)
    tokenizer.padding_side = "right"
    train, val = _encode_splits(cfg, checks.dataset, tokenizer)

    args = _training_arguments(cfg, run_dir, has_eval=val is not None)  # before loading: ZeRO-3 zero.Init
    model = build_model(cfg, device_map=default_device_map(t.deepspeed is not None))
    trainer, collection, progress = _build_trainer(cfg, model, args, tokenizer, train, val, run_dir, write)
    resume_from = str(_last_checkpoint(run_dir / "checkpoints")) if cfg.resume else None
    if resume_from:
        log.info("resuming from %s", resume_from)
    try:
        result = trainer.train(resume_from_checkpoint=resume_from)
    finally:  # automatic collection back on, also when training fails
        collection.stop()
        progress.close()
    # the adapter first: a failing final evaluation (a long val example out of memory) must not lose it
    trainer.save_model(str(run_dir / "adapter"))  # gathers ZeRO-3 shards; saves adapter + tokenizer
    if write is not None:
        _write_run_files(cfg, checks, run_dir, model)
    eval_loss = trainer.evaluate()["eval_loss"] if val is not None else None  # every rank: ZeRO-3 gathers
    if write is None:
        return {}
    plot_losses(run_dir / METRICS, run_dir / TRAIN.loss_plot.name)
    return _report_extra(train, result, eval_loss)


def _encode_splits(cfg: TrainConfig, dataset: Any, tokenizer: Any) -> tuple[Any, Any]:
    """The encoded train split (over-long examples logged and counted) and val split (None if absent or empty)."""
    from reviewgpt.train._data import encode_split

    t = cfg.training
    train = encode_split(dataset.file(DATASET.train), tokenizer, t.max_seq_len, cfg.limit)
    for example_id, length in train.too_long:
        log.warning("%s: skipped, %d tokens > training.max_seq_len %d", example_id, length, t.max_seq_len)
    if not train.examples:
        raise StoreError(f"no training example fits training.max_seq_len {t.max_seq_len} in {dataset.path}")
    val_path = dataset.path / DATASET.val.name
    val = encode_split(val_path, tokenizer, t.max_seq_len, cfg.limit) if val_path.exists() else None
    if val is not None and not val.examples:
        val = None
    return train, val


def _build_trainer(cfg: TrainConfig, model: Any, args: Any, tokenizer: Any, train: Any, val: Any, run_dir: Path, write):
    """The trainer with its callbacks; also the two callbacks the caller must close after training."""
    from transformers import PrinterCallback

    from reviewgpt.train._data import PaddingCollator
    from reviewgpt.train._progress import TrainProgressCallback
    from reviewgpt.train._trainer import (
        GarbageCollectionCallback,
        MetricsCallback,
        ReviewTrainer,
        TimeLimitCallback,
        metrics_key,
    )

    t = cfg.training
    done = {metrics_key(r) for r in iter_jsonl(run_dir / METRICS)} if (run_dir / METRICS).exists() else set()
    trainer = ReviewTrainer(
        model=model,
        args=args,
        train_dataset=train.examples,
        eval_dataset=val.examples if val else None,
        data_collator=PaddingCollator(tokenizer.pad_token_id),
        processing_class=tokenizer,
        loss_chunk_size=t.loss_chunk_size,
        offload_activations=t.offload_activations,
    )
    collection = GarbageCollectionCallback(t.gc_interval)
    trainer.add_callback(collection)
    # transformers prints each log dict (PrinterCallback with tqdm off): one line per logging step
    trainer.remove_callback(PrinterCallback)
    progress = TrainProgressCallback(lambda: trainer.tokens_seen, t.progress_log_steps)
    trainer.add_callback(progress)
    if t.max_minutes is not None:
        trainer.add_callback(TimeLimitCallback(t.max_minutes))
    if write is not None:
        trainer.add_callback(MetricsCallback(trainer, write, done))
    return trainer, collection, progress


def _write_run_files(cfg: TrainConfig, checks: Any, run_dir: Path, model: Any) -> None:
    """What infer and merge read beside the adapter: RoPE overrides, run_info.json, the resolved config."""
    from reviewgpt.modeling import base_config_overrides, write_base_config_overrides

    # the RoPE scaling beside the adapter, where infer and vLLM (--hf-overrides) read it
    write_base_config_overrides(run_dir / "adapter", base_config_overrides(model.config))
    write_json_atomic(run_dir / RUN_INFO, run_info(cfg, checks.dataset.path, checks.schema))
    (run_dir / TRAIN.config.name).write_text(yaml.safe_dump(dump_config(cfg), sort_keys=False), encoding="utf-8")


def _report_extra(train: Any, result: Any, eval_loss: float | None) -> dict[str, Any]:
    import torch

    extra: dict[str, Any] = {
        "train_examples": len(train.examples),
        "train_tokens": train.tokens,
        "too_long": len(train.too_long),
        "global_steps": result.global_step,
        "train_loss": result.training_loss,
        "eval_loss": eval_loss,
        "world_size": int(os.environ.get("WORLD_SIZE", "1")),
    }
    if torch.cuda.is_available():
        extra["peak_mem_gib"] = round(torch.cuda.max_memory_allocated() / 2**30, 3)
    return extra


def run_info(cfg: TrainConfig, dataset_path: Path, schema: str) -> dict[str, Any]:
    """The run_info.json contract (:class:`reviewgpt.records.RunInfo`) that infer and merge read."""
    return RunInfo(
        base_model=cfg.model.name_or_path, adapter_dir="adapter", rope_scaling=cfg.model.rope_scaling,
        max_seq_len=cfg.training.max_seq_len, schema=schema, dtype=cfg.model.dtype,
        load_in_4bit=cfg.model.load_in_4bit, dataset=str(dataset_path),
    ).model_dump(mode="json")


def _training_arguments(cfg: TrainConfig, run_dir: Path, has_eval: bool):
    import torch
    from transformers import TrainingArguments

    t = cfg.training
    cuda = torch.cuda.is_available()
    optim = t.optim if cuda or not t.optim.startswith("paged_") else "adamw_torch"  # paged optimizers need CUDA
    return TrainingArguments(
        output_dir=str(run_dir / "checkpoints"),
        num_train_epochs=t.epochs,
        max_steps=t.max_steps,
        per_device_train_batch_size=t.batch_size,
        per_device_eval_batch_size=1,  # the seeds ran out of memory saving after a larger eval batch
        gradient_accumulation_steps=t.grad_accum,
        learning_rate=t.lr,
        lr_scheduler_type=t.lr_scheduler,
        warmup_steps=t.warmup_steps,
        weight_decay=t.weight_decay,
        max_grad_norm=t.max_grad_norm,
        optim=optim,
        bf16=cfg.model.dtype == "bfloat16",
        fp16=cfg.model.dtype == "float16",
        logging_steps=t.logging_steps,
        save_strategy="steps",
        save_steps=t.save_steps,
        save_total_limit=t.save_total_limit,
        eval_strategy="steps" if has_eval and t.eval_steps else "no",
        eval_steps=t.eval_steps,
        seed=t.seed,
        data_seed=t.seed,
        deepspeed=str(t.deepspeed) if t.deepspeed else None,
        gradient_checkpointing=False,  # enabled on the model already (non-reentrant)
        remove_unused_columns=False,
        prediction_loss_only=True,
        report_to=t.report_to,
        disable_tqdm=True,  # TrainProgressCallback draws the bar and logs a line every progress_log_steps
        dataloader_num_workers=0,
        use_cpu=not cuda,
    )


def _last_checkpoint(checkpoints: Path) -> Path | None:
    if not checkpoints.is_dir():
        return None
    found = [p for p in checkpoints.glob("checkpoint-*") if p.is_dir() and p.name.split("-")[-1].isdigit()]
    return max(found, key=lambda p: int(p.name.split("-")[-1]), default=None)
