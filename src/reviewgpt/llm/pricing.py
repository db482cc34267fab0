"""Token and cost estimates: enough to budget a run before it starts, not an invoice.

Prices are USD per million tokens (input, output), OpenAI's list prices for standard
(non-batch) requests. A model not in the table (a local vLLM or Ollama model) has no price:
:func:`estimate_cost` returns None and the cost is reported as unknown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

#: (input, output) USD per 1M tokens. Matched by the longest prefix of the model name, so
#: dated snapshots (``gpt-4o-mini-2024-07-18``) take their family's price.
PRICES_PER_MILLION: dict[str, tuple[float, float]] = {
    "gpt-5-nano": (0.05, 0.40),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5": (1.25, 10.00),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o-2024-05-13": (5.00, 15.00),
    "gpt-4o": (2.50, 10.00),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-4-32k": (60.00, 120.00),
    "gpt-4": (30.00, 60.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "o4-mini": (1.10, 4.40),
    "o3-mini": (1.10, 4.40),
    "o3": (2.00, 8.00),
    "o1-mini": (1.10, 4.40),
    "o1": (15.00, 60.00),
}

#: Characters per token of English prose for OpenAI's tokenizers; used where no tokenizer is at hand.
CHARS_PER_TOKEN = 4.0
#: Tokens the chat format adds around each message.
TOKENS_PER_MESSAGE = 4


def price_of(model: str) -> tuple[float, float] | None:
    """(input, output) USD per 1M tokens for ``model``, or None when it is not in the table."""
    name = model.strip().lower().rsplit("/", 1)[-1]  # "openai/gpt-4o" -> "gpt-4o"
    best = None
    for prefix in PRICES_PER_MILLION:
        if name.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return PRICES_PER_MILLION[best] if best else None


def estimate_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Estimated USD for one or many calls to ``model``; None when the model has no known price."""
    price = price_of(model)
    if price is None:
        return None
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def estimate_tokens(text: str) -> int:
    """A tokenizer-free token estimate (about 4 characters per token for English)."""
    return max(1, round(len(text) / CHARS_PER_TOKEN)) if text else 0


def estimate_prompt_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of a chat request."""
    total = 3  # the reply's priming
    for message in messages:
        content = message.get("content") or ""
        if not isinstance(content, str):  # content parts: count their text
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, Mapping))
        total += TOKENS_PER_MESSAGE + estimate_tokens(content)
    return total
