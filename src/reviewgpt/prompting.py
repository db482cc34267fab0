"""How an example becomes tokens: the one definition shared by build-dataset, train and infer.

build-dataset counts tokens with :func:`encode_example`, train masks the prompt with it and
infer builds its prompts with :func:`encode_prompt`, so the three always agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


def prompt_messages(instruction: str, paper_text: str) -> list[dict[str, str]]:
    """The chat messages of a review request: one user turn, instruction then paper.

    One user turn (no system turn) because several chat templates (Mistral's among them)
    reject a system role.
    """
    return [{"role": "user", "content": f"{instruction}\n\n{paper_text}"}]


def prompt_text(tokenizer: PreTrainedTokenizerBase, instruction: str, paper_text: str) -> str:
    """The prompt string with the tokenizer's chat template applied (generation prompt added)."""
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            f"tokenizer {getattr(tokenizer, 'name_or_path', '')!r} has no chat template; "
            "use an instruction-tuned model's tokenizer or set one"
        )
    return tokenizer.apply_chat_template(
        prompt_messages(instruction, paper_text), add_generation_prompt=True, tokenize=False
    )


def encode_prompt(tokenizer: PreTrainedTokenizerBase, instruction: str, paper_text: str) -> list[int]:
    """Token ids of the prompt. The template carries its own BOS, so none is added here."""
    return tokenizer(prompt_text(tokenizer, instruction, paper_text), add_special_tokens=False)["input_ids"]


def encode_output(tokenizer: PreTrainedTokenizerBase, review_text: str) -> list[int]:
    """Token ids of the target review, ending with EOS (what the loss is computed on)."""
    ids = tokenizer(review_text, add_special_tokens=False)["input_ids"]
    if tokenizer.eos_token_id is not None:
        ids = ids + [tokenizer.eos_token_id]
    return ids


@dataclass
class EncodedExample:
    prompt_ids: list[int]
    output_ids: list[int]

    @property
    def input_ids(self) -> list[int]:
        return self.prompt_ids + self.output_ids

    @property
    def labels(self) -> list[int]:
        """Loss only on the review: prompt positions are -100."""
        return [-100] * len(self.prompt_ids) + self.output_ids


def encode_example(
    tokenizer: PreTrainedTokenizerBase, instruction: str, paper_text: str, review_text: str
) -> EncodedExample:
    return EncodedExample(
        encode_prompt(tokenizer, instruction, paper_text), encode_output(tokenizer, review_text)
    )
