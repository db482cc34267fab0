"""The ``evaluate`` stage: how close generated reviews come to the human ones (Liang et al. 2023's hit rate).

Reads one or more infer versions (``predictions.jsonl``) and a dataset version's test split (the
human reviews aggregated into our format), matches the key points of each generated review to
those of the human review with a judge (an LLM in JSON mode, or the offline embedding judge), and
writes ``data/evaluate/<version>/{matches.jsonl, summary.json, report.md, *.png}``.

This module stays light: the work is imported when :func:`run` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewgpt.evaluate.config import EvaluateConfig
    from reviewgpt.evaluate.extract import PointExtractor
    from reviewgpt.evaluate.judges.base import Judge
    from reviewgpt.store import StageReport


def run(cfg: EvaluateConfig, *, judge: Judge | None = None, extractor: PointExtractor | None = None) -> StageReport:
    """Evaluate generated reviews against the human references.

    Args:
        cfg: the stage's configuration.
        judge: a judge to use instead of the one ``cfg.judge`` names (tests, other libraries).
        extractor: a key-point extractor for free-text human reviews instead of the LLM one.

    Returns:
        The run's report (counts of judged, skipped and failed reviews).

    Raises:
        ConfigError: bad options (unknown aspect, --humans without an LLM, mixed settings in one version).
        StoreError: an input version is missing.
    """
    from reviewgpt.evaluate._pipeline import run as _run

    return _run(cfg, judge=judge, extractor=extractor)


__all__ = ["run"]
