"""Batched sampling where a paper's samples share its prompt: one prefill, one copy of its KV.

``model.generate(num_return_sequences=n)`` expands the prompt before the prefill, so each of
the n samples of a paper runs the prefill again and holds its own copy of the prompt's KV cache
(Llama-2-7B: 0.5 MB per token, 5 GB per 10k-token prompt). Here a paper's prompt is run once,
its keys and values are stored once, and its n samples attend to that one copy:

* **KV layout** (per layer): ``keys[P, Hkv, prefix_len + n * steps, D]`` for a batch of P
  papers. Positions ``[0, prompt_len_p)`` hold paper p's prompt (the rest of the prefix region
  is masked); decode step t writes sample s at ``prefix_len + t * n + s``, so after t steps the
  live region is the contiguous slice ``[:prefix_len + (t + 1) * n]`` and nothing past it is read.
* **Attention** (an attention function we own, registered with transformers'
  ``AttentionInterface``): at decode the queries of a paper's n samples (times the GQA group G)
  are folded into one query block of ``n * G`` rows over that paper's keys, with an additive
  mask that lets sample s see the prompt and its own suffix only. One SDPA call per layer reads
  each paper's keys once per step for all its samples.
* **Memory-sized batches**: papers sorted by length are grouped so that the group's cache fits
  the budget (:func:`plan_batches`); the longer the prompts, the fewer papers per batch.

The model's own code runs unchanged (projections, RoPE from ``position_ids``, MLP, LoRA);
only the attention function and the cache are ours. Greedy output equals
``model.generate(do_sample=False)`` token for token (tests/infer/test_engine.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from reviewgpt.logging import get_logger

if TYPE_CHECKING:
    import torch
    from transformers import LogitsProcessorList, PreTrainedModel

log = get_logger(__name__)

#: The name our attention function is registered under in transformers.
ATTN_NAME = "reviewgpt_shared_prompt"

#: Decode attention kernels: ``sdpa`` (PyTorch's fused kernels, flash / memory-efficient) or
#: ``matmul`` (two batched matmuls and a float32 softmax; any device, the reference).
DECODE_ATTENTION = ("sdpa", "matmul")


@dataclass
class SamplingParams:
    """How long samples run and whether they are drawn at all.

    Temperature, top-p and penalties shape the scores through the logits processors passed to
    :func:`generate_shared` (:func:`reviewgpt.infer._processors.build_processors`); the random
    draws come from its ``generator``.

    Attributes:
        max_new_tokens: tokens generated per sample at most.
        temperature: 0 means greedy (argmax; every sample identical); otherwise tokens are sampled.
        stop_at_eos: stop a sample at EOS (False forces ``max_new_tokens``: benchmarks).
    """

    max_new_tokens: int = 1024
    temperature: float = 0.7
    stop_at_eos: bool = True


@dataclass
class PromptBatchItem:
    """One paper: its prompt tokens and how many samples to draw."""

    key: Any
    prompt_ids: list[int]


@dataclass
class SampleOutput:
    """One generated sample."""

    key: Any
    sample: int
    token_ids: list[int]
    prompt_tokens: int
    #: wall seconds of the batch this sample was generated in, shared out per sample
    seconds: float
    finished: bool = True


@dataclass
class _BatchState:
    """What the attention function needs for the batch in flight."""

    keys: list[torch.Tensor]
    values: list[torch.Tensor]
    prefix_len: int
    n_samples: int
    mode: str = "prefill"  # "prefill" | "decode"
    paper: int = 0
    step: int = 0
    bias: torch.Tensor | None = None  # [P, 1, n*G, total_aligned] additive mask
    decode_attention: str = "sdpa"


#: The forward keyword that carries a batch's :class:`_BatchState` to our attention function:
#: transformers passes a model's extra forward keywords down to each layer's attention call, so
#: every generation call hands its own state to its own forward and concurrent calls share none.
STATE_KWARG = "shared_prompt_batch"


# ----------------------------------------------------------------------------- attention


def _expand_kv(x: torch.Tensor, groups: int) -> torch.Tensor:
    """``[B, Hkv, L, D]`` -> ``[B, Hkv * groups, L, D]`` (GQA's repeat_kv)."""
    if groups == 1:
        return x
    b, h, length, d = x.shape
    return x[:, :, None].expand(b, h, groups, length, d).reshape(b, h * groups, length, d)


def _shared_prompt_attention(
    module: Any,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: Any,
    scaling: float | None = None,
    dropout: float = 0.0,
    **kwargs: Any,
) -> tuple[torch.Tensor, None]:
    """transformers attention interface: ``query [B, H, L, D]`` -> ``out [B, L, H, D]``.

    The batch's state comes in ``kwargs[STATE_KWARG]``, passed to the model's forward by the
    generation call. Prefill (one paper, ``B == 1``): stores the prompt's keys/values in the paper's row and runs
    causal attention over them. Decode (``B == P * n``, ``L == 1``): stores each sample's new
    key/value in its slot and attends over the paper's prompt plus the sample's own suffix.
    """
    import torch
    import torch.nn.functional as F

    state = kwargs.get(STATE_KWARG)
    if state is None:
        raise RuntimeError(f"attention '{ATTN_NAME}' called without its batch state (the {STATE_KWARG} forward keyword)")
    layer = module.layer_idx
    cache_k, cache_v = state.keys[layer], state.values[layer]
    num_heads, num_kv = query.shape[1], key.shape[1]
    groups = num_heads // num_kv

    if state.mode == "prefill":
        length = key.shape[2]
        cache_k[state.paper, :, :length] = key[0]
        cache_v[state.paper, :, :length] = value[0]
        out = F.scaled_dot_product_attention(
            query, _expand_kv(key, groups), _expand_kv(value, groups), is_causal=True, scale=scaling
        )
        return out.transpose(1, 2).contiguous(), None

    papers, n = cache_k.shape[0], state.n_samples
    head_dim = query.shape[-1]
    slot = state.prefix_len + state.step * n
    # [P*n, Hkv, 1, D] -> [P, Hkv, n, D]: sample s of paper p goes to slot + s
    cache_k[:, :, slot : slot + n] = key.reshape(papers, n, num_kv, head_dim).transpose(1, 2)
    cache_v[:, :, slot : slot + n] = value.reshape(papers, n, num_kv, head_dim).transpose(1, 2)
    live = slot + n
    # queries [P*n, H, 1, D] -> [P, Hkv, n*G, D]; row s*G + g is sample s, query head kv*G + g
    q = query.reshape(papers, n, num_kv, groups, head_dim).transpose(1, 2).reshape(papers, num_kv, n * groups, head_dim)
    keys, values, bias = cache_k[:, :, :live], cache_v[:, :, :live], state.bias[..., :live]
    if state.decode_attention == "sdpa":
        out = F.scaled_dot_product_attention(q, keys, values, attn_mask=bias, scale=scaling)
    else:
        scale = scaling if scaling is not None else head_dim**-0.5
        scores = torch.matmul(q, keys.transpose(-1, -2)).float() * scale + bias.float()
        out = torch.matmul(scores.softmax(dim=-1).to(values.dtype), values)
    out = out.reshape(papers, num_kv, n, groups, head_dim).transpose(1, 2)
    return out.reshape(papers * n, 1, num_heads, head_dim), None


def _no_mask(*args: Any, **kwargs: Any) -> None:
    """Our attention builds its own mask; the model's mask builder has nothing to do."""
    return None


def register_attention() -> None:
    """Register the shared-prompt attention (and its no-op mask) with transformers. Idempotent."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface

    AttentionInterface.register(ATTN_NAME, _shared_prompt_attention)
    AttentionMaskInterface.register(ATTN_NAME, _no_mask)


@contextmanager
def _attention_of(model: PreTrainedModel, name: str) -> Iterator[None]:
    """Switch the model's attention implementation for the block, then switch it back."""
    configs = [module.config for module in model.modules() if hasattr(module, "config")]
    configs = list({id(c): c for c in configs}.values())
    before = [c._attn_implementation for c in configs]
    for config in configs:
        config._attn_implementation = name
    try:
        yield
    finally:
        for config, old in zip(configs, before, strict=True):
            config._attn_implementation = old


@contextmanager
def _fused_sdpa_only(device: torch.device) -> Iterator[None]:
    """On CUDA, let SDPA use only the flash and memory-efficient kernels.

    PyTorch's default choice may take cuDNN attention, which plans per new KV length: about
    60 ms more per decode step at lengths the process has not seen (docs/perf/infer.md), and a
    real job sees new lengths with every paper. Asking for a kernel that cannot run is an error
    here rather than a silent fall back to the slow math path.
    """
    if device.type != "cuda":
        yield
        return
    from torch.nn.attention import SDPBackend, sdpa_kernel

    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.EFFICIENT_ATTENTION]):
        yield


