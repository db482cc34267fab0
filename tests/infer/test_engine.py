"""The shared-prompt engine against transformers' generate, and its batch planning."""

from __future__ import annotations

import pytest
import torch

from reviewgpt.infer._engine import KVShape, PromptBatchItem, SamplingParams, generate_shared, plan_batches


@pytest.fixture(scope="module")
def model(base_model_dir):
    from transformers import AutoModelForCausalLM

    return AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).eval()


def _prompts():
    gen = torch.Generator().manual_seed(3)
    return [torch.randint(4, 400, (n,), generator=gen).tolist() for n in (23, 9, 41)]


@pytest.mark.parametrize("decode_attention", ["sdpa", "matmul"])
def test_greedy_samples_equal_generate_for_papers_of_different_lengths(model, decode_attention):
    _check_equal_to_generate(model, decode_attention)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize("decode_attention", ["sdpa", "matmul"])
def test_greedy_samples_equal_generate_on_cuda_with_the_fused_kernels(base_model_dir, decode_attention):
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).cuda().eval()
    _check_equal_to_generate(model, decode_attention)


def _check_equal_to_generate(model, decode_attention):
    prompts = _prompts()
    outs = generate_shared(
        model, [PromptBatchItem(i, p) for i, p in enumerate(prompts)], 2,
        SamplingParams(max_new_tokens=15, temperature=0, stop_at_eos=False), None,
        eos_token_ids=[2], pad_token_id=3, decode_attention=decode_attention,
    )
    assert [(o.key, o.sample) for o in outs] == [(p, s) for p in range(3) for s in range(2)]
    for out in outs:
        ids = torch.tensor([prompts[out.key]], device=model.device)
        ref = model.generate(ids, max_new_tokens=15, min_new_tokens=15, do_sample=False, pad_token_id=3)
        assert out.token_ids == ref[0, ids.shape[1]:].tolist()
        assert out.prompt_tokens == len(prompts[out.key])


def test_sampling_is_seeded_and_samples_differ(model):
    prompts = [PromptBatchItem(i, p) for i, p in enumerate(_prompts())]
    params = SamplingParams(max_new_tokens=12, temperature=1.0, stop_at_eos=False)

    def draw(seed):
        gen = torch.Generator().manual_seed(seed)
        outs = generate_shared(model, prompts, 3, params, None, eos_token_ids=[2], pad_token_id=3, generator=gen)
        return [o.token_ids for o in outs]

    first = draw(0)
    assert first == draw(0)
    assert first != draw(1)
    assert len({tuple(t) for t in first[:3]}) > 1  # the samples of one paper are not copies


def test_a_sample_stops_at_eos_and_the_others_go_on(model):
    prompts = [PromptBatchItem(i, p) for i, p in enumerate(_prompts()[:2])]
    free = generate_shared(model, prompts, 1, SamplingParams(max_new_tokens=10, temperature=0, stop_at_eos=False),
                           None, eos_token_ids=[2], pad_token_id=3)
    eos = free[0].token_ids[4]  # make paper 0's 5th greedy token the EOS
    out = generate_shared(model, prompts, 1, SamplingParams(max_new_tokens=10, temperature=0), None,
                          eos_token_ids=[eos], pad_token_id=3)
    assert out[0].token_ids == free[0].token_ids[: free[0].token_ids.index(eos)] and out[0].finished
    other = free[1].token_ids
    assert out[1].token_ids == (other[: other.index(eos)] if eos in other else other)


def test_plan_batches_fits_the_budget_longest_first():
    kv = KVShape(layers=2, kv_heads=2, head_dim=4, dtype_bytes=2)  # 32 bytes per token
    lens = [100, 900, 500, 120]
    budget = 2 * (900 + 2 * 49) * kv.bytes_per_token  # two rows of the longest paper
    batches = plan_batches(lens, kv, n_samples=2, max_new_tokens=50, budget_bytes=budget)
    assert batches[0] == [1, 2]
    assert sorted(i for b in batches for i in b) == [0, 1, 2, 3]
    assert all(len(b) <= 2 for b in batches[:1])
    with pytest.raises(ValueError, match="GiB"):
        plan_batches([10_000], kv, 5, 1000, budget_bytes=1000)


def test_repetition_penalty_sees_only_each_papers_own_tokens(model):
    """A shorter paper's gap up to the batch's longest prompt must not count as tokens it repeated."""
    from transformers import LogitsProcessorList, RepetitionPenaltyLogitsProcessor

    prompts = _prompts()
    short = prompts[1]  # 9 tokens, in a batch whose longest prompt has 41
    ids = torch.tensor([short], device=model.device)
    alone = model.generate(ids, max_new_tokens=8, min_new_tokens=8, do_sample=False, repetition_penalty=3.0,
                           pad_token_id=0)[0, ids.shape[1]:].tolist()
    pad = alone[0]  # the pad is the token the paper picks first: penalising it would change the review
    assert pad not in short
    outs = generate_shared(
        model, [PromptBatchItem(i, p) for i, p in enumerate(prompts)], 1,
        SamplingParams(max_new_tokens=8, temperature=0, stop_at_eos=False),
        LogitsProcessorList([RepetitionPenaltyLogitsProcessor(3.0)]), eos_token_ids=[2], pad_token_id=pad,
    )
    assert outs[1].token_ids == alone


def test_the_cache_is_sized_in_the_models_dtype(model):
    kv = KVShape.of(model)  # the fixture's model is float32: 4 bytes per cached element
    config = model.config
    assert kv.dtype_bytes == 4
    assert kv.bytes_per_token == 2 * config.num_hidden_layers * config.num_key_value_heads * 4 * (
        config.hidden_size // config.num_attention_heads)


def test_concurrent_generations_on_two_models_keep_their_own_batch_state(base_model_dir):
    """Two engines in two threads at once: each sees only its own cache, so each gives its lone result.

    The models differ (another random init), and so do their batches (papers, samples, lengths):
    a call that attended over the other's cache would give other tokens or fail on the shapes.
    """
    import threading

    from transformers import AutoModelForCausalLM

    first = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).eval()
    second = AutoModelForCausalLM.from_pretrained(base_model_dir, dtype=torch.float32).eval()
    torch.manual_seed(5)
    with torch.no_grad():
        for param in second.parameters():
            param.add_(torch.randn_like(param) * 0.05)
    prompts = _prompts()
    jobs = {
        "first": (first, [PromptBatchItem(i, p) for i, p in enumerate(prompts)], 2, 20),
        "second": (second, [PromptBatchItem(0, prompts[1])], 3, 30),
    }

    def run(model, items, n, new_tokens):
        params = SamplingParams(max_new_tokens=new_tokens, temperature=0, stop_at_eos=False)
        outs = generate_shared(model, items, n, params, None, eos_token_ids=[2], pad_token_id=3)
        return [o.token_ids for o in outs]

    alone = {name: run(*job) for name, job in jobs.items()}

    def worker(name, start, together):
        start.wait()
        try:
            together[name] = run(*jobs[name])
        except Exception as exc:  # noqa: BLE001 - reported by the assert below
            together[name] = exc

    for _ in range(3):
        together: dict[str, object] = {}
        start = threading.Barrier(len(jobs))
        threads = [threading.Thread(target=worker, args=(name, start, together)) for name in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert together == alone
