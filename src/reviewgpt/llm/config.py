"""``LLMConfig``: how to reach an OpenAI-compatible server, and how hard to push it.

A nested section of a stage's config (``AggregateConfig.llm``, the infer openai backend, the
evaluate judge). Imports nothing heavy, so stage configs stay cheap to load.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from reviewgpt.config import StrictModel


class LLMConfig(StrictModel):
    """One OpenAI-compatible chat model and the limits the client keeps to."""

    model: str = Field("gpt-4o-mini", description="Model name as the server knows it.")
    base_url: str | None = Field(
        None,
        description="Any OpenAI-compatible server (vLLM, Ollama, Azure...); None: env OPENAI_BASE_URL, else OpenAI.",
    )
    api_key_env: str = Field(
        "OPENAI_API_KEY", description="Name of the environment variable holding the key (the key is never logged)."
    )
    concurrency: int = Field(8, ge=1, description="Requests in flight at once.")
    rpm: int | None = Field(None, ge=1, description="Client-side limit of requests per minute.")
    tpm: int | None = Field(
        None, ge=1, description="Client-side limit of tokens per minute (estimated prompt + max_tokens)."
    )
    timeout_s: float = Field(
        120.0, gt=0, description="Deadline of one HTTP call, start to last byte; a hung call is retried."
    )
    max_retries: int = Field(
        6, ge=0, description="Retries on 429/5xx/timeouts: exponential backoff with jitter, honouring Retry-After."
    )
    temperature: float = Field(0.0, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int | None = Field(None, ge=1, description="Cap on the answer's tokens.")
    max_cost_usd: float | None = Field(
        None, gt=0, description="Stop cleanly (BudgetExceeded) when the estimated spend reaches this many USD."
    )
    cache: bool = Field(True, description="Content-addressed answer cache under <data_dir>/cache/llm/.")

    @model_validator(mode="after")
    def _check(self) -> LLMConfig:
        if not self.model.strip():
            raise ValueError("llm.model must name a model")
        return self
