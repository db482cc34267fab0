"""The ``hf`` backend: a train run's adapter (or any causal LM) served with transformers.

Loading follows the run's ``run_info.json`` (base model, dtype, 4-bit, adapter, schema) through
:func:`reviewgpt.modeling.load_causal_lm`. The RoPE scaling comes from the adapter's own
``base_config_overrides.json`` (``run_info.json`` only for runs that predate it), so an adapter
passed with ``--adapter`` is served with the positions it was trained with too. Prompts come from :func:`reviewgpt.prompting.encode_prompt` (the chat
template training used). Generation runs through :mod:`reviewgpt.infer._engine` (``shared``) or
``model.generate`` (``generate``, the reference).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reviewgpt.errors import ConfigError, StoreError, require
from reviewgpt.infer._engine import (
    KVShape,
    PromptBatchItem,
    SampleOutput,
    SamplingParams,
    auto_cache_budget,
    generate_shared,
    plan_batches,
    row_generator,
)
from reviewgpt.infer._inputs import ReviewRequest
from reviewgpt.infer.config import InferConfig
from reviewgpt.logging import get_logger
from reviewgpt.models import is_adapter_folder
from reviewgpt.records.train import RunInfo, read_run_info
from reviewgpt.store import stage_dir

log = get_logger(__name__)

#: transformers' ``model_max_length`` when a tokenizer records none (int(1e30))
_UNSET_MAX_LENGTH = 10**18


@dataclass
class PreparedPrompt:
    request: ReviewRequest
    prompt_ids: list[int]
    truncated: bool
    samples: list[int]  # sample indices still to write


class HFBackend:
    """A loaded model + tokenizer that turns review requests into samples."""

    def __init__(self, cfg: InferConfig):
        require("torch", "train", "the hf backend")
        import torch

        from reviewgpt.modeling import adapter_rope_scaling, load_causal_lm, load_tokenizer

        self.cfg = cfg
        info: RunInfo | None = None
        adapter: Path | None = cfg.adapter
        if cfg.run:
            run_dir = stage_dir(cfg.data_dir, "train") / cfg.run
            info = read_run_info(run_dir)
            adapter = run_dir / info.adapter_dir
            if not is_adapter_folder(adapter):
                raise StoreError(f"train run '{cfg.run}' has no adapter at {adapter}")
        base = cfg.model or (info.base_model if info else None)
        if not base:
            raise ConfigError("no model: pass --model, or a --run whose run_info.json names base_model")
        dtype = cfg.hf.dtype or (info.dtype if info else "bfloat16")
        load_in_4bit = cfg.hf.load_in_4bit if cfg.hf.load_in_4bit is not None else bool(info and info.load_in_4bit)
        device = cfg.hf.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.device = torch.device(device)
        self.max_prompt_tokens = cfg.hf.max_prompt_tokens
        if self.max_prompt_tokens is None and info and info.max_seq_len:
            # the trained context holds prompt and review: leave the review its room
            self.max_prompt_tokens = max(16, info.max_seq_len - cfg.sampling.max_new_tokens)

        tokenizer_dir = adapter if adapter is not None and (adapter / "tokenizer_config.json").exists() else base
        self.tokenizer = load_tokenizer(tokenizer_dir)
        if self.max_prompt_tokens is None and self.tokenizer.model_max_length < _UNSET_MAX_LENGTH:
            # an exported adapter or merged model records its trained context here
            self.max_prompt_tokens = max(16, self.tokenizer.model_max_length - cfg.sampling.max_new_tokens)
        log.info("loading %s (%s%s) on %s", base, dtype, ", 4-bit" if load_in_4bit else "", device)
        model = load_causal_lm(
            base,
            dtype=dtype,
            load_in_4bit=load_in_4bit,
            rope_scaling=adapter_rope_scaling(adapter, info.rope_scaling if info else None),
            device_map=({"": device} if load_in_4bit else None),
        )
        if not load_in_4bit:
            model = model.to(self.device)
        if adapter is not None:
            require("peft", "train", "serving a LoRA adapter")
            from peft import PeftModel

            model = PeftModel.from_pretrained(model, str(adapter))
            if cfg.hf.merge_adapter and not load_in_4bit:
                model = model.merge_and_unload()  # one matmul per projection instead of three
        self.model = model.eval()
        self.eos_ids = _eos_ids(self.model, self.tokenizer)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else self.eos_ids[0]

    # ------------------------------------------------------------------ prompts

    def encode(self, request: ReviewRequest) -> tuple[list[int], bool]:
        """Prompt ids via the chat template; a paper too long for ``max_prompt_tokens`` is cut at the end."""
        from reviewgpt.prompting import encode_prompt, encode_text

        ids = encode_prompt(self.tokenizer, request.instruction, request.paper_text)
        limit = self.max_prompt_tokens
        if limit is None or len(ids) <= limit:
            return ids, False
        paper_ids = encode_text(self.tokenizer, request.paper_text)
        keep = max(len(paper_ids) - (len(ids) - limit) - 8, 0)
        while True:  # re-tokenising the cut text can merge differently: shrink until it fits
            text = self.tokenizer.decode(paper_ids[:keep], skip_special_tokens=True)
            ids = encode_prompt(self.tokenizer, request.instruction, text)
            if len(ids) <= limit or keep == 0:
                return ids, True
            keep = max(keep - max(len(ids) - limit, 8), 0)

    # ------------------------------------------------------------------ generation

    def _processors(self):
        """The batch's logits processors (the n-gram ban keeps state, so one list per batch)."""
        from reviewgpt.infer._processors import EmptyAspectPenalty, build_processors

        s = self.cfg.sampling
        penalty = EmptyAspectPenalty(self.tokenizer, self.cfg.penalize_empty) if self.cfg.penalize_empty else None
        return build_processors(
            temperature=s.temperature, top_p=s.top_p, repetition_penalty=s.repetition_penalty, empty_penalty=penalty,
            no_repeat_ngram_size=s.no_repeat_ngram_size,
        )

    def generate(self, prompts: Sequence[PreparedPrompt]) -> Iterator[tuple[PreparedPrompt, int, SampleOutput]]:
        """Yield ``(prompt, sample index, output)`` batch by batch (papers grouped by missing-sample count)."""
        import torch

        s = self.cfg.sampling
        params = SamplingParams(max_new_tokens=s.max_new_tokens, temperature=s.temperature, stop_at_eos=True)
        generator = torch.Generator(device=self.device)  # the reference engine's (one stream per batch)
        if s.seed is not None:
            generator.manual_seed(s.seed)
        else:
            generator.seed()
        # the shared engine draws each sample from its own RNG keyed by (seed, paper, sample), so
        # a resumed run, which batches the missing samples differently, writes what an
        # uninterrupted one would have
        run_seed = s.seed if s.seed is not None else int.from_bytes(os.urandom(8), "little")
        kv = KVShape.of(self.model)
        by_count: dict[int, list[PreparedPrompt]] = {}
        for prompt in prompts:
            by_count.setdefault(len(prompt.samples), []).append(prompt)
        for n, group in sorted(by_count.items(), reverse=True):
            lens = [len(p.prompt_ids) for p in group]
            budget = auto_cache_budget(self.model, self.device, max(lens), self.cfg.hf.kv_cache_gib)
            try:
                if self.cfg.hf.engine == "shared":
                    batches = plan_batches(lens, kv, n, s.max_new_tokens, budget, self.cfg.hf.max_batch_papers)
                else:  # generate copies the prompt per sample: n full rows per paper
                    batches = plan_batches(lens, kv, 1, s.max_new_tokens + 1, budget // n, self.cfg.hf.max_batch_papers)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            for batch in batches:
                started = time.perf_counter()
                items = [group[i] for i in batch]
                processors = self._processors()
                if self.cfg.hf.engine == "shared":
                    outputs = generate_shared(
                        self.model, [PromptBatchItem(i, p.prompt_ids) for i, p in enumerate(items)], n, params,
                        processors, eos_token_ids=self.eos_ids, pad_token_id=self.pad_id, generator=generator,
                        decode_attention=self.cfg.hf.decode_attention,
                        row_generators=[
                            row_generator(run_seed, p.request.forum, sample) for p in items for sample in p.samples
                        ],
                    )
                else:
                    outputs = self._generate_reference(items, n, params, processors)
                seconds = time.perf_counter() - started
                log.info(
                    "batch of %d papers x %d samples: %.1f s (%.0f reviews/hour)",
                    len(items), n, seconds, 3600 * len(outputs) / max(seconds, 1e-9),
                )
                for out in outputs:
                    prompt = items[out.key]
                    yield prompt, prompt.samples[out.sample], out

    def _generate_reference(self, items: list[PreparedPrompt], n: int, params: SamplingParams, processors):
        """``model.generate`` with left padding and ``num_return_sequences`` (the reference path)."""
        import torch

        started = time.perf_counter()
        width = max(len(p.prompt_ids) for p in items)
        ids = torch.full((len(items), width), self.pad_id, dtype=torch.long)
        mask = torch.zeros((len(items), width), dtype=torch.long)
        for row, prompt in enumerate(items):
            ids[row, width - len(prompt.prompt_ids) :] = torch.tensor(prompt.prompt_ids)
            mask[row, width - len(prompt.prompt_ids) :] = 1
        greedy = params.temperature == 0
        with torch.inference_mode():
            out = self.model.generate(
                input_ids=ids.to(self.device), attention_mask=mask.to(self.device), num_return_sequences=n,
                do_sample=not greedy, max_new_tokens=params.max_new_tokens, pad_token_id=self.pad_id,
                eos_token_id=self.eos_ids, logits_processor=processors, temperature=None, top_p=None, top_k=0,
            )
        seconds = (time.perf_counter() - started) / max(out.shape[0], 1)
        eos = set(self.eos_ids)
        outputs = []
        for row, tokens in enumerate(out[:, width:].tolist()):
            cut = next((i for i, tok in enumerate(tokens) if tok in eos), None)
            outputs.append(
                SampleOutput(
                    key=row // n, sample=row % n, token_ids=tokens if cut is None else tokens[:cut],
                    prompt_tokens=len(items[row // n].prompt_ids), seconds=seconds, finished=cut is not None,
                )
            )
        return outputs

    def decode(self, token_ids: list[int]) -> str:
        return self.tokenizer.decode(token_ids, skip_special_tokens=True)


def _eos_ids(model: Any, tokenizer: Any) -> list[int]:
    ids: list[int] = []
    config_eos = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    for value in (config_eos, tokenizer.eos_token_id):
        if value is None:
            continue
        ids += list(value) if isinstance(value, list | tuple) else [int(value)]
    return sorted(set(ids)) or [0]
