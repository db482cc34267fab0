"""Logits processors: the sampling warpers from config, the empty-aspect penalty, and the n-gram ban.

The seeds' v5 model lost most of its hits to refusals such as ``<No related terms>`` written
under an aspect instead of points. :class:`EmptyAspectPenalty` lowers, by ``penalty`` logits,
each next token that would continue one of those phrases, so the model writes points instead.
It is soft (a penalty, not a ban): a model that insists can still write the phrase.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import torch
    from transformers import LogitsProcessorList, PreTrainedTokenizerBase

#: Refusals written in place of an aspect's points.
EMPTY_ASPECT_PHRASES: tuple[str, ...] = (
    "<No related terms>",
    "<No related term>",
    "<None>",
    "<N/A>",
    "<Not applicable>",
    "<Nothing to add>",
)


def _phrase_token_sequences(tokenizer: PreTrainedTokenizerBase, phrases: Sequence[str]) -> list[list[int]]:
    """Token sequences of each phrase as it appears in output: alone and after a newline."""
    sequences: set[tuple[int, ...]] = set()
    newline = tokenizer("\n", add_special_tokens=False)["input_ids"]
    for phrase in phrases:
        alone = tokenizer(phrase, add_special_tokens=False)["input_ids"]
        if alone:
            sequences.add(tuple(alone))
        after_newline = tokenizer("\n" + phrase, add_special_tokens=False)["input_ids"]
        if after_newline[: len(newline)] == newline and len(after_newline) > len(newline):
            sequences.add(tuple(after_newline[len(newline) :]))
    return [list(seq) for seq in sorted(sequences)]


class EmptyAspectPenalty:
    """Subtract ``penalty`` from the logit of the token that continues an empty-aspect phrase.

    For a phrase of tokens ``t0 t1 ... tk`` the penalty applies to ``t_i`` (i >= 1) when the
    last ``i`` tokens are ``t0 ... t_(i-1)``: after ``<`` the token ``No`` is penalised, not ``<``
    itself, which opens every point. Single-token phrases are penalised everywhere.

    Works as a transformers ``LogitsProcessor`` (``processor(input_ids, scores) -> scores``).

    Args:
        tokenizer: the model's tokenizer.
        penalty: logits subtracted (5 makes a token ~150x less likely).
        phrases: the refusals to discourage.
    """

    def __init__(
        self, tokenizer: PreTrainedTokenizerBase, penalty: float = 5.0, phrases: Sequence[str] = EMPTY_ASPECT_PHRASES
    ):
        self.penalty = float(penalty)
        self.sequences = _phrase_token_sequences(tokenizer, phrases)
        self._rules: list[tuple[tuple[int, ...], int]] = []
        seen: set[tuple[tuple[int, ...], int]] = set()
        for seq in self.sequences:
            starts = range(1, len(seq)) if len(seq) > 1 else range(0, 1)
            for i in starts:
                rule = (tuple(seq[:i]), seq[i])
                if rule not in seen:
                    seen.add(rule)
                    self._rules.append(rule)
        self._device_rules: dict[str, list[tuple[torch.Tensor, int]]] = {}

    def _rules_on(self, device: torch.device) -> list[tuple[torch.Tensor, int]]:
        import torch

        key = str(device)
        if key not in self._device_rules:
            self._device_rules[key] = [
                (torch.tensor(prefix, dtype=torch.long, device=device), target) for prefix, target in self._rules
            ]
        return self._device_rules[key]

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        scores = scores.clone()
        length = input_ids.shape[1]
        for prefix, target in self._rules_on(scores.device):
            if prefix.numel() == 0:
                scores[:, target] -= self.penalty
                continue
            if prefix.numel() > length:
                continue
            match = (input_ids[:, length - prefix.numel() :] == prefix).all(dim=1)
            scores[:, target] -= self.penalty * match.to(scores.dtype)
        return scores


class NoRepeatNGram:
    """Ban every token that would write an n-gram of ``size`` tokens a second time in one review.

    Unlike transformers' ``no_repeat_ngram_size``, only the generated tokens count: a review may
    quote the paper (the prompt) but not repeat itself, which is how a small model's reviews fail
    (the same point written again until the token limit). The first call's sequence length marks
    where generation starts, so one instance serves one batch: build a new one per batch.

    Args:
        size: n-gram length in tokens (at least 2).
    """

    def __init__(self, size: int):
        if size < 2:
            raise ValueError(f"no-repeat n-gram size must be at least 2, got {size}")
        self.size = size
        self.start: int | None = None

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        if self.start is None:
            self.start = input_ids.shape[1]
        generated = input_ids[:, self.start :]
        if generated.shape[1] < self.size:
            return scores
        windows = generated.unfold(1, self.size, 1)  # [rows, positions, size]: every n-gram written
        suffix = generated[:, generated.shape[1] - self.size + 1 :]  # the n-1 tokens the next one extends
        seen = (windows[:, :, :-1] == suffix[:, None, :]).all(dim=-1)  # [rows, positions]
        rows, positions = seen.nonzero(as_tuple=True)
        if rows.numel() == 0:
            return scores
        scores = scores.clone()
        scores[rows, windows[rows, positions, -1]] = float("-inf")
        return scores


def build_processors(
    *,
    temperature: float,
    top_p: float,
    repetition_penalty: float,
    empty_penalty: EmptyAspectPenalty | None = None,
    no_repeat_ngram_size: int = 0,
) -> LogitsProcessorList:
    """The processors a sampling config implies, in transformers' order: penalties, then warpers.

    With ``no_repeat_ngram_size`` the list holds a :class:`NoRepeatNGram`, which keeps state:
    build one list per batch.
    """
    from transformers import (
        LogitsProcessorList,
        RepetitionPenaltyLogitsProcessor,
        TemperatureLogitsWarper,
        TopPLogitsWarper,
    )

    processors = LogitsProcessorList()
    if repetition_penalty != 1.0:
        processors.append(RepetitionPenaltyLogitsProcessor(repetition_penalty))
    if empty_penalty is not None:
        processors.append(empty_penalty)
    if no_repeat_ngram_size:
        processors.append(NoRepeatNGram(no_repeat_ngram_size))
    if temperature > 0:
        if temperature != 1.0:
            processors.append(TemperatureLogitsWarper(temperature))
        if top_p < 1.0:
            processors.append(TopPLogitsWarper(top_p))
    return processors