# ----------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class KVShape:
    """What the KV cache of one token costs: layers, KV heads, head dim, bytes per element."""

    layers: int
    kv_heads: int
    head_dim: int
    dtype_bytes: int

    @classmethod
    def of(cls, model: PreTrainedModel) -> KVShape:
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        heads = config.num_attention_heads
        head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
        dtype_bytes = cache_dtype_of(model).itemsize
        return cls(config.num_hidden_layers, getattr(config, "num_key_value_heads", None) or heads, head_dim, dtype_bytes)

    @property
    def bytes_per_token(self) -> int:
        return 2 * self.layers * self.kv_heads * self.head_dim * self.dtype_bytes


def cache_dtype_of(model: PreTrainedModel) -> torch.dtype:
    """The KV cache's dtype: the model's floating-point dtype (bf16 for a 4-bit model's packed weights)."""
    import torch

    dtype = next(p for p in model.parameters() if p.is_floating_point()).dtype
    return dtype if dtype in (torch.float16, torch.bfloat16, torch.float32) else torch.bfloat16


def batch_cache_bytes(kv: KVShape, prompt_lens: Sequence[int], n_samples: int, max_new_tokens: int) -> int:
    """Bytes of KV cache a batch needs: each paper's row spans the longest prompt plus n suffixes."""
    row_tokens = max(prompt_lens) + n_samples * max(max_new_tokens - 1, 1)
    return len(prompt_lens) * row_tokens * kv.bytes_per_token


