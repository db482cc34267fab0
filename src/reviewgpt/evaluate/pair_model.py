"""The offline judge's calibrated pair model: its file, loading it, and turning probabilities into pairs.

The embedding judge (:mod:`reviewgpt.evaluate.judges.embedding`) applies a model; fitting and
cross-validating one is :mod:`reviewgpt.evaluate.calibration`. Both need what is here, which
is why it sits in a module of its own.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from reviewgpt.errors import ReviewGPTError
from reviewgpt.evaluate.constants import HIT_THRESHOLD, SIMILARITY_MAX, SIMILARITY_MIN
from reviewgpt.evaluate.features import select
from reviewgpt.fsutil import write_text_atomic

#: The calibration shipped with reviewgpt, fitted on the MARG GPT-4 dev alignments.
DEFAULT_CALIBRATION = Path(__file__).with_name("calibration_default.json")
CALIBRATION_KIND = "reviewgpt-judge-calibration"


class Calibration(BaseModel):
    """The fitted parameters of the embedding judge (saved as JSON)."""

    model_config = ConfigDict(extra="forbid", protected_namespaces=())

    kind: str = CALIBRATION_KIND
    format_version: int = 1
    encoder: str = "all-MiniLM-L6-v2"
    features: list[str]
    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = Field(..., gt=0.0, lt=1.0, description="Probability from which an assigned pair is a hit.")
    l2: float = 1.0
    objective: str = Field("kappa", description="What the threshold was chosen for on the training papers.")
    fitted_on: dict[str, Any] = Field(default_factory=dict)
    cross_validation: dict[str, Any] | None = None

    def logits(self, features: np.ndarray) -> np.ndarray:
        """Log-odds of 'same point' for a feature array of any leading shape (last axis: all features)."""
        x = (select(features, self.features) - np.asarray(self.mean)) / np.asarray(self.scale)
        return x @ np.asarray(self.weights) + self.bias

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logits(features)))

    def save(self, path: Path) -> None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(self.model_dump(mode="json"), indent=2) + "\n")


def load_calibration(path: Path | None = None) -> Calibration:
    """Read a calibration file; the shipped default when ``path`` is None.

    Raises:
        ReviewGPTError: the file is missing or not a calibration of a known format.
    """
    path = Path(path) if path is not None else DEFAULT_CALIBRATION
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReviewGPTError(f"calibration file not found: {path}") from None
    except json.JSONDecodeError as exc:
        raise ReviewGPTError(f"{path}: not JSON ({exc.msg})") from exc
    if not isinstance(data, dict) or data.get("kind") != CALIBRATION_KIND:
        raise ReviewGPTError(f"{path}: not a reviewgpt judge calibration (make one with: reviewgpt evaluate calibrate)")
    if data.get("format_version", 1) > 1:
        raise ReviewGPTError(f"{path}: calibration format {data['format_version']} is newer than this reviewgpt reads")
    try:
        return Calibration.model_validate(data)
    except ValueError as exc:
        raise ReviewGPTError(f"{path}: invalid calibration: {exc}") from exc


def assign(probs: np.ndarray, threshold: float, floor: float | None = None) -> list[tuple[int, int, float]]:
    """One-to-one assignment of a comparison's pair probabilities (0-based ``(i, j, p)`` triples).

    The Hungarian algorithm maximises the summed log-odds above ``floor`` (pairs below it can never
    be assigned, so a weak pair never displaces a strong one through the assignment); assigned pairs
    below ``floor`` are dropped. ``floor`` defaults to ``threshold``: only hits are returned.
    """
    from scipy.optimize import linear_sum_assignment

    floor = threshold if floor is None else floor
    if probs.size == 0:
        return []
    eps = 1e-9
    logit = np.log(np.clip(probs, eps, 1 - eps)) - np.log(np.clip(1 - probs, eps, 1 - eps))
    floor_logit = float(np.log(floor) - np.log(1 - floor))
    gain = np.where(probs >= floor, logit - floor_logit + eps, 0.0)
    rows, cols = linear_sum_assignment(gain, maximize=True)
    return [(int(i), int(j), float(probs[i, j])) for i, j in zip(rows, cols, strict=True) if probs[i, j] >= floor]


def similarity_scale(prob: float, threshold: float) -> float:
    """Map a match probability to the LLM judge's scale, linearly on each side of the hit.

    ``threshold`` -> :data:`HIT_THRESHOLD`, 1 -> :data:`SIMILARITY_MAX`, ``threshold / 2`` ->
    :data:`SIMILARITY_MIN`: the calibrated
    decision lands exactly on the hit threshold every comparison uses.
    """
    hit, top, bottom = HIT_THRESHOLD, SIMILARITY_MAX, SIMILARITY_MIN
    # Not rounded: a rounding step would turn float noise of the encoder into a 0.01 jump.
    if prob >= threshold:
        return hit + (top - hit) * (prob - threshold) / (1.0 - threshold)
    floor = threshold / 2
    below = bottom + (hit - bottom) * max(prob - floor, 0.0) / (threshold - floor)
    return min(below, hit - 0.01)  # a non-hit stays visibly below the hit threshold
