"""``AggregateConfig``: options of ``reviewgpt aggregate-reviews`` (imports nothing heavy)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from reviewgpt.config import StageConfig
from reviewgpt.llm.config import LLMConfig


class AggregateConfig(StageConfig):
    """Many reviews of a paper -> one review in the 4- or 7-aspect schema."""

    RENAMED_KEYS: ClassVar[dict[str, str]] = {"aspect_schema": "review_schema"}

    review_schema: Literal["4-aspect", "7-aspect"] = Field(
        "4-aspect", description="Aspects of the merged review (see reviewgpt.reviewtext.ASPECT_SCHEMAS); "
        "formerly aspect_schema."
    )
    aggregator: Literal["structured", "openai"] = Field(
        "structured",
        description="structured: rule-based, offline, free (the default); openai: an LLM in JSON mode "
        "through any OpenAI-compatible server (settings under llm).",
    )
    min_words: int = Field(
        100, ge=0, description="Drop reviews shorter than this many words (rating and confidence not counted)."
    )
    max_reviews: int | None = Field(
        None, ge=1, description="Use at most this many official reviews per paper (the earliest); meta-reviews extra."
    )
    meta_reviews: bool = Field(True, description="Use the area chair's meta-review as a source too.")
    max_points: int = Field(
        10, ge=1, description="structured: at most this many points per aspect (those most reviewers raised first)."
    )
    merge_similarity: float = Field(
        0.5,
        ge=0,
        le=1,
        description="structured: merge two reviewers' points when their content words overlap at least this much "
        "(Dice coefficient); 1 merges only identical wording.",
    )
    dry_run: bool = Field(
        False, description="Print how many LLM calls, tokens and USD the run would take; write nothing."
    )
    llm: LLMConfig = Field(default_factory=LLMConfig, description="The LLM of the openai aggregator.")

    @model_validator(mode="after")
    def _check(self) -> AggregateConfig:
        if self.aggregator == "structured" and self.llm.max_cost_usd is not None:
            raise ValueError("--max-cost applies to --aggregator openai only (structured makes no LLM calls)")
        return self
