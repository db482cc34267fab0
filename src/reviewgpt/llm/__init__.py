"""The shared LLM client: any OpenAI-compatible server, with limits, retries, deadlines, cache and cost.

Used by aggregate-reviews, the infer ``openai`` backend and the evaluate LLM judge::

    from reviewgpt.llm import LLMClient, LLMConfig, LLMResponse, BudgetExceeded, LLMCallError

Importing this package is cheap: the ``openai`` library is imported on the first request.
"""

from reviewgpt.llm.client import BudgetExceeded, InvalidAnswerError, LLMCallError, LLMClient, LLMResponse
from reviewgpt.llm.config import LLMConfig
from reviewgpt.llm.pricing import estimate_cost, estimate_prompt_tokens, estimate_tokens

__all__ = [
    "BudgetExceeded",
    "InvalidAnswerError",
    "LLMCallError",
    "LLMClient",
    "LLMConfig",
    "LLMResponse",
    "estimate_cost",
    "estimate_prompt_tokens",
    "estimate_tokens",
]
