"""What the model is asked and how an example becomes tokens: the old import path, kept for callers.

The prompts live in :mod:`reviewgpt.prompts` (the review instruction in
:mod:`reviewgpt.prompts.review`, the tokenization in :mod:`reviewgpt.prompts.encoding`); this module
re-exports their names so that ``from reviewgpt.prompting import ...`` keeps working.
"""

from __future__ import annotations

from reviewgpt.prompts.encoding import (
    EncodedExample,
    encode_example,
    encode_output,
    encode_prompt,
    encode_text,
    prompt_text,
    tokenizer_identity,
    tokenizer_mismatch,
)
from reviewgpt.prompts.review import instruction_for, prompt_messages

__all__ = [
    "EncodedExample",
    "encode_example",
    "encode_output",
    "encode_prompt",
    "encode_text",
    "instruction_for",
    "prompt_messages",
    "prompt_text",
    "tokenizer_identity",
    "tokenizer_mismatch",
]
