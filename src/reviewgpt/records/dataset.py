"""``build-dataset`` records: instruction examples (data/dataset/<version>/{train,val,test}.jsonl)."""

from __future__ import annotations

from pydantic import Field

from reviewgpt.records.base import Record

#: the files of a dataset version, one per split (by paper)
SPLITS = ("train", "val", "test")


class InstructionExample(Record):
    """One training (or held-out) example: instruction, paper and review."""

    id: str = Field(description="the paper's forum id")
    instruction: str = Field(description="the task prompt of the schema (`prompting.instruction_for`)")
    input: str = Field(description="the paper text, cut from the end of [CONTENT] when over budget")
    output: str = Field(description="the review text, the training target")
    input_tokens: int = Field(description="prompt tokens as training builds it (chat template + instruction + paper)")
    output_tokens: int = Field(description="review tokens as training builds it (EOS included)")
    truncated: bool = Field(False, description="the paper was cut to fit the budget")
    venue_id: str | None = Field(None, description="the venue the paper was crawled from")
    schema: str = Field("4-aspect", description="the review schema of `output`")
    untruncated_input_tokens: int | None = Field(
        None, description="prompt tokens before the paper was cut (equal to `input_tokens` when not truncated)"
    )
    output_truncated: bool = Field(
        False, description="the review alone was over `max_output_tokens` and lost whole trailing points"
    )
    title: str | None = Field(None, description="the paper's title (the crawl's, else the parsed one)")
