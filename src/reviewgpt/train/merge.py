"""``reviewgpt train merge``: the adapter folded into the base weights, in the base dtype, on CPU.

The base is loaded unquantized in ``run_info.json``'s dtype (bf16) on the CPU (a 7B model
needs ~14 GB of RAM, no GPU memory) with the run's RoPE scaling, the adapter is merged
(``merge_and_unload``) and the result saved as safetensors with the tokenizer. The dtype is
checked after merging: the seeds' merge silently produced fp16. The saved ``config.json``
carries the scaling once (``rope_parameters``; ``max_position_embeddings`` stays the base's,
which servers multiply by the factor) and the tokenizer's ``model_max_length`` is the trained
context, the length a user can rely on.
"""

from __future__ import annotations

from pathlib import Path

from reviewgpt.errors import StoreError, require
from reviewgpt.logging import get_logger
from reviewgpt.models import is_adapter_folder
from reviewgpt.records.train import read_run_info
from reviewgpt.store import stage_dir

log = get_logger(__name__)


def merge_run(data_dir: Path, run: str, out_name: str = "merged") -> Path:
    """Merge ``data/train/<run>/adapter`` into its base model; returns ``data/train/<run>/merged``.

    Raises:
        StoreError: the run or its adapter does not exist.
    """
    require("peft", "train", "train merge")
    from peft import PeftModel

    from reviewgpt.modeling import adapter_rope_scaling, load_causal_lm, load_tokenizer, torch_dtype

    run_dir = stage_dir(data_dir, "train") / run
    info = read_run_info(run_dir)
    adapter = run_dir / info.adapter_dir
    if not is_adapter_folder(adapter):
        raise StoreError(f"train run '{run}' has no adapter at {adapter}")
    base = load_causal_lm(
        info.base_model, dtype=info.dtype, rope_scaling=adapter_rope_scaling(adapter, info.rope_scaling),
        device_map="cpu",
    )
    model = PeftModel.from_pretrained(base, str(adapter)).merge_and_unload()
    expected = torch_dtype(info.dtype)
    wrong = {str(p.dtype) for p in model.parameters() if p.dtype != expected}
    if wrong:
        raise StoreError(f"merged weights came out as {sorted(wrong)}, not {expected}; not saving them")
    out = run_dir / out_name
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = load_tokenizer(adapter)
    if info.max_seq_len:
        tokenizer.model_max_length = info.max_seq_len
    tokenizer.save_pretrained(out)
    log.info("merged %s into %s (%s) -> %s", adapter, info.base_model, expected, out)
    return out
