"""--penalize-empty: the empty-aspect refusal is discouraged, ordinary points are not."""

from __future__ import annotations

import torch
from transformers import AutoTokenizer

from reviewgpt.infer._processors import EmptyAspectPenalty


def test_penalty_hits_the_continuation_of_a_refusal_only(tokenizer_dir):
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    penalty = EmptyAspectPenalty(tokenizer, penalty=5.0, phrases=["<No related terms>"])
    refusal = tokenizer("<No related terms>", add_special_tokens=False)["input_ids"]
    assert len(refusal) >= 2
    vocab = len(tokenizer)

    after_open = torch.tensor([refusal[:1], refusal[:1]])
    scores = penalty(after_open, torch.zeros(2, vocab))
    assert scores[0, refusal[1]] == -5.0
    assert (scores[0] != 0).sum() == 1  # '<' itself and every other token are untouched

    elsewhere = tokenizer("<Novel idea", add_special_tokens=False)["input_ids"]
    scores = penalty(torch.tensor([elsewhere]), torch.zeros(1, vocab))
    assert (scores == 0).all()


def test_penalty_steers_generation_away_from_the_refusal(tokenizer_dir, base_model_dir):
    """A model made to love the refusal's next token writes it; with --penalize-empty it does not."""
    from transformers import AutoModelForCausalLM, LogitsProcessorList

    from reviewgpt.infer._engine import PromptBatchItem, SamplingParams, generate_shared

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir)
    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).eval()
    refusal = tokenizer("<No related terms>", add_special_tokens=False)["input_ids"]

    def loves_refusal(input_ids, scores):
        scores = scores.clone()
        scores[:, refusal[1]] += 50.0
        return scores

    prompt = [PromptBatchItem(0, tokenizer("[Potential reasons for rejection]\n", add_special_tokens=False)["input_ids"] + refusal[:1])]
    params = SamplingParams(max_new_tokens=3, temperature=0)

    def first_token(*extra):
        procs = LogitsProcessorList([loves_refusal, *extra])
        out = generate_shared(model, prompt, 1, params, procs, eos_token_ids=[2], pad_token_id=3)
        return out[0].token_ids[0]

    assert first_token() == refusal[1]
    assert first_token(EmptyAspectPenalty(tokenizer, 100.0)) != refusal[1]
