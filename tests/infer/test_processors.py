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


def test_no_repeat_ngram_bans_only_repeats_of_the_generated_text():
    from reviewgpt.infer._processors import NoRepeatNGram

    ban = NoRepeatNGram(3)
    prompt = torch.tensor([[7, 8, 9, 7, 8]])  # the prompt's "7 8 -> 9" may be written (quoting the paper)
    assert (ban(prompt, torch.zeros(1, 20)) == 0).all()
    written = torch.tensor([[7, 8, 9, 7, 8, 1, 2, 3, 5, 1, 2]])  # generated: 1 2 3 5 1 2
    scores = ban(written, torch.zeros(1, 20))
    assert scores[0, 3] == float("-inf")  # "1 2 3" again
    assert (scores[0, torch.arange(20) != 3] == 0).all()
    assert scores[0, 9] == 0  # "7 8 9" is only in the prompt


def test_no_repeat_ngram_ends_a_loop_of_the_shared_engine(tokenizer_dir, base_model_dir):
    """A model forced into a two-token loop repeats it; with the ban no 4-gram occurs twice."""
    from transformers import AutoModelForCausalLM, LogitsProcessorList

    from reviewgpt.infer._engine import PromptBatchItem, SamplingParams, generate_shared
    from reviewgpt.infer._processors import NoRepeatNGram

    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).eval()

    def loves_a_loop(input_ids, scores):  # the next token is 11 after 10, else 10: a loop "10 11 10 11 ..."
        scores = scores.clone()
        scores[:, 10] += 100.0 * (input_ids[:, -1] != 10)
        scores[:, 11] += 100.0 * (input_ids[:, -1] == 10)
        return scores

    def run(*extra):
        out = generate_shared(
            model, [PromptBatchItem(0, [1, 5, 6, 7])], 2, SamplingParams(max_new_tokens=24, temperature=0),
            LogitsProcessorList([loves_a_loop, *extra]), eos_token_ids=[], pad_token_id=0,
        )
        return [o.token_ids for o in out]

    def repeated_4grams(ids):
        grams = [tuple(ids[i : i + 4]) for i in range(len(ids) - 3)]
        return len(grams) - len(set(grams))

    assert all(repeated_4grams(ids) > 0 for ids in run())
    assert all(len(ids) == 24 and repeated_4grams(ids) == 0 for ids in run(NoRepeatNGram(4)))


def test_no_repeat_ngram_is_an_hf_option():
    import pytest
    from pydantic import ValidationError

    from reviewgpt.infer.config import InferConfig

    assert InferConfig(sampling={"no_repeat_ngram_size": 12}).sampling.no_repeat_ngram_size == 12
    with pytest.raises(ValidationError, match="at least 2"):
        InferConfig(sampling={"no_repeat_ngram_size": 1})
    with pytest.raises(ValidationError, match="hf backend"):
        InferConfig(backend="openai", model="m", sampling={"no_repeat_ngram_size": 8})

