"""The embedding judge gives the same answer whatever the batch size and the order of the inputs.

Real data: comparisons of the MARG GPT-4 dev alignments (tests/fixtures/judge, see its README).
Each run uses a fresh encoder, so no text is answered from another run's embedding cache.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pytest

from reviewgpt.evaluate.agreement import mean_hits_per_paper, units_from_marg
from reviewgpt.evaluate.constants import HIT_THRESHOLD
from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.evaluate.judges.embedding import EmbeddingJudge, PointEncoder

MARG_DEV = Path(__file__).resolve().parents[2] / "fixtures" / "judge" / "marg_gpt4_alignments_dev.jsonl"


@pytest.fixture(scope="module")
def comparisons(tmp_path_factory: pytest.TempPathFactory) -> list[Comparison]:
    """One paper, three generators: point lists of very different lengths share the batches."""
    rows = [json.loads(line) for line in MARG_DEV.read_text(encoding="utf-8").splitlines()]
    paper = sorted({r["doc_id"] for r in rows})[0]
    keep = [r for r in rows if r["doc_id"] == paper and r["method"] in ("lizca", "sarg_tp", "marg_s")]
    path = tmp_path_factory.mktemp("marg") / "one_paper.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in keep), encoding="utf-8")
    units = units_from_marg(path)
    return [Comparison("|".join(map(str, u.key)), u.points_a, u.points_b) for u in units]


def _judge(comparisons: list[Comparison], batch_size: int) -> dict[str, list]:
    judge = EmbeddingJudge(batch_size=batch_size, encoder=PointEncoder(batch_size=batch_size))
    out = {}
    for comparison, matches in judge.match_all(comparisons):
        assert not isinstance(matches, Exception), matches
        out[comparison.key] = matches
    return out


def test_same_matches_winners_and_scores_at_batch_1_7_256_and_shuffled(comparisons: list[Comparison]) -> None:
    shuffled = list(comparisons)
    random.Random(7).shuffle(shuffled)
    runs = {
        "batch 256": _judge(comparisons, 256),
        "batch 7": _judge(comparisons, 7),
        "batch 1": _judge(comparisons, 1),
        "batch 7, shuffled": _judge(shuffled, 7),
    }
    reference = runs["batch 256"]
    assert sum(len(m) for m in reference.values()) > 0
    for name, run in runs.items():
        assert run.keys() == reference.keys(), name
        for key, matches in reference.items():
            assert [(m.a, m.b) for m in run[key]] == [(m.a, m.b) for m in matches], f"{name}: {key}"
            np.testing.assert_allclose(
                [m.similarity for m in run[key]], [m.similarity for m in matches], atol=1e-5, err_msg=f"{name}: {key}"
            )
        assert _winners(run) == _winners(reference), name


def _winners(run: dict[str, list]) -> dict[str, str]:
    """Per paper, the generator with the most mean hits (as agreement computes it)."""
    from reviewgpt.evaluate.agreement import AlignedUnit

    units = []
    for key, matches in run.items():
        system, forum, sample, reference = key.split("|")
        pairs = frozenset((m.a, m.b) for m in matches if m.similarity >= HIT_THRESHOLD)
        units.append(AlignedUnit(system, forum, int(sample), reference, (), (), pairs))
    per_paper = mean_hits_per_paper(units)
    winners: dict[str, str] = {}
    for forum in {u.forum for u in units}:
        scores = {system: hits for (system, f), hits in per_paper.items() if f == forum}
        winners[forum] = max(sorted(scores), key=lambda s: scores[s])
    return winners


def test_token_features_use_real_tokens_only() -> None:
    """A short text's token vectors are the same alone and beside a long text (no padding rows)."""
    short = "Missing baselines."
    long = " ".join(["The evaluation omits the strongest recent baselines on every benchmark."] * 6)
    alone = PointEncoder(batch_size=1)
    alone.embed([short])
    together = PointEncoder(batch_size=8)
    together.embed([short, long])
    a, b = alone._cache[short][1], together._cache[short][1]
    assert a.shape == b.shape and a.shape[0] <= 4  # "missing baselines ." without [CLS]/[SEP]
    np.testing.assert_allclose(a, b, atol=1e-5)