def plan_batches(
    prompt_lens: Sequence[int],
    kv: KVShape,
    n_samples: int,
    max_new_tokens: int,
    budget_bytes: int,
    max_papers: int = 64,
) -> list[list[int]]:
    """Group request indices into batches whose KV cache fits ``budget_bytes``.

    Requests are sorted longest first, so each batch holds papers of similar length (little
    padding) and the first batch shows at once whether the longest paper fits at all.

    Raises:
        ValueError: one paper alone does not fit the budget.
    """
    order = sorted(range(len(prompt_lens)), key=lambda i: -prompt_lens[i])
    batches: list[list[int]] = []
    current: list[int] = []
    for index in order:
        candidate = [*current, index]
        lens = [prompt_lens[i] for i in candidate]
        if current and (len(candidate) > max_papers or batch_cache_bytes(kv, lens, n_samples, max_new_tokens) > budget_bytes):
            batches.append(current)
            candidate = [index]
        need = batch_cache_bytes(kv, [prompt_lens[index]], n_samples, max_new_tokens)
        if need > budget_bytes:
            raise ValueError(
                f"a {prompt_lens[index]}-token prompt with {n_samples} samples of {max_new_tokens} tokens needs "
                f"{need / 2**30:.1f} GiB of KV cache, more than the {budget_bytes / 2**30:.1f} GiB budget; "
                "lower --samples or max_new_tokens, or truncate the papers"
            )
        current = candidate
    if current:
        batches.append(current)
    return batches


def auto_cache_budget(model: PreTrainedModel, device: torch.device, longest_prompt: int, cap_gib: float | None) -> int:
    """Bytes available for the KV cache: free device memory minus the prefill's working memory."""
    import torch

    if cap_gib is not None:
        return int(cap_gib * 2**30)
    if device.type != "cuda":  # CPU runs are tests and demos: a fixed, modest budget
        return 4 * 2**30
    free, _total = torch.cuda.mem_get_info(device)
    # what PyTorch holds but no tensor uses (the last batch's cache) is free for the next batch too
    free += torch.cuda.memory_reserved(device) - torch.cuda.memory_allocated(device)
    config = model.config
    width = config.hidden_size * 8 + getattr(config, "intermediate_size", 4 * config.hidden_size) * 4
    prefill = longest_prompt * width * 2  # hidden states, q/k/v, MLP activations of one paper, bf16
    headroom = prefill + int(1.5 * 2**30)
    return max(int((free - headroom) * 0.95), 0)


