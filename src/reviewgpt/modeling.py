"""Shared model loading for train and infer: one place that knows how a base model is loaded.

``load_causal_lm`` loads a hub id or a local path through ``from_pretrained``, optionally in
4-bit (bitsandbytes nf4, double quantization, bf16 compute: QLoRA), with RoPE scaling written
into the model config (transformers 5.x key ``rope_parameters``) so that the adapter trained
on it is served with the same positions, and with the requested attention implementation:
``sdpa`` (default), ``flash_attention_2``, or one registered with transformers' attention
interface (train registers LongLoRA's ``s2attn``, :mod:`reviewgpt.train.s2attn`, before loading).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from reviewgpt.errors import ConfigError, require

if TYPE_CHECKING:
    import torch
    from transformers import PretrainedConfig, PreTrainedModel, PreTrainedTokenizerBase

#: RoPE scaling types reviewgpt writes into a config, and the keys each one needs.
ROPE_TYPES: dict[str, tuple[str, ...]] = {
    "linear": ("factor",),
    "dynamic": ("factor",),
    "yarn": ("factor",),
    "llama3": ("factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"),
}

ATTN_IMPLEMENTATIONS = ("auto", "sdpa", "eager", "flash_attention_2")


def torch_dtype(name: str) -> torch.dtype:
    """``"bfloat16"`` -> ``torch.bfloat16`` (also float16, float32)."""
    import torch

    dtypes = {"bfloat16": torch.bfloat16, "float16": torch.float16, "float32": torch.float32}
    if name not in dtypes:
        raise ConfigError(f"dtype '{name}' is not one of {sorted(dtypes)}")
    return dtypes[name]


def check_rope_scaling(rope_scaling: dict[str, Any] | None) -> None:
    """Raise :class:`ConfigError` when a RoPE scaling dict lacks its type or a needed key."""
    if rope_scaling is None:
        return
    kind = rope_scaling.get("rope_type") or rope_scaling.get("type")
    if kind not in ROPE_TYPES:
        raise ConfigError(f"rope_scaling.rope_type '{kind}' is not one of {sorted(ROPE_TYPES)}")
    missing = [key for key in ROPE_TYPES[kind] if key not in rope_scaling]
    if missing:
        raise ConfigError(f"rope_scaling of type '{kind}' needs {', '.join(missing)}")
    if float(rope_scaling["factor"]) < 1.0:
        raise ConfigError("rope_scaling.factor must be >= 1 (it stretches the trained context)")


def apply_rope_scaling(config: PretrainedConfig, rope_scaling: dict[str, Any] | None) -> None:
    """Write ``rope_scaling`` into ``config.rope_parameters``, keeping the model's rope_theta.

    Idempotent: a config that already carries this scaling (a merged model, a config loaded and
    saved again) is left as it is, so the factor is applied exactly once. ``max_position_embeddings``
    keeps the base's value: vLLM and TGI derive the servable length as that value x the linear
    or dynamic factor, so writing the scaled length there would scale it twice.

    Raises:
        ConfigError: the config already carries a different RoPE scaling (scaling a scaled model).
    """
    if rope_scaling is None:
        return
    check_rope_scaling(rope_scaling)
    params = dict(getattr(config, "rope_parameters", None) or {})
    theta = params.get("rope_theta", getattr(config, "rope_theta", 10000.0))
    scaling = {k: v for k, v in rope_scaling.items() if k not in ("type", "rope_theta")}
    scaling["rope_type"] = rope_scaling.get("rope_type") or rope_scaling.get("type")
    original = getattr(config, "max_position_embeddings", None)
    if scaling["rope_type"] in ("yarn", "dynamic") and original:
        scaling.setdefault("original_max_position_embeddings", original)
    current = rope_scaling_of(config)
    if current is not None:
        if all(current.get(k) == v for k, v in scaling.items() if k != "original_max_position_embeddings"):
            return
        raise ConfigError(
            f"the model config already carries RoPE scaling {current}; refusing to apply {rope_scaling} on top "
            "(load the unscaled base model, or pass no rope_scaling)"
        )
    config.rope_parameters = {**scaling, "rope_theta": theta}


def rope_scaling_of(config: PretrainedConfig) -> dict[str, Any] | None:
    """The RoPE scaling a config carries (``rope_parameters`` without its theta); None when unscaled."""
    params = dict(getattr(config, "rope_parameters", None) or {})
    kind = params.get("rope_type") or params.get("type")
    if not kind or kind == "default":
        return None
    return {k: v for k, v in params.items() if k not in ("rope_theta", "type")} | {"rope_type": kind}


#: The file in an adapter folder holding the base-model config overrides it was trained with
#: (``{"rope_parameters": ...}``, or ``{}``): the same dict vLLM takes as ``--hf-overrides``.
BASE_CONFIG_OVERRIDES = "base_config_overrides.json"


def base_config_overrides(config: PretrainedConfig) -> dict[str, Any]:
    """The overrides that turn the base model's config into ``config``'s positions: its scaled RoPE, if any."""
    if rope_scaling_of(config) is None:
        return {}
    return {"rope_parameters": dict(config.rope_parameters)}


def write_base_config_overrides(adapter_dir: Path, overrides: dict[str, Any]) -> Path:
    """Write :data:`BASE_CONFIG_OVERRIDES` (from :func:`base_config_overrides`) into an adapter folder."""
    import json

    check_rope_scaling(overrides.get("rope_parameters"))
    path = Path(adapter_dir) / BASE_CONFIG_OVERRIDES
    path.write_text(json.dumps(overrides, indent=2) + "\n", encoding="utf-8")
    return path


def read_base_config_overrides(adapter_dir: Path) -> dict[str, Any] | None:
    """The adapter's :data:`BASE_CONFIG_OVERRIDES`; None when the adapter has none (older runs).

    Raises:
        ConfigError: the file is not a JSON object, or its RoPE scaling is invalid.
    """
    import json

    path = Path(adapter_dir) / BASE_CONFIG_OVERRIDES
    if not path.exists():
        return None
    try:
        overrides = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(overrides, dict):
        raise ConfigError(f"{path}: expected a JSON object of config keys")
    check_rope_scaling(overrides.get("rope_parameters"))
    return overrides


def adapter_rope_scaling(adapter_dir: Path | None, fallback: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The RoPE scaling to load an adapter's base with: its :data:`BASE_CONFIG_OVERRIDES` when it has
    one (``{}`` means none), else ``fallback`` (an older run's ``run_info.json``)."""
    overrides = read_base_config_overrides(adapter_dir) if adapter_dir is not None else None
    if overrides is None:
        return fallback
    return overrides.get("rope_parameters")


