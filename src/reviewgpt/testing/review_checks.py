"""Checks that tell a complete English review from a fragment or noise (the demo's quality gate).

``python -m reviewgpt.testing.review_checks PREDICTIONS.jsonl ...`` prints, for each infer output,
how many of its reviews pass both checks.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from reviewgpt.reviewtext import ASPECT_SCHEMAS, parse_review

#: Function words: English prose has about a third of its words among them; other output has few.
_FUNCTION_WORDS = set(
    "the a an of and or to in on for with by as at from is are was were be been it its this that these "
    "which not no than more over under only how what when would could does do can will".split()
)


def reads_as_english(text: str) -> bool:
    """At least 40 words, mostly ASCII, and at least 15% of the words English function words."""
    words = re.findall(r"[A-Za-z]+", text)
    if len(words) < 40:
        return False
    ascii_share = sum(ch.isascii() for ch in text) / len(text)
    function_share = sum(w.lower() in _FUNCTION_WORDS for w in words) / len(words)
    return ascii_share > 0.98 and function_share > 0.15


def complete(text: str, schema: str = "4-aspect") -> bool:
    """Every aspect of the schema is there, each with at least one point."""
    parsed = parse_review(text, schema)
    return all(parsed.aspects.get(name) for name in ASPECT_SCHEMAS[schema])


def count_complete(predictions: Path, schema: str = "4-aspect") -> tuple[int, int]:
    """(complete English reviews, all reviews) in an infer stage's ``predictions.jsonl``."""
    texts = [json.loads(line)["text"] for line in Path(predictions).open(encoding="utf-8") if line.strip()]
    return sum(complete(t, schema) and reads_as_english(t) for t in texts), len(texts)


def main(argv: list[str]) -> int:
    if not argv:
        print("usage: python -m reviewgpt.testing.review_checks PREDICTIONS.jsonl ...", file=sys.stderr)
        return 2
    for path in argv:
        good, total = count_complete(Path(path))
        print(f"{path}: {good}/{total} complete English reviews")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
