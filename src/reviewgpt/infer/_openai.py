"""The ``openai`` backend: the same prompts to any OpenAI-compatible server.

Through the shared client (:class:`reviewgpt.llm.LLMClient`): concurrency, rate limits, retries,
deadlines, the answer cache and a spend limit. Sample ``s`` of a paper is sent with ``seed=s``,
so the samples differ and each is cached on its own (a rerun pays for nothing twice).

Serving our own fine-tuned model at scale goes the same way: ``vllm serve <base> --enable-lora
--lora-modules reviewgpt=<adapter>``, then ``--backend openai --base-url http://host:8000/v1
--model reviewgpt``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from reviewgpt.infer._inputs import ReviewRequest
from reviewgpt.infer._text import aspects_from_json
from reviewgpt.infer.config import InferConfig
from reviewgpt.prompts.json_review import json_instruction
from reviewgpt.prompts.review import prompt_messages
from reviewgpt.reviewtext import render_review


@dataclass
class OpenAIAnswer:
    text: str
    prompt_tokens: int
    completion_tokens: int
    cached: bool
    seconds: float


def llm_config(cfg: InferConfig):
    """The client config: ``--model`` names the served model; sampling comes from ``cfg.sampling``."""
    updates = {"temperature": cfg.sampling.temperature, "max_tokens": cfg.sampling.max_new_tokens}
    if cfg.model:
        updates["model"] = cfg.model
    return cfg.llm.model_copy(update=updates)


def generate_openai(
    cfg: InferConfig, items: Sequence[tuple[ReviewRequest, int]], schema: str
) -> Iterator[tuple[tuple[ReviewRequest, int], OpenAIAnswer | Exception]]:
    """Yield ``((request, sample), answer or the exception)`` as answers complete.

    Raises:
        BudgetExceeded: the spend limit was reached (answers already yielded are kept).
        RunFailedError: no API key, or the server cannot be reached (before any request).
    """
    from reviewgpt.llm import LLMClient

    client = LLMClient(llm_config(cfg), cache_dir=cfg.data_dir / "cache" / "llm")
    if items:
        client.preflight()  # no key or a dead server: one line now, not one error per sample
    extra = {"top_p": cfg.sampling.top_p} if cfg.sampling.top_p < 1.0 else {}

    async def make_request(item: tuple[ReviewRequest, int]) -> OpenAIAnswer:
        request, sample = item
        started = time.perf_counter()
        if cfg.prompt_style == "json":
            wanted = request.schema or schema  # a dataset record carries its own schema
            messages = prompt_messages(json_instruction(wanted), request.paper_text)
            aspects, response = await client.chat_json(
                messages, validate=lambda obj: aspects_from_json(obj, wanted), seed=sample, **extra
            )
            text = render_review(aspects, wanted)
        else:
            messages = prompt_messages(request.instruction, request.paper_text)
            response = await client.chat(messages, seed=sample, **extra)
            text = response.text
        return OpenAIAnswer(
            text, response.usage.get("prompt_tokens", 0), response.usage.get("completion_tokens", 0), response.cached,
            round(time.perf_counter() - started, 3),
        )

    yield from client.map(items, make_request, description="reviews")