def scaled_context(base_context: int, rope_scaling: dict[str, Any] | None) -> int:
    """The context a model covers after scaling: (original) base x factor; the base when unscaled."""
    if not rope_scaling:
        return base_context
    base = rope_scaling.get("original_max_position_embeddings") or base_context
    return int(base * float(rope_scaling.get("factor", 1.0)))


def resolve_attn_implementation(name: str) -> str:
    """Check an attention implementation is available (a built-in one, or one registered with transformers).

    ``auto`` picks flash-attn 2 when it is installed and a GPU is present, SDPA otherwise. Asking
    for a named kernel that is not installed is an error, not a silent fallback.
    """
    if name not in ATTN_IMPLEMENTATIONS:
        from transformers import AttentionInterface

        # a kernel registered by its owner (train registers S2-Attn before loading)
        if name in AttentionInterface._global_mapping:
            return name
        raise ConfigError(f"attn_implementation '{name}' is not one of {ATTN_IMPLEMENTATIONS}")
    if name == "auto":
        import importlib.util

        import torch

        has_flash = importlib.util.find_spec("flash_attn") is not None and torch.cuda.is_available()
        return "flash_attention_2" if has_flash else "sdpa"
    if name == "flash_attention_2":
        require("flash_attn", "flash", "attn_implementation=flash_attention_2")
    return name