# ----------------------------------------------------------------------------- generation


def _sample(
    scores: torch.Tensor,
    greedy: bool,
    generator: torch.Generator | None,
    row_generators: Sequence[torch.Generator] | None = None,
) -> torch.Tensor:
    """One token per row: argmax, or a draw from each row's distribution.

    With ``row_generators`` every row draws its uniform number from its own RNG and picks the
    token by inverse CDF, so a row's tokens depend only on its RNG and its scores, not on which
    other rows share the batch (a resumed run, batched differently, draws the same samples).
    """
    import torch

    if greedy:
        return scores.argmax(dim=-1)
    probs = scores.softmax(dim=-1)
    if row_generators is None:
        return torch.multinomial(probs, 1, generator=generator).squeeze(1)
    uniform = torch.cat([torch.rand(1, generator=g, dtype=torch.float64) for g in row_generators])
    cdf = probs.double().cumsum(dim=-1)
    target = (uniform.to(probs.device) * cdf[:, -1]).unsqueeze(1)
    picked = torch.searchsorted(cdf, target, right=True).squeeze(1)  # a 0-probability token has no interval
    last_possible = probs.shape[-1] - 1 - (probs > 0).flip(-1).int().argmax(dim=-1)  # guards rounding at the top
    return torch.minimum(picked, last_possible)


def row_generator(seed: int, key: str, sample: int) -> torch.Generator:
    """The RNG of one sample: seeded by (run seed, paper id, sample index), nothing else.

    CPU generators: ``torch.rand`` with a CPU generator is the same on every device and version
    of the kernel, and one draw per row and step costs nothing beside a forward pass.
    """
    import hashlib

    import torch

    digest = hashlib.sha256(f"{seed}\x00{key}\x00{sample}".encode()).digest()
    generator = torch.Generator()
    generator.manual_seed(int.from_bytes(digest[:8], "little") & ((1 << 63) - 1))
    return generator


@dataclass
class _Tokens:
    """The batch's token rows and per-row progress, paper-major (row ``p * n + s`` is sample s of paper p)."""

    ids: torch.Tensor  # [P*n, prefix_len + max_new_tokens]: prompt, then generated tokens
    positions: torch.Tensor  # [P*n] each row's prompt length: the position of its first new token
    finished: torch.Tensor  # [P*n] bool: the row has produced an EOS
    generated: int = 0  # decode steps taken


def generate_shared(
    model: PreTrainedModel,
    prompts: Sequence[PromptBatchItem],
    n_samples: int,
    params: SamplingParams,
    processors: LogitsProcessorList | None,
    *,
    eos_token_ids: Sequence[int],
    pad_token_id: int,
    generator: torch.Generator | None = None,
    decode_attention: str = "sdpa",
    row_generators: Sequence[torch.Generator] | None = None,
) -> list[SampleOutput]:
    """Generate ``n_samples`` samples for each prompt in one batch (see the module doc).

    Safe to call from several threads at once on different models: each call's cache and mask
    travel with its own forward calls. (One model, though, runs one call at a time: the call
    switches the model's attention implementation while it runs.)

    Args:
        model: a causal LM whose attention goes through transformers' ``AttentionInterface``
            (Llama, Mistral, Qwen2...); a PEFT model is fine.
        prompts: the papers of this batch (their cache must fit: see :func:`plan_batches`).
        n_samples: samples per paper.
        params: sampling parameters.
        processors: logits processors / warpers applied in order (temperature, top-p...).
        eos_token_ids: tokens that end a sample.
        pad_token_id: written after a sample's EOS.
        generator: the sampling RNG of the whole batch (used without ``row_generators``).
        decode_attention: ``sdpa`` or ``matmul`` (see :data:`DECODE_ATTENTION`).
        row_generators: one RNG per output row (paper-major, ``len(prompts) * n_samples``), so
            each sample's draws do not depend on the batch (:func:`row_generator`).

    Returns:
        ``len(prompts) * n_samples`` outputs, paper-major.
    """
    import torch

    if decode_attention not in DECODE_ATTENTION:
        raise ValueError(f"decode_attention must be one of {DECODE_ATTENTION}")
    started = time.perf_counter()
    device = next(model.parameters()).device
    papers, n = len(prompts), n_samples
    if row_generators is not None and len(row_generators) != papers * n:
        raise ValueError(f"{len(row_generators)} row generators for {papers} papers x {n} samples")
    lens = [len(p.prompt_ids) for p in prompts]
    state = _allocate_state(model, lens, n, params.max_new_tokens, decode_attention, device)
    tokens = _token_rows(prompts, n, state.prefix_len, params.max_new_tokens, pad_token_id, device)
    register_attention()
    try:
        with _attention_of(model, ATTN_NAME), _fused_sdpa_only(device), torch.inference_mode():
            logits = _prefill(model, prompts, state, device)
            _decode(model, state, tokens, logits, params, processors, eos_token_ids, pad_token_id,
                    generator, row_generators)
    finally:
        state.keys.clear()  # the cache goes now, not when the caller drops its last reference
        state.values.clear()
    seconds = (time.perf_counter() - started) / max(papers * n, 1)
    return _outputs(prompts, n, tokens, state.prefix_len, params, eos_token_ids, seconds)


