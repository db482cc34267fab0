"""Exports of the splits for other trainers: Alpaca, LLaMA-Factory, XTuner, ShareGPT-style messages.

Field names follow each tool's dataset loader (checked against LLaMA-Factory 0.9.5 and XTuner 0.2.0):

- Alpaca (``exports/alpaca/<split>.json``): a JSON list of ``{"instruction", "input", "output"}``.
- LLaMA-Factory (``exports/dataset_info.json``): entries ``reviewgpt_<split>`` with ``file_name``
  relative to the folder, ``formatting: alpaca`` and the ``columns`` mapping
  (prompt/query/response). With ``sharegpt`` also exported, ``reviewgpt_messages_<split>``
  entries read those files. ``exports/llamafactory_sft.yaml`` is a ready ``llamafactory-cli train``
  file whose ``cutoff_len`` is the dataset's ``max_total_tokens``: LLaMA-Factory's default of 2048
  would silently cut our 12k-token examples.
- XTuner (``exports/xtuner/<split>.jsonl``): one ``{"messages": [{"role", "content"}, ...]}`` per
  line, the OpenAI chat format its current loaders read (``openai_map_fn``, ``xtuner._lite``'s JSONL
  datasets), not the legacy ``conversation`` lists.
- ShareGPT-style (``exports/sharegpt/<split>.jsonl``): the same ``messages`` lines, the user turn
  being exactly the prompt of :func:`reviewgpt.prompting.prompt_messages`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reviewgpt.artifacts import JSONL
from reviewgpt.fsutil import replaced_on_success, write_text_atomic
from reviewgpt.prompting import prompt_messages
from reviewgpt.records import InstructionExample
from reviewgpt.store import read_records, write_json_atomic

EXPORT_DIR = "exports"


def _alpaca(rec: InstructionExample) -> dict[str, Any]:
    return {"instruction": rec.instruction, "input": rec.input, "output": rec.output}


def _messages(rec: InstructionExample) -> dict[str, Any]:
    return {"messages": [*prompt_messages(rec.instruction, rec.input), {"role": "assistant", "content": rec.output}]}


def _write_json_list(path: Path, items: Iterator[dict[str, Any]]) -> int:
    """Stream a JSON list to ``path`` (one item per line) without holding it in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with replaced_on_success(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write("[")
        for item in items:
            fh.write(("\n" if n == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    return n


def _write_jsonl(path: Path, items: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with replaced_on_success(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    return n


def write_exports(
    version_dir: Path, split_files: dict[str, Path], formats: list[str], *,
    max_total_tokens: int | None = None, model: str | None = None,
) -> dict[str, str]:
    """Write the requested export formats under ``<version_dir>/exports``.

    Args:
        version_dir: the dataset version folder.
        split_files: split name -> its ``InstructionExample`` JSONL file.
        formats: any of ``alpaca``, ``llamafactory`` (implies alpaca), ``xtuner``, ``sharegpt``.
        max_total_tokens: the dataset's prompt + review budget: LLaMA-Factory's ``cutoff_len``.
        model: the model the tokens were counted for (the ``--tokenizer``): ``model_name_or_path``.

    Returns:
        Written file -> format, paths relative to ``version_dir``.
    """
    root = version_dir / EXPORT_DIR
    wanted = set(formats)
    if "llamafactory" in wanted:
        wanted.add("alpaca")
    plans: list[tuple[str, str, Callable[[InstructionExample], dict[str, Any]], Callable]] = []
    if "alpaca" in wanted:
        plans.append(("alpaca", "json", _alpaca, _write_json_list))
    if "xtuner" in wanted:
        plans.append(("xtuner", "jsonl", _messages, _write_jsonl))
    if "sharegpt" in wanted:
        plans.append(("sharegpt", "jsonl", _messages, _write_jsonl))
    written: dict[str, str] = {}
    for name, ext, convert, writer in plans:
        for split, source in split_files.items():
            target = root / name / f"{split}.{ext}"
            writer(target, (convert(rec) for rec in read_records(source, InstructionExample)))
            written[str(target.relative_to(version_dir))] = name
    if "llamafactory" in wanted:
        info = llamafactory_dataset_info(list(split_files), with_messages="sharegpt" in wanted)
        write_json_atomic(root / "dataset_info.json", info)
        written[f"{EXPORT_DIR}/dataset_info.json"] = "llamafactory"
        if max_total_tokens is not None:
            dataset = "reviewgpt_messages" if "sharegpt" in wanted else "reviewgpt"
            yaml_text = llamafactory_train_yaml(root, version_dir.name, list(split_files), dataset,
                                                max_total_tokens, model)
            write_text_atomic(root / LLAMAFACTORY_YAML, yaml_text)
            written[f"{EXPORT_DIR}/{LLAMAFACTORY_YAML}"] = "llamafactory"
    return written


LLAMAFACTORY_YAML = "llamafactory_sft.yaml"


def llamafactory_train_yaml(
    exports_dir: Path, version: str, splits: list[str], dataset: str, cutoff_len: int, model: str | None,
) -> str:
    """A ``llamafactory-cli train`` config (LLaMA-Factory 0.9.5 keys) for these exports.

    ``cutoff_len`` is the dataset's budget; the LoRA and length settings follow
    ``configs/llama2-longqlora.yaml``. ``template`` is left unset, so LLaMA-Factory parses the
    tokenizer's chat template (the one the budgets were counted with).
    """
    import yaml

    settings: dict[str, Any] = {
        "model_name_or_path": model or "<the model the dataset was tokenized for>",
        "stage": "sft",
        "do_train": True,
        "finetuning_type": "lora",
        "lora_rank": 64,
        "lora_alpha": 16,
        "lora_dropout": 0.05,
        "lora_target": "q_proj,k_proj,v_proj,o_proj",
        "quantization_bit": 4,
        "dataset_dir": str(exports_dir.resolve()),
        "dataset": f"{dataset}_train",
        "cutoff_len": cutoff_len,
        "output_dir": f"saves/reviewgpt-{version}",
        "per_device_train_batch_size": 1,
        "gradient_accumulation_steps": 16,
        "learning_rate": 1.0e-4,
        "num_train_epochs": 1.0,
        "bf16": True,
        "gradient_checkpointing": True,
    }
    if "val" in splits:
        settings["eval_dataset"] = f"{dataset}_val"
    head = (
        "# Written by reviewgpt build-dataset. Train with: llamafactory-cli train <this file>\n"
        f"# cutoff_len {cutoff_len} = the dataset's max_total_tokens: LLaMA-Factory's default of 2048 would\n"
        "# silently cut every longer example. When it is over the model's context, add\n"
        "#   rope_scaling: linear\n"
        "# LLaMA-Factory then sets the factor to ceil(cutoff_len / context): 3.0 for Llama-2 at 12288 tokens\n"
        "# (as configs/llama2-longqlora.yaml), but 2.0 for Llama-3-8B (configs/llama3-8b-pi.yaml trains x1.5).\n"
        "# shift_attn: true is LLaMA-Factory's S2-Attn (Llama models only).\n"
    )
    return head + yaml.safe_dump(settings, sort_keys=False)


def llamafactory_dataset_info(splits: list[str], with_messages: bool = False) -> dict[str, Any]:
    """LLaMA-Factory ``dataset_info.json`` entries for the exported files (paths relative to it)."""
    info: dict[str, Any] = {}
    for split in splits:
        info[f"reviewgpt_{split}"] = {
            "file_name": f"alpaca/{split}.json",
            "formatting": "alpaca",
            "columns": {"prompt": "instruction", "query": "input", "response": "output"},
        }
    if with_messages:
        for split in splits:
            info[f"reviewgpt_messages_{split}"] = {
                "file_name": f"sharegpt/{split}{JSONL}",
                "formatting": "sharegpt",
                "columns": {"messages": "messages"},
                "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
            }
    return info
