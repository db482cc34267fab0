"""The LLM judge: an OpenAI-compatible model in JSON mode matches the points of A to those of B.

Liang et al. 2023 ask GPT-4 to pair the points of two reviews and rate each pair from
:data:`~reviewgpt.evaluate.constants.SIMILARITY_MIN` (5) to ``SIMILARITY_MAX`` (10); a pair rated at
least :data:`~reviewgpt.evaluate.constants.HIT_THRESHOLD` (7) is a hit. This judge does the same through the shared
:class:`~reviewgpt.llm.LLMClient` (concurrency, rate limits, retries, deadlines, cache, budget),
with a prompt in our own words. The model's answer is read by the shared validator
(:func:`reviewgpt.llm.answers.read_matches`: indices in range, similarity on that scale; one repair
retry otherwise) and made one-to-one: a point of A or B that the model paired
twice keeps only its most similar pair.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from reviewgpt.evaluate.constants import SIMILARITY_MAX, SIMILARITY_MIN
from reviewgpt.evaluate.judges.base import Comparison
from reviewgpt.llm.answers import read_matches
from reviewgpt.prompts.judge import judge_messages
from reviewgpt.records.evaluate import PointMatch

if TYPE_CHECKING:
    from reviewgpt.llm import LLMClient


def parse_judgement(answer: Any, n_a: int, n_b: int) -> list[PointMatch]:
    """Read the model's JSON answer into one-to-one matches.

    Raises:
        InvalidAnswer: the answer is not ``{"matches": [...]}`` with valid indices and
            similarities (the LLM client then shows the model its answer and this error, once).
    """
    return one_to_one(read_matches(answer, n_a, n_b, (SIMILARITY_MIN, SIMILARITY_MAX)))


def one_to_one(matches: Iterable[PointMatch]) -> list[PointMatch]:
    """Keep each point of A and of B in at most one pair: the most similar first, earlier on ties.

    Returns the kept pairs ordered by the index of A.
    """
    ordered = sorted(enumerate(matches), key=lambda pair: (-pair[1].similarity, pair[0]))
    used_a: set[int] = set()
    used_b: set[int] = set()
    kept = []
    for _, match in ordered:
        if match.a in used_a or match.b in used_b:
            continue
        used_a.add(match.a)
        used_b.add(match.b)
        kept.append(match)
    return sorted(kept, key=lambda m: (m.a, m.b))


class LLMJudge:
    """Match key points with an LLM in JSON mode (the :class:`~reviewgpt.evaluate.judges.base.Judge` protocol).

    Args:
        client: the shared LLM client (its config sets model, limits, retries, cache and budget).
        model: the model's name, for the judge's name in the records (``openai:<model>``).
    """

    #: the client's map() draws a progress bar of its own
    shows_progress = True

    def __init__(self, client: LLMClient, model: str):
        self.client = client
        self.name = f"openai:{model}"

    def match_all(
        self, comparisons: Iterable[Comparison]
    ) -> Iterator[tuple[Comparison, list[PointMatch] | Exception]]:
        """Judge the comparisons concurrently; one with no point on a side needs no call."""
        to_ask = []
        for comparison in comparisons:
            if comparison.points_a and comparison.points_b:
                to_ask.append(comparison)
            else:
                yield comparison, []
        if to_ask:
            yield from self.client.map(to_ask, self._judge_one, "judging key points")

    async def _judge_one(self, comparison: Comparison) -> list[PointMatch]:
        n_a, n_b = len(comparison.points_a), len(comparison.points_b)
        matches, _ = await self.client.chat_json(
            judge_messages(comparison.points_a, comparison.points_b),
            validate=lambda answer: parse_judgement(answer, n_a, n_b),
        )
        return matches
