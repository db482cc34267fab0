"""Evaluate inputs for tests and the benchmark: dataset and infer versions, and a deterministic judge."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from reviewgpt.artifacts import DATASET
from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.records.dataset import InstructionExample
from reviewgpt.records.evaluate import PointMatch
from reviewgpt.records.infer import Prediction
from reviewgpt.reviewtext import ASPECT_SCHEMAS
from reviewgpt.store import StageRun

ASPECTS = ASPECT_SCHEMAS["4-aspect"]


def review(**points: list[str]) -> str:
    """Review text in our format; keyword = first word of the aspect (significance, acceptance, rejection, suggestions)."""
    blocks = []
    for name in ASPECTS:
        key = name.split()[-1].lower() if name.startswith("Potential") else name.split()[0].lower()
        lines = [f"[{name}]"] + [f"<{title}> Detail about {title.lower()}." for title in points.get(key, [])]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def write_dataset(data_dir: Path, references: dict[str, str], version: str = "d1") -> None:
    with StageRun(data_dir, "dataset", version, records=DATASET.test) as run:
        for forum, text in references.items():
            run.append(
                InstructionExample(id=forum, instruction="Review this paper.", input="[TITLE]\nx", output=text,
                                   input_tokens=10, output_tokens=10)
            )


def write_predictions(data_dir: Path, rows: Iterable[tuple[str, str, int, str]], version: str = "i1") -> None:
    """rows: (system, forum, sample, text)."""
    with StageRun(data_dir, "infer", version) as run:
        for system, forum, sample, text in rows:
            run.append(Prediction(forum=forum, sample=sample, system=system, text=text))


class TitleJudge:
    """Deterministic judge: points with the same title match with similarity 9, titles sharing
    their first word with similarity 6 (a non-hit at threshold 7); one-to-one, first come first served."""

    name = "test:title"

    def __init__(self, fail_on: str | None = None):
        self.fail_on = fail_on
        self.seen: list[Comparison] = []

    def match_all(self, comparisons: Iterable[Comparison]) -> Iterator[tuple[Comparison, list[PointMatch] | Exception]]:
        for comparison in comparisons:
            self.seen.append(comparison)
            if self.fail_on and any(self.fail_on in p for p in comparison.points_a):
                yield comparison, RuntimeError("judge broke")
                continue
            yield comparison, self._match(comparison)

    @staticmethod
    def _match(comparison: Comparison) -> list[PointMatch]:
        titles_a = [p.split(":")[0] for p in comparison.points_a]
        titles_b = [p.split(":")[0] for p in comparison.points_b]
        used: set[int] = set()
        matches = []
        for similarity, same in ((9, lambda x, y: x == y), (6, lambda x, y: x.split()[0] == y.split()[0])):
            for i, ta in enumerate(titles_a):
                if any(m.a == i + 1 for m in matches):
                    continue
                for j, tb in enumerate(titles_b):
                    if j not in used and same(ta, tb):
                        used.add(j)
                        matches.append(PointMatch(a=i + 1, b=j + 1, similarity=similarity, rationale="title"))
                        break
        return matches
