"""Typed records: the data contracts between stages (see docs/DATA.md).

One module per artifact; each stage owns its module. Readers validate with
:func:`reviewgpt.store.read_records`.
"""

from reviewgpt.records.aggregate import AggregatedReview
from reviewgpt.records.base import Record
from reviewgpt.records.crawl import CrawledPaper, Reply
from reviewgpt.records.dataset import InstructionExample
from reviewgpt.records.evaluate import MatchResult, PointMatch
from reviewgpt.records.infer import Prediction
from reviewgpt.records.parse import ParsedPaper, Section
from reviewgpt.records.train import RunInfo, read_run_info

__all__ = [
    "AggregatedReview",
    "CrawledPaper",
    "InstructionExample",
    "MatchResult",
    "ParsedPaper",
    "PointMatch",
    "Prediction",
    "Record",
    "Reply",
    "RunInfo",
    "Section",
    "read_run_info",
]
