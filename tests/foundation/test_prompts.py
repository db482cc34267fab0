"""The prompt texts stay byte-identical: cached LLM answers, datasets and trained models depend on them.

Each sha256 below was taken from the prompts before they moved into :mod:`reviewgpt.prompts`.
Changing a prompt on purpose means changing its pin here too, and knowing that caches and
datasets built with the old text no longer match.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from reviewgpt.prompts import aggregate, extract, json_review, judge, repair, review


def sha256(value: object) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return hashlib.sha256(text.encode()).hexdigest()


PINNED = {
    "review.TEMPLATE": (lambda: review.TEMPLATE, "70b5c4e306c58339ac3c1a8ef81a545f98af75094b458e3d9595f931ab21d8b1"),
    "review 4-aspect": (lambda: review.instruction_for("4-aspect"), "dc0a6bec58370ad88d3f87197dce552fb518aace08aac87b0cd22da16de14dad"),
    "review 7-aspect": (lambda: review.instruction_for("7-aspect"), "e435e92788fc7cf3054ca74b5b9a931b8efbe8bfaf674f1d500b5d5713041545"),
    "review messages": (lambda: review.prompt_messages("INSTR", "PAPER"), "b8d9ea5f12ef8bb6d9c115c523f936d5a2eb04b3a6519365bf562e20edc7a524"),
    "json_review 4-aspect": (lambda: json_review.json_instruction("4-aspect"), "0b8cb77c364280d06e2c3feddcdbfaa2c36a1f2b34450f8937464a02e0f3d7f5"),
    "json_review 7-aspect": (lambda: json_review.json_instruction("7-aspect"), "77188a2b3fc12e395c3062816d1ca8a7b62e7b09629783e813a8dd8fa3064d62"),
    "aggregate.SYSTEM_PROMPT": (lambda: aggregate.SYSTEM_PROMPT, "9402873a36d31c9977b5a156e713799e4d1324d09b3e99589daa0028baead504"),
    "aggregate.INSTRUCTIONS": (lambda: aggregate.INSTRUCTIONS, "e570c60a8aa4dbea76d530ee75aee75b0dd7a42456ca77c95087b9fb78f6a4e7"),
    "extract.EXTRACT_INSTRUCTIONS": (lambda: extract.EXTRACT_INSTRUCTIONS, "d83f1001ae213996b60fa8156dda53782aef41cd924c343e7c88be2859665bdd"),
    "extract messages": (lambda: extract.extract_messages("some review"), "821c250da624009302dd46bc3e368102fe858778d77213c5002d1d3d7c2071c7"),
    "judge.JUDGE_INSTRUCTIONS": (lambda: judge.JUDGE_INSTRUCTIONS, "03b22b63e0dd6e7890cf183979d458eb55cdf9d3848bbb58d9e53b107f8ee53e"),
    "judge messages": (lambda: judge.judge_messages(["a one", "a two"], ["b one"]), "c7fa1f5c1a5650a45d53fdd750def2cdaf8594982262b6e91547f0f499badb26"),
    "repair messages": (
        lambda: repair.repair_messages([{"role": "user", "content": "Q"}], "bad", "X"),
        "855b178be9fbadc54b5d544295a6e4d447eed1ea7d47b02974e97dd790a2a3f8",
    ),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_prompt_text_is_unchanged(name: str) -> None:
    render, digest = PINNED[name]
    assert sha256(render()) == digest, f"the text of {name} changed"


def test_the_aggregation_messages_a_stage_sends_are_unchanged() -> None:
    """Through the aggregator's own message builder, with reviews as the stage renders them."""
    from reviewgpt.aggregate._openai import build_messages
    from reviewgpt.aggregate._selection import SourceReview

    reviews = [
        SourceReview(id="r1", kind="review", sections={"summary": "S.", "weaknesses": "W."}, rating="6: ok"),
        SourceReview(id="m", kind="meta_review", sections={"metareview": "M."}),
    ]
    assert sha256(build_messages("A Title", reviews, "4-aspect")) == "0575deca1c5b1e7dc8aea91d228f016275da9088e2333b97dddd38513dbd29f9"
    assert sha256(build_messages("A Title", reviews, "7-aspect")) == "8fe8176d34852f2bfc8f1879c7eaf32d29780a4ae1c0c84e205eccf17aa6cd0e"
    assert sha256(build_messages("", reviews[:1], "4-aspect")) == "95fe7db4776d7f9225b5ab8ead9f779ae1f2882638256b555cb49ac280202c62"


def test_the_old_import_path_gives_the_same_functions() -> None:
    from reviewgpt import prompting
    from reviewgpt.prompts import encoding

    assert prompting.instruction_for is review.instruction_for
    assert prompting.prompt_messages is review.prompt_messages
    assert prompting.encode_example is encoding.encode_example
    assert prompting.tokenizer_identity is encoding.tokenizer_identity