def quantization_config(dtype: str = "bfloat16", quant_storage: str | None = None):
    """QLoRA's BitsAndBytesConfig: nf4, double quantization, ``dtype`` compute.

    ``quant_storage`` (the compute dtype) packs the 4-bit weights in that dtype so DeepSpeed
    ZeRO-3 and FSDP can shard them like ordinary parameters.
    """
    require("bitsandbytes", "train", "4-bit loading (load_in_4bit)")
    from transformers import BitsAndBytesConfig

    kwargs: dict[str, Any] = {}
    if quant_storage:
        kwargs["bnb_4bit_quant_storage"] = torch_dtype(quant_storage)
    return BitsAndBytesConfig(
        load_in_4bit=True,
        bnb_4bit_quant_type="nf4",
        bnb_4bit_use_double_quant=True,
        bnb_4bit_compute_dtype=torch_dtype(dtype),
        **kwargs,
    )


def load_config(name_or_path: str | Path, rope_scaling: dict[str, Any] | None = None) -> PretrainedConfig:
    """The model's config with RoPE scaling applied (no weights are read)."""
    from transformers import AutoConfig

    from reviewgpt.models import resolve_model

    config = AutoConfig.from_pretrained(resolve_model(name_or_path))
    apply_rope_scaling(config, rope_scaling)
    return config


def load_causal_lm(
    name_or_path: str | Path,
    *,
    dtype: str = "bfloat16",
    load_in_4bit: bool = False,
    rope_scaling: dict[str, Any] | None = None,
    attn_implementation: str = "sdpa",
    device_map: str | dict[str, Any] | None = None,
    quant_storage: str | None = None,
) -> PreTrainedModel:
    """Load a causal LM for training or inference.

    Args:
        name_or_path: hub id, local directory, or an embedded model's short name
            (:data:`reviewgpt.models.DEFAULT_MODEL`), converted once and then read from its cache folder.
        dtype: weights / compute dtype (``bfloat16``, ``float16``, ``float32``).
        load_in_4bit: QLoRA loading (bitsandbytes nf4 + double quant, ``dtype`` compute). On a
            machine without CUDA pass ``device_map="cpu"`` (bitsandbytes' CPU 4-bit path).
        rope_scaling: e.g. ``{"rope_type": "linear", "factor": 3.0}``; written into the config.
        attn_implementation: ``auto`` (flash-attn 2 when installed, else SDPA), ``sdpa``, ``eager``,
            ``flash_attention_2``, or a registered one such as ``s2attn``.
        device_map: passed to ``from_pretrained`` (``"auto"``, ``"cpu"``, ``{"": 0}``...).
        quant_storage: ``bnb_4bit_quant_storage`` dtype name (needed for DeepSpeed ZeRO-3).

    Raises:
        ConfigError: unknown dtype, attention or RoPE type.
        MissingExtraError: bitsandbytes / flash-attn not installed when needed.
    """
    from transformers import AutoModelForCausalLM

    from reviewgpt.models import resolve_model

    name_or_path = resolve_model(name_or_path)
    attn = resolve_attn_implementation(attn_implementation)
    config = load_config(name_or_path, rope_scaling)
    kwargs: dict[str, Any] = {"config": config, "dtype": torch_dtype(dtype), "attn_implementation": attn}
    if load_in_4bit:
        kwargs["quantization_config"] = quantization_config(dtype, quant_storage)
    if device_map is not None:
        kwargs["device_map"] = device_map
    return AutoModelForCausalLM.from_pretrained(str(name_or_path), **kwargs)


def load_tokenizer(name_or_path: str | Path) -> PreTrainedTokenizerBase:
    """The tokenizer, with a pad token (EOS when the model has none) and right padding for training.

    An embedded model's short name loads its tokenizer folder only, never its weights.
    """
    from transformers import AutoTokenizer

    from reviewgpt.models import resolve_tokenizer

    tokenizer = AutoTokenizer.from_pretrained(resolve_tokenizer(name_or_path))
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer
