"""``InferConfig``: which model writes the reviews, for which papers, and how tokens are drawn."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from reviewgpt.config import StageConfig, StrictModel
from reviewgpt.llm.config import LLMConfig
from reviewgpt.models import DEFAULT_MODEL, is_adapter_folder
from reviewgpt.reviewtext import ASPECT_SCHEMAS


class SamplingConfig(StrictModel):
    """How tokens are drawn (hf backend; the openai backend sends temperature, top_p and max tokens)."""

    temperature: float = Field(0.7, ge=0, le=2, description="Sampling temperature; 0 is greedy.")
    top_p: float = Field(0.9, gt=0, le=1, description="Nucleus sampling mass (1: off).")
    repetition_penalty: float = Field(1.0, ge=1.0, description="CTRL repetition penalty (1: off).")
    no_repeat_ngram_size: int = Field(
        0, ge=0, description="Never write an n-gram of this many tokens twice in one review (0: off; hf backend)."
    )
    max_new_tokens: int = Field(1024, ge=1, description="Tokens per review at most.")
    seed: int | None = Field(0, description="Seed of the sampling RNG (None: a different draw each run).")


class HFConfig(StrictModel):
    """Local generation with transformers (the ``hf`` backend)."""

    dtype: Literal["bfloat16", "float16", "float32"] | None = Field(
        None, description="Weights dtype (default: the train run's, else bfloat16)."
    )
    load_in_4bit: bool | None = Field(None, description="Load the base in 4-bit nf4 (default: the train run's).")
    merge_adapter: bool = Field(
        True, description="Fold the LoRA adapter into the weights (faster; skipped for 4-bit bases)."
    )
    engine: Literal["shared", "generate"] = Field(
        "shared",
        description="shared: one prefill per paper whose KV its samples share, memory-sized batches (fast); "
        "generate: transformers' generate with num_return_sequences (the reference path).",
    )
    decode_attention: Literal["sdpa", "matmul"] = Field(
        "sdpa", description="Decode attention kernel of the shared engine (sdpa: fused kernels; matmul: reference)."
    )
    kv_cache_gib: float | None = Field(
        None, gt=0, description="KV cache budget per batch in GiB (default: free device memory after loading)."
    )
    max_batch_papers: int = Field(32, ge=1, description="Papers per batch at most.")
    max_prompt_tokens: int | None = Field(
        None, ge=16,
        description="Cut longer papers to this many prompt tokens (default: the run's max_seq_len minus "
        "sampling.max_new_tokens, else none).",
    )
    device: str | None = Field(None, description="cuda, cpu... (default: cuda when available).")


class InferConfig(StageConfig):
    """``reviewgpt infer``: N reviews per paper from a fine-tuned model or any OpenAI-compatible server."""

    run: str | None = Field(None, description="Train run to serve (data/train/<run>: adapter + run_info.json).")
    model: str | None = Field(
        None,
        description="Hub id or path of a model (hf), or the served model name (openai). Overrides the run's base. "
        f"hf without --run: default {DEFAULT_MODEL} (the embedded model).",
    )
    adapter: Path | None = Field(None, description="PEFT adapter folder to apply to --model (hf).")
    backend: Literal["hf", "openai"] = Field("hf", description="hf: local transformers; openai: any OpenAI-compatible server.")
    prompt_style: Literal["review", "json"] = Field(
        "review",
        description="review: the training prompt, text answer; json: the schema prompt in JSON mode, converted to the "
        "review text format (GPT-4-class baselines; openai backend).",
    )
    samples: int = Field(5, ge=1, le=64, description="Reviews per paper.")
    RENAMED_KEYS: ClassVar[dict[str, str]] = {"schema_name": "review_schema"}

    review_schema: str | None = Field(
        None, description="Review schema for papers read from parse (default: the run's, else 4-aspect); "
        "formerly schema_name."
    )
    system: str | None = Field(None, description="System name written in each prediction (default: run, model or openai:<model>).")
    penalize_empty: float | None = Field(
        None, gt=0, description="Lower empty-aspect refusals such as '<No related terms>' by this many logits (hf)."
    )
    sampling: SamplingConfig = Field(default_factory=SamplingConfig)
    hf: HFConfig = Field(default_factory=HFConfig)
    llm: LLMConfig = Field(
        default_factory=lambda: LLMConfig(model="gpt-4o", temperature=0.7),
        description="openai backend: server, model and limits (model/base_url also settable with --model/--base-url; "
        "temperature and max_tokens come from sampling).",
    )

    @model_validator(mode="before")
    @classmethod
    def _default_model(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("backend", "hf") == "hf" and not (data.get("run") or data.get("model")):
            data = {**data, "model": DEFAULT_MODEL}
        return data

    @model_validator(mode="after")
    def _check(self) -> InferConfig:
        if self.backend == "hf" and self.prompt_style == "json":
            raise ValueError("--prompt-style json is for the openai backend (JSON mode); use --backend openai")
        if self.backend == "openai" and self.adapter is not None:
            raise ValueError("--adapter applies to the hf backend; an openai server serves its own adapters (vLLM --lora-modules)")
        if self.adapter is not None and self.model is None:
            raise ValueError("--adapter needs --model (the base it was trained on); with --run the run's adapter is used")
        if self.adapter is not None and not is_adapter_folder(self.adapter):
            raise ValueError(f"--adapter {self.adapter}: not a PEFT adapter folder (no adapter_config.json there)")
        if self.sampling.no_repeat_ngram_size == 1:
            raise ValueError("sampling.no_repeat_ngram_size must be 0 (off) or at least 2")
        if self.backend == "openai" and self.sampling.no_repeat_ngram_size:
            raise ValueError("sampling.no_repeat_ngram_size applies to the hf backend; an OpenAI-compatible API has no such option")
        if self.review_schema is not None and self.review_schema not in ASPECT_SCHEMAS:
            raise ValueError(f"review_schema must be one of {sorted(ASPECT_SCHEMAS)}")
        return self
