"""Configuration of ``reviewgpt evaluate`` (imports nothing heavy)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reviewgpt.config import StageConfig
from reviewgpt.evaluate.constants import HIT_THRESHOLD, SIMILARITY_MAX, SIMILARITY_MIN, SIMILARITY_SCALE_TEXT
from reviewgpt.llm.config import LLMConfig

JudgeName = Literal["openai", "embedding"]
ExtractorName = Literal["structured", "openai"]
ReferenceMode = Literal["aggregated", "each-human"]


class EvaluateConfig(StageConfig):
    """How generated reviews are compared with the human reviews (Liang et al. 2023's hit rate)."""

    predictions: list[str] = Field(
        default_factory=list,
        description="Infer versions to evaluate, each holding one or more systems (default: infer's LATEST). "
        "A comma-separated string is accepted.",
    )
    references: str | None = Field(
        None, description="Dataset version whose split holds the human reference reviews (default: its LATEST)."
    )
    split: str = Field("test", description="Dataset split that holds the references.")
    humans: str | None = Field(
        None,
        description="Crawl version with the raw human reviews, for the human-human ceiling ('latest' for "
        "crawl's LATEST; default: none, or crawl's LATEST with reference each-human). Their key points come "
        "from the extractor.",
    )
    reference: ReferenceMode = Field(
        "aggregated",
        description="What a generated review is scored against: 'aggregated' (the paper's merged human review "
        "from the dataset, all aspects) or 'each-human' (each human review of the paper in turn, its criticisms "
        "as the extractor reads them, against the review's rejection and suggestion points; the hit rate is "
        "averaged over the paper's human reviews, as Liang et al. do and as the human-human ceiling is measured).",
    )
    extractor: ExtractorName | None = Field(
        None,
        description="How the criticisms of a human review are read: 'structured' (offline: its weaknesses and "
        "questions fields cut into items or sentences) or 'openai' (an LLM, via the llm section, as Liang et al.). "
        "Default: openai when an LLM is reachable, else structured.",
    )
    judge: JudgeName | None = Field(
        None,
        description="Who matches key points: 'openai' (an LLM in JSON mode, via the llm section) or 'embedding' "
        "(offline MiniLM). Default: openai when the API key variable is set or llm.base_url is, else embedding.",
    )
    threshold: float = Field(
        HIT_THRESHOLD, ge=SIMILARITY_MIN, le=SIMILARITY_MAX,
        description=f"A matched pair is a hit when its similarity ({SIMILARITY_SCALE_TEXT}) is at least this.",
    )
    aspects: list[str] = Field(
        default_factory=lambda: ["all"],
        description="Aspects compared: 'all', or names / parts of names of aspects ('rejection' is Liang et "
        "al.'s criticism-only setting). A comma-separated string is accepted.",
    )
    within_aspect: bool = Field(
        True,
        description="Match points only against points of the same aspect (a strength never matches a "
        "weakness); false compares all selected points at once.",
    )
    embedding_calibration: Path | None = Field(
        None, description="Calibration file for the embedding judge (from `reviewgpt evaluate calibrate`)."
    )
    embedding_threshold: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Match probability from which the embedding judge calls a pair a hit; overrides the calibration's.",
    )
    bootstrap: int = Field(1000, ge=0, description="Bootstrap resamples (over papers) for the 95% intervals; 0: none.")
    seed: int = Field(0, description="Seed of the bootstrap.")
    plots: bool = Field(True, description="Draw the PNG plots of report.md.")
    llm: LLMConfig = Field(
        default_factory=LLMConfig, description="The LLM judge and the key-point extraction of free-text reviews."
    )

    @field_validator("predictions", "aspects", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check(self) -> EvaluateConfig:
        # --input is every stage's "previous stage version": here it names one infer version
        if self.input and not self.predictions:
            self.predictions = [self.input]
        if not self.aspects:
            raise ValueError("aspects: give 'all' or at least one aspect name")
        return self

    def llm_available(self) -> bool:
        """Whether an OpenAI-compatible server can be called: a key in the environment or a base_url set."""
        return bool(os.environ.get(self.llm.api_key_env) or self.llm.base_url or os.environ.get("OPENAI_BASE_URL"))

    def resolved_extractor(self) -> ExtractorName:
        """The extractor to use: the one named, else openai when an LLM is reachable, else structured."""
        if self.extractor is not None:
            return self.extractor
        return "openai" if self.llm_available() else "structured"

    def resolved_judge(self) -> JudgeName:
        """The judge to use: the one named, else openai when an LLM is reachable, else embedding."""
        if self.judge is not None:
            return self.judge
        return "openai" if self.llm_available() else "embedding"
