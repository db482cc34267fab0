"""How a review prompt and its target become tokens: shared by build-dataset, train and infer.

build-dataset counts tokens with :func:`encode_example`, train masks the prompt with it, and infer
builds its prompts with :func:`encode_prompt`, so the three always agree. The instruction itself is
:func:`reviewgpt.prompts.review.instruction_for`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewgpt.prompts.review import prompt_messages

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


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


def encode_text(tokenizer: PreTrainedTokenizerBase, text: str) -> list[int]:
    """Token ids of ``text``, no special tokens added: the same ids as ``tokenizer(text)``.

    A fast tokenizer's Rust backend is asked for ids only (``encode_batch_fast`` skips the
    character offsets), about a quarter less CPU on a 40k-character paper: counting a whole
    dataset is mostly this call.
    """
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None and hasattr(backend, "encode_batch_fast"):
        return backend.encode_batch_fast([text], add_special_tokens=False)[0].ids
    return tokenizer(text, add_special_tokens=False)["input_ids"]


def encode_prompt(tokenizer: PreTrainedTokenizerBase, instruction: str, paper_text: str) -> list[int]:
    """Token ids of the prompt. The template carries its own BOS, so none is added here."""
    return encode_text(tokenizer, prompt_text(tokenizer, instruction, paper_text))


def encode_output(tokenizer: PreTrainedTokenizerBase, review_text: str) -> list[int]:
    """Token ids of the target review, ending with EOS (what the loss is computed on)."""
    ids = encode_text(tokenizer, review_text)
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


def tokenizer_identity(name: str, tokenizer: PreTrainedTokenizerBase) -> dict[str, object]:
    """What identifies the counting: build-dataset records it, train checks its tokenizer against it.

    ``vocab_sha256`` is what tells two tokenizers apart: two vocabularies of one size (a
    retrained BPE, another model family's) split text differently and pass a size check.
    """
    import hashlib

    template = tokenizer.chat_template if isinstance(tokenizer.chat_template, str) else str(tokenizer.chat_template)
    return {
        "name": name,
        "class": type(tokenizer).__name__,
        "vocab_size": len(tokenizer),
        "vocab_sha256": _vocab_sha256(tokenizer),
        "chat_template_sha256": hashlib.sha256(template.encode()).hexdigest(),
    }


#: Parts of two :func:`tokenizer_identity` records compared, with the words a mismatch message uses.
_IDENTITY_PARTS = {
    "vocab_sha256": "vocabulary and merges",
    "vocab_size": "vocabulary size",
    "chat_template_sha256": "chat template",
}


def tokenizer_mismatch(expected: dict[str, object], actual: dict[str, object]) -> str | None:
    """How two :func:`tokenizer_identity` records differ, naming both tokenizers; None when they agree.

    A part missing from either record (one written by an older version) is not compared.
    """
    for key, what in _IDENTITY_PARTS.items():
        a, b = expected.get(key), actual.get(key)
        if a is not None and b is not None and a != b:
            shown = (a, b) if key == "vocab_size" else (str(a)[:12], str(b)[:12])
            return (
                f"tokenizer '{actual.get('name')}' differs from '{expected.get('name')}' in its {what} "
                f"({shown[1]} vs {shown[0]})"
            )
    return None


def _vocab_sha256(tokenizer: PreTrainedTokenizerBase) -> str:
    """sha256 of how the tokenizer splits text: a fast tokenizer's tokenizer.json (vocabulary,
    merges, normaliser, pre-tokeniser, added tokens), a slow one's sorted vocabulary."""
    import hashlib
    import json

    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is not None:
        spec = json.loads(backend.to_str())
        for runtime_setting in ("truncation", "padding"):  # set per call, not part of the vocabulary
            spec.pop(runtime_setting, None)
        blob = json.dumps(spec, sort_keys=True, ensure_ascii=False)
    else:
        blob = json.dumps(sorted(tokenizer.get_vocab().items()), ensure_ascii=False)
    return hashlib.sha256(blob.encode()).hexdigest()
