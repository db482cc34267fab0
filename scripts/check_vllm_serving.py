"""Run vLLM's own config and LoRA-adapter validation on a ``reviewgpt train export`` folder, on CPU.

No GPU and no vLLM engine: only the functions ``vllm serve`` calls to read the model config, derive
the servable length and check a LoRA adapter. vLLM must be importable but need not be installed
in the project's environment; docs/serving.md says how it was run:

    PYTHONPATH=/tmp/vllm-dl/src:/tmp/vllm-deps python scripts/check_vllm_serving.py data/train/<run>/export

Prints one line per check and exits 1 when one fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _flag(argv: list[str], name: str) -> str | None:
    return argv[argv.index(name) + 1] if name in argv else None


def _derived_max_len(model: str, hf_overrides: dict | None, max_model_len: int | None) -> int:
    """vLLM's ``_get_and_verify_max_len`` on the model's config, as ``vllm serve`` resolves it."""
    from vllm.config.model import _get_and_verify_max_len
    from vllm.transformers_utils.config import get_config
    from vllm.transformers_utils.model_arch_config_convertor import ModelArchConfigConvertorBase

    config = get_config(model, trust_remote_code=False, hf_overrides_kw=hf_overrides or None)
    arch = ModelArchConfigConvertorBase(config, config.get_text_config()).convert()
    return _get_and_verify_max_len(config, arch, None, max_model_len, False, None)


def _if_positions_were_the_trained_context(merged: Path, want: int) -> tuple[str, bool, str]:
    """Why ``max_position_embeddings`` keeps the base's value: vLLM multiplies it by a linear factor."""
    import shutil
    import tempfile

    config = json.loads((merged / "config.json").read_text())
    factor = (config.get("rope_parameters") or {}).get("factor")
    if not factor:
        return ("merged: no RoPE scaling", True, "max_position_embeddings is the base's")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("config.json", "generation_config.json"):
            if (merged / name).exists():
                shutil.copy(merged / name, Path(tmp) / name)
        (Path(tmp) / "config.json").write_text(json.dumps({**config, "max_position_embeddings": want}))
        derived = _derived_max_len(tmp, None, None)
    return ("had max_position_embeddings been the trained context", derived > want,
            f"vLLM would derive {derived} = {want} x {factor} (scaled twice)")


def check(export: Path) -> list[tuple[str, bool, str]]:
    from vllm.config.lora import LoRAConfig
    from vllm.lora.peft_helper import PEFTHelper

    serving = json.loads((export / "serving.json").read_text())
    results: list[tuple[str, bool, str]] = []
    merged_cmd = serving["commands"]["vllm_merged"]
    want = int(_flag(merged_cmd, "--max-model-len"))
    try:
        derived = _derived_max_len(serving["merged_dir"], None, None)
        pinned = _derived_max_len(serving["merged_dir"], None, want)
        results.append(("merged: derived max_model_len", derived == want, f"{derived} (trained {want})"))
        results.append(("merged: --max-model-len accepted", pinned == want, str(pinned)))
        results.append(_if_positions_were_the_trained_context(Path(serving["merged_dir"]), want))
    except Exception as exc:  # report every check, not just the first failure
        results.append(("merged: config", False, f"{type(exc).__name__}: {exc}"))
    adapter_cmd = serving["commands"].get("vllm_adapter")
    if adapter_cmd is None:
        results.append(("adapter: not exported", True, serving["adapter_skipped"]))
        return results
    adapter = Path(serving["adapter_dir"])
    overrides = json.loads(_flag(adapter_cmd, "--hf-overrides") or "{}")
    try:
        derived = _derived_max_len(serving["base_model"], overrides, None)
        pinned = _derived_max_len(serving["base_model"], overrides, want)
        results.append(("base + --hf-overrides: derived max_model_len", derived >= want, f"{derived} (trained {want})"))
        results.append(("base + --hf-overrides: --max-model-len accepted", pinned == want, str(pinned)))
    except Exception as exc:
        results.append(("base + --hf-overrides: config", False, f"{type(exc).__name__}: {exc}"))
    helper = PEFTHelper.from_local_dir(str(adapter), max_position_embeddings=want)
    rank = int(_flag(adapter_cmd, "--max-lora-rank"))
    try:
        helper.validate_legal(LoRAConfig(max_lora_rank=rank))
        results.append((f"adapter: validate_legal(max_lora_rank={rank})", True, f"r={helper.r}"))
    except ValueError as exc:
        results.append((f"adapter: validate_legal(max_lora_rank={rank})", False, str(exc)))
    try:  # vLLM's default rank, for the record: a rank-64 adapter needs the flag
        helper.validate_legal(LoRAConfig())
        results.append(("adapter: validate_legal(default max_lora_rank=16)", True, "accepted"))
    except ValueError as exc:
        results.append(("adapter: validate_legal(default max_lora_rank=16)", True, f"refused as expected: {exc}"))
    results.append(_load_adapter(adapter, helper))
    return results


def _load_adapter(adapter: Path, helper) -> tuple[str, bool, str]:
    """``LoRAModel.from_local_checkpoint`` on CPU: the tensors load and name only the expected modules."""
    import torch
    from vllm.lora import lora_model
    from vllm.lora.lora_model import LoRAModel

    lora_model.PIN_MEMORY = False  # pinning host memory needs CUDA; on a GPU host vLLM pins

    expected = {"q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"}
    try:
        model = LoRAModel.from_local_checkpoint(
            str(adapter), expected, helper, lora_model_id=1, device="cpu", dtype=torch.bfloat16,
        )
        return ("adapter: LoRAModel.from_local_checkpoint", True, f"{len(model.loras)} LoRA modules")
    except Exception as exc:
        return ("adapter: LoRAModel.from_local_checkpoint", False, f"{type(exc).__name__}: {exc}")


def check_refused(adapter: Path) -> tuple[str, bool, str]:
    """An adapter with modules_to_save (embeddings, norms) must be refused, as the export assumes."""
    from vllm.config.lora import LoRAConfig
    from vllm.lora.peft_helper import PEFTHelper

    try:
        PEFTHelper.from_local_dir(str(adapter), max_position_embeddings=None).validate_legal(LoRAConfig(max_lora_rank=512))
    except ValueError as exc:
        return ("run adapter with modules_to_save: refused", True, str(exc))
    return ("run adapter with modules_to_save: refused", False, "accepted")


def main(argv: list[str]) -> int:
    import vllm

    print(f"vllm {vllm.__version__}")
    failed = False
    for arg in argv:
        path = Path(arg)
        checks = check(path)
        serving = json.loads((path / "serving.json").read_text())
        if serving["adapter_dir"] is None:
            checks.append(check_refused(path.parent / "adapter"))
        for name, ok, detail in checks:
            print(f"{'ok  ' if ok else 'FAIL'} {path}: {name}: {detail}")
            failed |= not ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
