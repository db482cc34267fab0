"""Exports of the splits for other trainers: Alpaca, LLaMA-Factory, XTuner, ShareGPT-style messages.

Field names follow each tool's documented dataset format:

- Alpaca (``exports/alpaca/<split>.json``): a JSON list of ``{"instruction", "input", "output"}``.
- LLaMA-Factory (``exports/dataset_info.json``): entries ``reviewgpt_<split>`` with ``file_name``
  relative to the folder, ``formatting: alpaca`` and the ``columns`` mapping
  (prompt/query/response); use ``--dataset_dir <version>/exports --dataset reviewgpt_train``.
  With ``sharegpt`` also exported, ``reviewgpt_messages_<split>`` entries read those files.
- XTuner (``exports/xtuner/<split>.json``): a JSON list of single-turn
  ``{"conversation": [{"system", "input", "output"}]}``.
- ShareGPT-style (``exports/sharegpt/<split>.jsonl``): one ``{"messages": [{"role", "content"}, ...]}``
  per line, the user turn being exactly the prompt of :func:`reviewgpt.prompting.prompt_messages`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reviewgpt.prompting import prompt_messages
from reviewgpt.records import InstructionExample
from reviewgpt.store import read_records, write_json_atomic

EXPORT_DIR = "exports"


def _alpaca(rec: InstructionExample) -> dict[str, Any]:
    return {"instruction": rec.instruction, "input": rec.input, "output": rec.output}


def _xtuner(rec: InstructionExample) -> dict[str, Any]:
    user = prompt_messages(rec.instruction, rec.input)[0]["content"]
    return {"conversation": [{"system": "", "input": user, "output": rec.output}]}


def _messages(rec: InstructionExample) -> dict[str, Any]:
    return {"messages": [*prompt_messages(rec.instruction, rec.input), {"role": "assistant", "content": rec.output}]}


def _write_json_list(path: Path, items: Iterator[dict[str, Any]]) -> int:
    """Stream a JSON list to ``path`` (one item per line) without holding it in memory."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write("[")
        for item in items:
            fh.write(("\n" if n == 0 else ",\n") + json.dumps(item, ensure_ascii=False))
            n += 1
        fh.write("\n]\n")
    tmp.replace(path)
    return n


def _write_jsonl(path: Path, items: Iterator[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    n = 0
    with open(tmp, "w", encoding="utf-8") as fh:
        for item in items:
            fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    tmp.replace(path)
    return n


def write_exports(version_dir: Path, split_files: dict[str, Path], formats: list[str]) -> dict[str, str]:
    """Write the requested export formats under ``<version_dir>/exports``.

    Args:
        version_dir: the dataset version folder.
        split_files: split name -> its ``InstructionExample`` JSONL file.
        formats: any of ``alpaca``, ``llamafactory`` (implies alpaca), ``xtuner``, ``sharegpt``.

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
        plans.append(("xtuner", "json", _xtuner, _write_json_list))
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
    return written


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
                "file_name": f"sharegpt/{split}.jsonl",
                "formatting": "sharegpt",
                "columns": {"messages": "messages"},
                "tags": {"role_tag": "role", "content_tag": "content", "user_tag": "user", "assistant_tag": "assistant"},
            }
    return info
