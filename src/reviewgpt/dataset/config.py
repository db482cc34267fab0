"""Configuration of ``build-dataset`` (imports nothing heavy: ``reviewgpt --help`` stays fast)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from reviewgpt.config import StageConfig
from reviewgpt.models import DEFAULT_MODEL

ExportFormat = Literal["alpaca", "llamafactory", "xtuner", "sharegpt"]


def _comma_list(value: object) -> object:
    """Accept ``"a,b"`` from the command line as well as a YAML list."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class DatasetConfig(StageConfig):
    """Options of ``reviewgpt build-dataset``.

    The token budget is checked with the target model's tokenizer and chat template: a record's
    prompt (template + instruction + paper) is at most ``max_input_tokens``, its review (with EOS)
    at most ``max_output_tokens``, and the two together at most ``max_total_tokens``. The default
    11138 + 1150 = 12288 fits a 12k-context model with the review never cut.
    """

    tokenizer: str = Field(
        DEFAULT_MODEL,
        description="Tokenizer of the model to train: a hub id, a local path (AutoTokenizer, fast) or an embedded "
        "model's short name. "
        "It must have a chat template: token counts are those training sees."
    )
    review_schema: Literal["4-aspect", "7-aspect"] = Field(
        "4-aspect", description="Review schema to build for (--schema on the command line)."
    )
    max_input_tokens: int = Field(11138, ge=16, description="Most prompt tokens (template + instruction + paper).")
    max_output_tokens: int = Field(1150, ge=8, description="Most review tokens (EOS included); never cut below this.")
    max_total_tokens: int = Field(12288, ge=32, description="Most prompt + review tokens (the training context).")
    min_output_tokens: int = Field(
        64, ge=0, description="Reviews shorter than this (in tokens) are dropped as too short."
    )
    min_content_chars: int = Field(
        200, ge=0, description="Papers whose [CONTENT] has fewer characters are dropped as empty."
    )
    split: tuple[float, float, float] = Field(
        (0.96, 0.02, 0.02), description="Train, val and test fractions (by paper; they sum to 1)."
    )
    seed: int = Field(42, description="Seed of the split assignment: the same seed gives the same splits.")
    export: list[ExportFormat] = Field(
        default_factory=list, description="Extra formats for other trainers: alpaca, llamafactory, xtuner, sharegpt."
    )
    parse_input: str | None = Field(None, description="Parse version to read (default: its LATEST).")
    aggregate_input: str | None = Field(
        None, description="Aggregate version to read (default: --input, else its LATEST)."
    )
    crawl_input: str | None = Field(
        None,
        description="Crawl version for venue ids and dates (default: the one the parse version read, else its "
        "LATEST; without one, duplicates cannot be ordered by date).",
    )
    workers: int | None = Field(
        None, ge=1, description="Tokenizer processes (default: the number of CPU cores; 1 = in this process)."
    )
    chunk_size: int = Field(16, ge=1, description="Examples sent to a tokenizer process at a time.")

    @field_validator("split", mode="before")
    @classmethod
    def _parse_split(cls, value: object) -> object:
        value = _comma_list(value)
        if isinstance(value, list) and len(value) != 3:
            raise ValueError("expected three fractions train,val,test such as 0.96,0.02,0.02")
        return value

    @field_validator("export", mode="before")
    @classmethod
    def _parse_export(cls, value: object) -> object:
        return _comma_list(value)

    @model_validator(mode="after")
    def _check_budgets(self) -> DatasetConfig:
        if self.max_output_tokens >= self.max_total_tokens:
            raise ValueError(
                f"max_output_tokens ({self.max_output_tokens}) must be below max_total_tokens "
                f"({self.max_total_tokens}): the paper needs room"
            )
        if self.min_output_tokens > self.max_output_tokens:
            raise ValueError(
                f"min_output_tokens ({self.min_output_tokens}) is above max_output_tokens ({self.max_output_tokens})"
            )
        if any(f < 0 for f in self.split) or abs(sum(self.split) - 1.0) > 1e-6 or self.split[0] <= 0:
            raise ValueError(f"split {self.split}: fractions must be >= 0, train > 0, and sum to 1")
        if self.input and self.aggregate_input and self.input != self.aggregate_input:
            raise ValueError("input and aggregate_input name different versions: give only one")
        return self

    @property
    def aggregate_version(self) -> str | None:
        """``--input`` is the previous stage's version, which for build-dataset is aggregate's."""
        return self.aggregate_input or self.input
