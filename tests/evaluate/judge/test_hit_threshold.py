"""One hit threshold: set in evaluate/constants.py, and --hit-threshold moves both sides of a comparison."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from reviewgpt.evaluate.calibration import similarity_scale
from reviewgpt.evaluate.config import EvaluateConfig
from reviewgpt.evaluate.constants import HIT_THRESHOLD
from reviewgpt.evaluate.judges.base import count_hits
from reviewgpt.records.evaluate import PointMatch

from .test_judge_cli import judge_app

MARG_DEV = Path(__file__).resolve().parents[2] / "fixtures" / "judge" / "marg_gpt4_alignments_dev.jsonl"


def test_every_default_is_the_one_constant() -> None:
    assert EvaluateConfig.model_fields["threshold"].default == HIT_THRESHOLD
    matches = [PointMatch(a=1, b=1, similarity=HIT_THRESHOLD), PointMatch(a=2, b=2, similarity=HIT_THRESHOLD - 0.01)]
    assert count_hits(matches) == 1
    assert similarity_scale(0.3, 0.3) == HIT_THRESHOLD and similarity_scale(0.2999, 0.3) < HIT_THRESHOLD


def test_hit_threshold_applies_to_the_embedding_judge_side(tmp_path: Path) -> None:
    """Before, --hit-threshold left --judge embedding's pairs at 7: its predicted hits did not move."""
    rows = [json.loads(line) for line in MARG_DEV.read_text(encoding="utf-8").splitlines()]
    paper = sorted({r["doc_id"] for r in rows})[0]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r) + "\n" for r in rows if r["doc_id"] == paper), encoding="utf-8")
    runner = CliRunner()
    predicted = {}
    for threshold in ("7", "9.5"):
        result = runner.invoke(judge_app(), ["agreement", "--gold", str(gold), "--judge", "embedding",
                                             "--hit-threshold", threshold, "--json"])
        assert result.exit_code == 0, result.output
        predicted[threshold] = json.loads(result.output[result.output.index("{"):])["pred_positive"]
    assert 0 <= predicted["9.5"] < predicted["7"]