def _allocate_state(
    model: PreTrainedModel, lens: Sequence[int], n: int, max_new_tokens: int, decode_attention: str,
    device: torch.device,
) -> _BatchState:
    """The batch's empty KV cache and its additive mask, prompt positions open (see the module doc)."""
    import torch

    kv = KVShape.of(model)
    papers = len(lens)
    prefix_len = max(lens)
    steps = max(max_new_tokens - 1, 0)
    total = prefix_len + n * max(steps, 1)
    aligned = math.ceil(total / 16) * 16  # SDPA's memory-efficient kernel wants 16-aligned mask rows
    cache_dtype = cache_dtype_of(model)
    groups = model.config.num_attention_heads // kv.kv_heads
    shape = (papers, kv.kv_heads, total, kv.head_dim)
    # zeros, not empty: masked slots are still read, and 0 * NaN of stale memory would be NaN
    keys = [torch.zeros(shape, dtype=cache_dtype, device=device) for _ in range(kv.layers)]
    values = [torch.zeros(shape, dtype=cache_dtype, device=device) for _ in range(kv.layers)]
    # additive mask: prompt positions of each paper open to all its rows; suffix slots open per step
    neg = torch.finfo(cache_dtype).min
    bias = torch.full((papers, 1, n * groups, aligned), neg, dtype=cache_dtype, device=device)
    for p, length in enumerate(lens):
        bias[p, :, :, :length] = 0
    return _BatchState(keys, values, prefix_len, n, bias=bias, decode_attention=decode_attention)


def _step_block(state: _BatchState) -> torch.Tensor:
    """``[n*G, n]`` mask block of one decode step: the row of sample s sees slot s of the step."""
    import torch

    bias = state.bias
    n = state.n_samples
    groups = bias.shape[2] // n
    row_sample = torch.arange(n * groups, device=bias.device) // groups
    return torch.where(
        row_sample[:, None] == torch.arange(n, device=bias.device)[None, :],
        torch.zeros((), dtype=bias.dtype, device=bias.device),
        torch.full((), torch.finfo(bias.dtype).min, dtype=bias.dtype, device=bias.device),
    )


def _token_rows(
    prompts: Sequence[PromptBatchItem], n: int, prefix_len: int, max_new_tokens: int, pad_token_id: int,
    device: torch.device,
) -> _Tokens:
    """Each sample's row of prompt tokens, room for its new tokens, and its starting position."""
    import torch

    papers = len(prompts)
    lens = [len(p.prompt_ids) for p in prompts]
    ids = torch.full((papers * n, prefix_len + max_new_tokens), pad_token_id, dtype=torch.long, device=device)
    for p, prompt in enumerate(prompts):
        ids[p * n : (p + 1) * n, : lens[p]] = torch.tensor(prompt.prompt_ids, dtype=torch.long, device=device)
        # the gap up to the longest prompt repeats this prompt's last token, not the pad (often EOS),
        # so the logits processors see only this paper's tokens: the repetition penalty counts a token
        # once, and a penalised EOS would lengthen the reviews of shorter papers in a batch
        ids[p * n : (p + 1) * n, lens[p] : prefix_len] = prompt.prompt_ids[-1]
    positions = torch.tensor(lens, device=device).repeat_interleave(n)
    finished = torch.zeros(papers * n, dtype=torch.bool, device=device)
    return _Tokens(ids, positions, finished)


