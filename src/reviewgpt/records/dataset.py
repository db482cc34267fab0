"""``build-dataset`` records: instruction examples (data/dataset/<version>/{train,val,test}.jsonl)."""

from __future__ import annotations

from reviewgpt.records.base import Record

#: the files of a dataset version, one per split (by paper)
SPLITS = ("train", "val", "test")


class InstructionExample(Record):
    id: str  # the forum
    instruction: str
    #: the paper text, cut from the end of [CONTENT] when over budget
    input: str
    #: the review text (the training target)
    output: str
    #: tokens of the prompt as training builds it (chat template + instruction + paper)
    input_tokens: int
    #: tokens of the review as training builds it (EOS included)
    output_tokens: int
    #: the paper was cut to fit the budget
    truncated: bool = False
    venue_id: str | None = None
    schema: str = "4-aspect"
    #: prompt tokens before the paper was cut (equal to input_tokens when not truncated)
    untruncated_input_tokens: int | None = None
    #: the review alone was over max_output_tokens and lost whole points (headers kept)
    output_truncated: bool = False
    #: the paper's title (the crawl's, else the parsed one)
    title: str | None = None
