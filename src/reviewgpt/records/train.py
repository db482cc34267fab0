"""``train`` output read by other stages: ``data/train/<run>/run_info.json`` (what infer and merge load)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reviewgpt.errors import StoreError

RUN_INFO = "run_info.json"


class RunInfo(BaseModel):
    """How to load a trained run: its base model, adapter, RoPE scaling, lengths and schema."""

    model_config = ConfigDict(extra="ignore")  # a newer writer's extra keys do not stop an older reader

    base_model: str = Field(description="the base model's hub id or path")
    adapter_dir: str = Field("adapter", description="the adapter folder, relative to the run folder")
    rope_scaling: dict[str, Any] | None = Field(None, description="the RoPE scaling trained with, e.g. `{rope_type, factor}`")
    max_seq_len: int | None = Field(None, description="prompt + review tokens the run was trained on")
    schema: str = Field("4-aspect", description="the review schema it learned to write")
    dtype: str = Field("bfloat16", description="the compute dtype")
    load_in_4bit: bool = Field(False, description="trained on 4-bit weights (QLoRA)")
    dataset: str | None = Field(None, description="the dataset version folder it was trained on")


def read_run_info(run_dir: Path) -> RunInfo:
    """The run_info.json of a train run folder.

    Raises:
        StoreError: no such run, it has not finished (no run_info.json), or the file is malformed.
    """
    path = Path(run_dir) / RUN_INFO
    if not path.exists():
        raise StoreError(f"train run '{Path(run_dir).name}' not found or not finished: no {path}")
    try:
        return RunInfo.model_validate(json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, ValidationError) as exc:
        raise StoreError(f"{path}: not a valid run_info.json ({str(exc).splitlines()[0]})") from None