def _prefill(model: PreTrainedModel, prompts: Sequence[PromptBatchItem], state: _BatchState,
             device: torch.device) -> torch.Tensor:
    """Run each paper's prompt once into its cache row; the last position's logits, one row per sample."""
    import torch

    last_logits = []
    state.mode = "prefill"
    for p, prompt in enumerate(prompts):
        state.paper = p
        out = model(
            input_ids=torch.tensor([prompt.prompt_ids], dtype=torch.long, device=device),
            position_ids=torch.arange(len(prompt.prompt_ids), device=device)[None],
            use_cache=False,
            logits_to_keep=1,
            **{STATE_KWARG: state},
        )
        last_logits.append(out.logits[0, -1].float())
    return torch.stack(last_logits).repeat_interleave(state.n_samples, dim=0)


def _decode(
    model: PreTrainedModel,
    state: _BatchState,
    tokens: _Tokens,
    logits: torch.Tensor,
    params: SamplingParams,
    processors: LogitsProcessorList | None,
    eos_token_ids: Sequence[int],
    pad_token_id: int,
    generator: torch.Generator | None,
    row_generators: Sequence[torch.Generator] | None,
) -> None:
    """Draw the new tokens into ``tokens.ids``, one forward per step for all samples, until done."""
    import torch

    prefix_len, n = state.prefix_len, state.n_samples
    eos = torch.tensor(list(eos_token_ids) or [-1], device=logits.device)
    greedy = params.temperature == 0
    step_block = _step_block(state)
    state.mode = "decode"
    for t in range(params.max_new_tokens):
        current = prefix_len + t
        scores = processors(tokens.ids[:, :current], logits) if processors else logits
        next_tokens = _sample(scores, greedy, generator, row_generators)
        if params.stop_at_eos:
            next_tokens = torch.where(tokens.finished, torch.full_like(next_tokens, pad_token_id), next_tokens)
            tokens.finished |= torch.isin(next_tokens, eos)
        tokens.ids[:, current] = next_tokens
        tokens.generated = t + 1
        if t == params.max_new_tokens - 1:
            break
        if params.stop_at_eos and t % 16 == 15 and bool(tokens.finished.all()):
            break
        state.step = t
        slot = prefix_len + t * n
        state.bias[:, :, :, slot : slot + n] = step_block
        out = model(
            input_ids=next_tokens[:, None],
            position_ids=(tokens.positions + t)[:, None],
            use_cache=False,
            logits_to_keep=1,
            **{STATE_KWARG: state},
        )
        logits = out.logits[:, -1].float()


def _outputs(
    prompts: Sequence[PromptBatchItem], n: int, tokens: _Tokens, prefix_len: int, params: SamplingParams,
    eos_token_ids: Sequence[int], seconds: float,
) -> list[SampleOutput]:
    """One :class:`SampleOutput` per row, cut at its first EOS when samples stop there."""
    rows = tokens.ids[:, prefix_len : prefix_len + tokens.generated].tolist()
    done = tokens.finished.tolist()
    eos_set = set(eos_token_ids)
    outputs = []
    for row, ids in enumerate(rows):
        cut = next((i for i, tok in enumerate(ids) if tok in eos_set), None) if params.stop_at_eos else None
        outputs.append(
            SampleOutput(
                key=prompts[row // n].key,
                sample=row % n,
                token_ids=ids if cut is None else ids[:cut],
                prompt_tokens=len(prompts[row // n].prompt_ids),
                seconds=seconds,
                finished=bool(done[row]) or not params.stop_at_eos,
            )
        )
    return outputs
