"""Fit one (instruction, paper, review) into the token budget, exactly as training counts it.

The review is protected: it is only ever shortened when it alone is over ``max_output_tokens``,
and then by whole points (every aspect header stays), never mid-sentence; a review whose one
remaining point is still over budget keeps that point cut at a sentence end, or is dropped, but
never becomes a target of bare headers. The paper gives way
first: its ``[CONTENT]`` is cut from the end at a paragraph, sentence or (failing those) word
boundary; ``[TITLE]``, ``[ABSTRACT]`` and ``[CAPTIONS]`` are kept. Only when the paper's head
alone is over budget are captions dropped from the last one back; a title and abstract that do
not fit drop the example.

Every count here goes through :mod:`reviewgpt.prompting` (``encode_example`` /
``encode_prompt`` / ``encode_output``), the same functions train masks with, so the numbers in a
dataset record are the numbers of tokens training sees.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from reviewgpt.prompting import encode_example, encode_output, encode_prompt, prompt_text
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, parse_review, render_review

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

CONTENT_HEADER = "[CONTENT]"
CAPTIONS_HEADER = "[CAPTIONS]"

#: A cut at a paragraph end is preferred when it loses at most this many characters more than
#: the best word-level cut; a sentence end likewise. Beyond that the finer boundary wins, so a
#: paper made of one long paragraph is not cut back to its abstract.
PARAGRAPH_SLACK_CHARS = 800
SENTENCE_SLACK_CHARS = 2000

#: a sentence end that also ends a line: a paragraph end, never a dangling heading
_PARAGRAPH_END = re.compile(r"[.!?][\"')\]]*(?=[ \t]*\n)")
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)")
_WORD_END = re.compile(r"\S(?=\s)")


@dataclass(frozen=True)
class Budget:
    """Token limits of one example (see :class:`reviewgpt.dataset.config.DatasetConfig`)."""

    max_input_tokens: int
    max_output_tokens: int
    max_total_tokens: int
    min_output_tokens: int = 0


@dataclass
class Fitted:
    """An example that fits its budget (a None text, from the process pool, means unchanged)."""

    paper: str | None
    review: str | None
    input_tokens: int
    output_tokens: int
    untruncated_input_tokens: int
    truncated: bool
    output_truncated: bool


@dataclass
class Dropped:
    """An example that cannot fit, or should not be kept, with the reason counted in stats.json."""

    reason: str
    detail: str


def fit_example(
    tokenizer: PreTrainedTokenizerBase,
    instruction: str,
    paper: str,
    review: str,
    budget: Budget,
    schema: str,
) -> Fitted | Dropped:
    """Count an example's tokens and cut it to ``budget`` when needed.

    Returns:
        :class:`Fitted` with exact counts (``input_tokens`` = the templated prompt, ``output_tokens``
        = the review with EOS), or :class:`Dropped` with a reason: ``review-too-short``,
        ``review-over-budget`` (not even one point's first sentence fits) or
        ``paper-head-over-budget``.
    """
    encoded = encode_example(tokenizer, instruction, paper, review)
    prompt_len, output_len = len(encoded.prompt_ids), len(encoded.output_ids)
    if output_len < budget.min_output_tokens:
        return Dropped("review-too-short", f"{output_len} review tokens < {budget.min_output_tokens}")
    output_truncated = False
    if output_len > budget.max_output_tokens:
        trimmed = trim_review(tokenizer, review, schema, budget.max_output_tokens)
        if trimmed is None:
            return Dropped(
                "review-over-budget",
                f"{output_len} review tokens; not even the first sentence of one point fits "
                f"{budget.max_output_tokens}",
            )
        review, output_len = trimmed
        output_truncated = True
    prompt_budget = min(budget.max_input_tokens, budget.max_total_tokens - output_len)
    untruncated = prompt_len
    truncated = False
    if prompt_len > prompt_budget:
        cut = cut_paper(tokenizer, instruction, paper, prompt_budget)
        if cut is None:
            return Dropped(
                "paper-head-over-budget",
                f"title and abstract alone are over the {prompt_budget}-token prompt budget",
            )
        paper, prompt_len = cut
        truncated = True
    return Fitted(paper, review, prompt_len, output_len, untruncated, truncated, output_truncated)


# ---------------------------------------------------------------------------- the review


def trim_review(
    tokenizer: PreTrainedTokenizerBase, review: str, schema: str, max_tokens: int
) -> tuple[str, int] | None:
    """Drop whole points until the review fits ``max_tokens``; every aspect header is kept.

    The last point of the aspect with the most points goes first, so each aspect keeps as
    many points as it can. The last point is never dropped (a target of bare headers teaches
    nothing): when it alone is over budget, its detail is cut at the last sentence end that
    fits (:func:`_cut_point`). Returns the review text and its token count, or None when not
    even that point's title and first sentence fit.
    """
    parsed = parse_review(review, schema)
    names = list(ASPECT_SCHEMAS.get(schema, ())) or list(parsed.aspects)
    aspects: dict[str, list[ReviewPoint]] = {name: list(parsed.aspects.get(name, [])) for name in names}
    for name, points in parsed.aspects.items():  # headers outside the schema stay too
        aspects.setdefault(name, list(points))
    order = list(aspects)
    render_schema = schema if schema in ASPECT_SCHEMAS else None

    def count(candidate: dict[str, list[ReviewPoint]]) -> tuple[str, int]:
        text = render_review(candidate, render_schema)
        return text, len(encode_output(tokenizer, text))

    while True:
        text, length = count(aspects)
        if length <= max_tokens:
            return text, length
        if sum(len(points) for points in aspects.values()) <= 1:
            break
        longest = max(order, key=lambda name: (len(aspects[name]), order.index(name)))
        aspects[longest].pop()
    last = next((name for name in order if aspects[name]), None)
    if last is None:
        return None
    return _cut_point(aspects, last, count, max_tokens)


#: where a point's detail may be cut: after a sentence end
_DETAIL_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")


def _cut_point(aspects: dict[str, list[ReviewPoint]], name: str, count, max_tokens: int) -> tuple[str, int] | None:
    """The review with the one point of ``name`` cut to its longest sentence prefix that fits.

    Returns None when not even the first sentence fits: the example is dropped, never written
    with an empty target.
    """
    point = aspects[name][0]
    ends = [m.end() for m in _DETAIL_SENTENCE_END.finditer(point.detail)]
    if not ends or ends[-1] < len(point.detail.rstrip()):
        ends.append(len(point.detail.rstrip()))  # text after the last sentence end counts as one more
    lo, hi, best = 0, len(ends) - 1, None  # binary search over sentence ends: longer never fits better
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = {**aspects, name: [ReviewPoint(title=point.title, detail=point.detail[: ends[mid]])]}
        text, length = count(candidate)
        if length <= max_tokens:
            best, lo = (text, length), mid + 1
        else:
            hi = mid - 1
    return best


# ---------------------------------------------------------------------------- the paper


def split_paper(paper: str) -> tuple[str, str]:
    """Split paper text into the head (through the ``[CONTENT]`` line) and the content.

    A text without a ``[CONTENT]`` header is all head.
    """
    at = paper.find(CONTENT_HEADER)
    if at < 0:
        return paper, ""
    end = at + len(CONTENT_HEADER)
    if paper.startswith("\n", end):
        end += 1
    return paper[:end], paper[end:]


def content_chars(paper: str) -> int:
    """Characters of real content after ``[CONTENT]`` (0 when the header is missing)."""
    return len(split_paper(paper)[1].strip())


def cut_paper(
    tokenizer: PreTrainedTokenizerBase, instruction: str, paper: str, prompt_budget: int
) -> tuple[str, int] | None:
    """Cut the paper so the templated prompt has at most ``prompt_budget`` tokens.

    Returns:
        The cut paper and its exact prompt token count, or None when the title and abstract
        (with no content and no captions) are already over budget.
    """
    head, content = split_paper(paper)

    def count(text: str) -> int:
        return len(encode_prompt(tokenizer, instruction, text))

    head_tokens = count(head)
    if head_tokens > prompt_budget:
        return _cut_captions(count, head, prompt_budget)
    if not content.strip():
        return head, head_tokens

    counted: dict[int, int] = {}  # content cut -> exact prompt tokens; each count is a full encode

    def fits(cut: int) -> bool:
        if cut not in counted:
            counted[cut] = count(head + content[:cut])
        return counted[cut] <= prompt_budget

    estimate = _estimate_content_chars(tokenizer, instruction, paper, len(head), prompt_budget)
    best_word = _largest_fitting(_ends(_WORD_END, content), estimate, fits)
    # Prefer a paragraph, then a sentence end, when it costs little content over the word cut.
    choice = best_word
    for pattern, slack in ((_PARAGRAPH_END, PARAGRAPH_SLACK_CHARS), (_SENTENCE_END, SENTENCE_SLACK_CHARS)):
        ends = _ends(pattern, content)
        i = bisect.bisect_right(ends, best_word) - 1
        if i >= 0 and best_word - ends[i] <= slack:
            choice = ends[i]
            break
    if not fits(choice):  # prefix counts are monotone but for a merge or two; fall back
        choice = best_word
    return head + content[:choice], counted[choice]


def _ends(pattern: re.Pattern[str], content: str) -> list[int]:
    """Cut positions (exclusive ends) where ``pattern`` matches, ascending, starting with 0."""
    return [0] + [m.end() for m in pattern.finditer(content)] + [len(content.rstrip())]


def _largest_fitting(ends: list[int], estimate: int, fits) -> int:
    """A position in ``ends`` that ``fits``: the last one at or before ``estimate`` when it fits.

    ``ends[0]`` (no content) always fits. The estimate comes from the tokens' own offsets, so
    the position just before it almost always fits and is taken at once (one check: at most a
    word's tokens of budget go unused). Otherwise a galloping search down and a bisection find
    the largest fitting one in O(log n) checks.
    """
    ends = sorted(set(ends))
    i = max(0, bisect.bisect_right(ends, estimate) - 1)
    if fits(ends[i]):
        return ends[i]
    hi, step = i, 1  # hi does not fit; gallop down to one that does
    lo = max(0, hi - step)
    while lo > 0 and not fits(ends[lo]):
        hi, step = lo, step * 2
        lo = max(0, hi - step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(ends[mid]):
            lo = mid
        else:
            hi = mid
    return ends[lo]


def _estimate_content_chars(
    tokenizer: PreTrainedTokenizerBase, instruction: str, paper: str, head_chars: int, prompt_budget: int
) -> int:
    """How many content characters fit, read off one tokenization with character offsets.

    The prompt is tokenized once; the tokens past the budget are taken from the end of the
    content, and the character where the last kept token ends is the estimate. Exactness
    comes from the checks in :func:`cut_paper`; this only makes them few.
    """
    prompt = prompt_text(tokenizer, instruction, paper)
    paper_at = prompt.find(paper)
    if paper_at < 0 or not getattr(tokenizer, "is_fast", False):
        return len(paper)  # a template that rewrites the text: search down from the whole content
    encoded = tokenizer(prompt, add_special_tokens=False, return_offsets_mapping=True)
    offsets = encoded["offset_mapping"]
    content_start = paper_at + head_chars
    content_end = paper_at + len(paper)
    starts = [start for start, _ in offsets]
    after_content = bisect.bisect_left(starts, content_end)
    first_content = bisect.bisect_left(starts, content_start)
    keep = after_content - (len(offsets) - prompt_budget)
    if keep <= first_content:
        return 0
    return max(0, offsets[keep - 1][1] - content_start)


def _cut_captions(count, head: str, prompt_budget: int) -> tuple[str, int] | None:
    """The head with captions dropped from the last one back until it fits; None if none fits."""
    at = head.find(CAPTIONS_HEADER)
    if at < 0:
        return None
    body_at = at + len(CAPTIONS_HEADER) + 1
    content_at = head.find(CONTENT_HEADER, body_at)
    content_at = len(head) if content_at < 0 else content_at
    lines = head[body_at:content_at].strip("\n").split("\n")
    tail = "\n\n" + head[content_at:] if content_at < len(head) else ""

    def with_captions(n: int) -> str:
        return head[:body_at] + "\n".join(lines[:n]) + tail

    if count(with_captions(0)) > prompt_budget:
        return None
    lo, hi = 0, len(lines)  # lo fits, hi does not (the full head is over budget)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(with_captions(mid)) <= prompt_budget:
            lo = mid
        else:
            hi = mid
    text = with_captions(lo)
    return text, count(text)
