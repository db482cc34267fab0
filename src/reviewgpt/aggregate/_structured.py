"""The ``structured`` aggregator: rule-based, offline and free.

For each review:

1. **Sections.** Structured fields (v2: summary, strengths, weaknesses, questions...) are
   sections already. Free text (v1 ``review``, meta-reviews) is cut into sections at the cue
   phrases reviewers use: "Pros:", "Cons:", "Strengths", "Weaknesses", "Questions",
   "Minor comments", "Summary", "Post-rebuttal"...
2. **Points.** A section is split into bullet items (``-``, ``*``, ``+``, ``1.``, ``(a)``, also
   inline ``* a * b``), else into paragraphs; text without cues is split into runs of
   sentences of the same leaning (summary, positive, negative, suggestion).
3. **Aspects.** A point goes to the aspect its section (or, without one, its wording) points
   at: strengths -> reasons for acceptance, weaknesses -> reasons for rejection, questions and
   suggestions -> suggestions for improvement, listed contributions and the summary sentences
   that speak of novelty or significance -> significance and novelty (other summary sentences
   restate the paper and are left out; the 7-aspect schema keeps them as the paper's idea, and
   routes experiments, prior work and minor comments to their own aspects). A combined
   "strengths and weaknesses" field (NeurIPS 2025) is cut at the reviewer's own sub-headings.
4. **Titles.** The point's own heading ("Scalability: ...") or its first clause, cut to a few words.
5. **Merging.** Points of different reviewers in one aspect whose content words overlap
   (Dice >= ``merge_similarity``) become one; points most reviewers raised come first.

What it does worse than an LLM: it cannot paraphrase or summarise, so titles are the
reviewer's own first words rather than a crisp summary; it merges only points that share
wording, not the same idea said differently; a sentence whose leaning its word lists miss
lands in the wrong aspect; and it cannot tell a reviewer's claim that was later retracted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from reviewgpt.aggregate._selection import SourceReview
from reviewgpt.records.crawl import split_strengths_weaknesses
from reviewgpt.reviewtext import ASPECT_SCHEMAS, ReviewPoint, normalize_point

# Categories a section or sentence can have.
SUMMARY, POSITIVE, NEGATIVE, SUGGESTION, MINOR, NEUTRAL = "summary", "positive", "negative", "suggestion", "minor", "neutral"
#: A point the reviewer lists as the paper's contribution ("Key contributions:", a contributions field).
CONTRIBUTION = "contribution"

#: Structured field -> category.
FIELD_CATEGORY = {
    "summary": SUMMARY, "summary_of_the_paper": SUMMARY, "paper_summary": SUMMARY, "contribution": CONTRIBUTION,
    "contributions": CONTRIBUTION,
    "strengths": POSITIVE, "strong_points": POSITIVE, "pros": POSITIVE,
    "weaknesses": NEGATIVE, "weak_points": NEGATIVE, "cons": NEGATIVE, "concerns": NEGATIVE,
    "questions": SUGGESTION, "suggestions": SUGGESTION, "limitations": SUGGESTION,
    "questions_for_authors": SUGGESTION, "requested_changes": SUGGESTION,
    "minor_comments": MINOR, "typos": MINOR,
}

#: Cue phrases that open a section in free text, with the category they announce.
_CUES: list[tuple[str, str]] = [
    (r"(?:paper\s+)?summary(?:\s+of\s+(?:the\s+)?(?:paper|contributions?|review))?", SUMMARY),
    (r"(?:(?:main|key|major)\s+)?contributions?", CONTRIBUTION),
    (r"pros|strengths?|strong\s+points?|positives?|positive\s+aspects?|advantages?|reasons\s+to\s+accept", POSITIVE),
    (r"cons|weakness(?:es)?(?:\s+(?:and|&)\s+(?:limitations|concerns|questions))?|weak\s+points?|negatives?|negative\s+aspects?|disadvantages?|drawbacks?|"
     r"(?:main\s+|major\s+)?concerns?|limitations?|reasons\s+to\s+reject|major\s+(?:comments|issues|points)", NEGATIVE),
    (r"questions?(?:\s+(?:for|to)\s+(?:the\s+)?authors?)?|suggestions?(?:\s+for\s+improvement)?|"
     r"requested\s+changes|comments\s+to\s+(?:the\s+)?authors?|detailed\s+comments|additional\s+feedback", SUGGESTION),
    (r"minor(?:\s+(?:comments|issues|points|remarks|concerns))?|typos?|small\s+(?:comments|issues)|nitpicks?", MINOR),
    (r"overall|post[-\s]?rebuttal(?:\s+(?:comments|update))?|update\s+after\s+rebuttal|after\s+rebuttal|"
     r"conclusion|recommendation|other\s+comments|comments", NEUTRAL),
]
# A cue heading: at a line start (optionally numbered, bold, or "***"), then ":" / "-" / line end.
_CUE_RE = re.compile(
    r"(?im)^[ \t]*(?:[#*=\-]+[ \t]*)?(?:\d+[.)][ \t]*)?(?:\*\*)?(?P<cue>"
    + "|".join(f"(?:{pattern})" for pattern, _ in _CUES)
    + r")(?:\*\*)?[ \t]*(?:[:\-–：]|\n|$)"
)
# Inline cues ("... team. Pros: * Well written ... Cons: * ..."), only with a colon.
_INLINE_CUE_RE = re.compile(
    r"(?i)(?<=[.!?)\s])(?P<cue>pros|cons|strengths|weaknesses|questions|minor comments|"
    r"post[-\s]?rebuttal comments|summary)\s*:"
)
_BULLET_LINE = re.compile(r"^[ \t]*(?:[-*•+·]|\(?\d{1,2}[.)]|\(?[a-hA-H][.)]|\(?[ivx]{1,4}\))[ \t]+")
_INLINE_BULLET = re.compile(r"(?:^|\s)[*•]\s+")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")
_HEADED_POINT = re.compile(r"^(?P<head>[A-Z][^:.!?\n]{2,60}?):\s+(?P<rest>\S.*)$", re.DOTALL)
_WORD = re.compile(r"[a-z][a-z0-9\-]+")
# An item that is only a heading: ends in a colon, or is a few words without a full stop.
_SUBHEADING_ITEM = re.compile(r"^(?:[^.!?\n]{2,80}:|[A-Z][^.!?:\n]{2,70}?)\s*\**$")

_NEGATIVE_WORDS = re.compile(
    r"\b(however|concern(?:s|ed)?|weakness(?:es)?|weak|lack(?:s|ing)?|missing|limited|limitation|unclear|"
    r"not (?:clear|convincing|novel|new|enough|sufficient|well)|unconvincing|insufficient|incremental|marginal|"
    r"fail(?:s|ed)?|problem(?:s|atic)?|issue|disappoint(?:ed|ing)|downside|drawback|restrictive|too (?:small|few|limited)|"
    r"no comparison|does not|doesn't|did not|didn't|unfortunately|questionable|overclaim\w*|confusing|hard to follow|"
    r"difficult to follow|little novelty|offers little|only (?:slightly|marginally)|not entirely|unfair|flaw(?:s|ed)?|"
    r"poorly|trivial|straightforward|not surprising|unsurprising|not a new|nothing (?:other than|new)|"
    r"not particularly|main downside|not (?:support|justified)|overfit\w*|unfair comparison)\b",
    re.I,
)
_POSITIVE_WORDS = re.compile(
    r"\b(well[- ](?:written|motivated|organized|presented)|clearly written|novel|interesting|strong|impressive|"
    r"convincing|solid|extensive|thorough|elegant|efficient|important|significant(?:ly)?|appreciate[d]?|"
    r"nice(?:ly)?|good|clear|easy to (?:follow|read)|compelling|promising|outperforms?|timely|original(?:ity)?|"
    r"encouraging|useful|valuable|insightful|worthy|should be accepted|recommend accept\w*)\b",
    re.I,
)
_SUGGESTION_WORDS = re.compile(
    r"\b(should|suggest(?:ion)?s?|recommend|would (?:be|like|have liked|help)|could|consider|encourage|please|"
    r"it would|i'd like|might want|need(?:s)? to)\b",
    re.I,
)
_STRONG_SUGGESTION = re.compile(
    r"\b(it would be (?:useful|nice|good|interesting|helpful|great|better|important)|would like to see|"
    r"i'd like to see|i would suggest|i suggest|i recommend (?:that|the authors)|the authors should|should (?:also )?"
    r"(?:compare|include|discuss|add|provide|report|clarify|explain|cite|consider)|would have been (?:nice|interesting|good))\b",
    re.I,
)
_CONCESSIVE = re.compile(r"^(?:overall,?\s*)?(?:while|although|though|even though|despite|in spite of)\b[^,]*,\s*", re.I)
_SUMMARY_START = re.compile(
    r"^(?:in )?(?:this|the) (?:paper|work|submission|manuscript|article)\b|^the authors?\b|^(?:they|it) (?:propose|present)",
    re.I,
)
_SUMMARY_VERB = re.compile(r"\b(propos|present|introduc|investigat|stud|describ|address|consider|develop|explor)\w*", re.I)
_NOVELTY_WORDS = re.compile(r"\b(novel\w*|originality|original|new idea|significance|significant contribution|contributions?|first to)\b", re.I)
_PRIOR_WORK_WORDS = re.compile(r"\b(prior|previous(?:ly)?|existing|related work|et al|compared (?:to|with)|unlike|extension of|similar to|literature)\b", re.I)
_EXPERIMENT_WORDS = re.compile(r"\b(experiment\w*|results?|empirical\w*|benchmark\w*|baselines?|ablations?|dataset\w*|evaluat\w*|accuracy|table \d|figure \d|outperform\w*)\b", re.I)
_MINOR_WORDS = re.compile(r"\b(typos?|grammar|spelling|minor|formatting|notation)\b", re.I)
_BOILERPLATE = re.compile(
    r"^(?:n/?a|none|no|nothing|-+|see above|see (?:weaknesses|the weaknesses)(?: section)?|no (?:further |other |additional )?"
    r"(?:questions|comments|limitations)|not applicable|yes|overall score[^.]*|confidence of review[^.]*)\.?$",
    re.I,
)
_SCORE_LINE = re.compile(r"(?im)^\s*(?:overall score|confidence(?: of review)?|rating|score)\s*:\s*[\d./ ]+\s*$")

_STOPWORDS = frozenset(
    "a an the of and or to in on for with by at from as is are was were be been being this that these those it its "
    "their they them we our i my you your he she his her which who whom what when where how why not no nor so than "
    "then there here also very more most much many some any each other such only just can could would should will "
    "may might must do does did done has have had having paper authors author work method approach proposed".split()
)
_TRAILING = frozenset(
    "a an the of and or to in on for with by at from as is are was were be that which this its their based using "
    "than into about over between we i it not only also very so can could would should has have had".split()
)
_LEADING = re.compile(
    r"^(?:(?:however|also|additionally|in addition|moreover|furthermore|finally|first(?:ly)?|second(?:ly)?|third(?:ly)?|"
    r"lastly|overall|in general|on the other hand|that said|besides|further|and|but|so|thus|i think|i believe|"
    r"i feel|i would say|in my opinion|it seems that|it is|there is|there are|the paper|this paper|in this paper|"
    r"in a nutshell|in short|to summarize|in summary|for this reason|for the same reason|on the other hand|"
    r"the authors|the main idea is to|the main idea is that)\b[,:]?\s*)+",
    re.I,
)

TITLE_MAX_WORDS = 8
MIN_POINT_WORDS = 2
_LONG_PARAGRAPH_WORDS = 90


@dataclass
class _Point:
    """A candidate point: its text, the category it came with, and who raised it."""

    text: str
    category: str
    reviewers: set[str] = field(default_factory=set)
    words: frozenset[str] = frozenset()


# ---------------------------------------------------------------------------- splitting


def _cue_category(cue: str) -> str:
    cue = " ".join(cue.lower().split())
    for pattern, category in _CUES:
        if re.fullmatch(pattern, cue, re.I):
            return category
    return NEUTRAL


def split_sections(text: str, default: str | None = None) -> list[tuple[str | None, str]]:
    """Cut free text at cue headings into ``(category, body)``; text before any cue keeps ``default``."""
    text = _SCORE_LINE.sub("", text)
    text = _INLINE_CUE_RE.sub(lambda m: "\n" + m.group("cue") + ":\n", text)
    sections: list[tuple[str | None, str]] = []
    last_end, last_category = 0, default
    for match in _CUE_RE.finditer(text):
        before = text[last_end:match.start()].strip()
        if before:
            sections.append((last_category, before))
        last_end, last_category = match.end(), _cue_category(match.group("cue"))
    rest = text[last_end:].strip()
    if rest:
        sections.append((last_category, rest))
    return sections


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]


def _items(body: str) -> list[str]:
    """Bullet items of a section, else its paragraphs (long ones cut into 2-3 sentence runs)."""
    flat = " ".join(body.split())
    if len(_INLINE_BULLET.findall(flat)) >= 2 and body.count("\n") < 2:  # "Pros: * a * b * c" on one line
        return [p.strip() for p in _INLINE_BULLET.split(flat) if p.strip()]
    lines = body.splitlines()
    if sum(1 for line in lines if _BULLET_LINE.match(line)) >= 1:
        items: list[str] = []
        for line in lines:
            if _BULLET_LINE.match(line):
                items.append(_BULLET_LINE.sub("", line, count=1))
            elif line.strip() and items:
                items[-1] += " " + line.strip()
            elif line.strip():
                items.append(line.strip())
        return [" ".join(i.split()) for i in items if i.strip()]
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", body) if p.strip()]
    out: list[str] = []
    for paragraph in paragraphs:
        if len(paragraph.split()) <= _LONG_PARAGRAPH_WORDS:
            out.append(paragraph)
            continue
        run: list[str] = []
        for sentence in _sentences(paragraph):
            run.append(sentence)
            if sum(len(s.split()) for s in run) >= _LONG_PARAGRAPH_WORDS // 2:
                out.append(" ".join(run))
                run = []
        if run:
            out.append(" ".join(run))
    return out


def classify(sentence: str, position: int = 99) -> str:
    """The leaning of one sentence of uncued text."""
    if _SUMMARY_START.search(sentence) and _SUMMARY_VERB.search(sentence) and position < 3:
        return SUMMARY
    if sentence.rstrip().endswith("?") or _STRONG_SUGGESTION.search(sentence):
        return SUGGESTION
    sentence = _CONCESSIVE.sub("", sentence)  # "While X is nice, Y is missing": Y carries the judgement
    negative = len(_NEGATIVE_WORDS.findall(sentence))
    positive = len(_POSITIVE_WORDS.findall(sentence))
    if _SUGGESTION_WORDS.search(sentence) and negative <= 1 and positive == 0:
        return SUGGESTION
    if _MINOR_WORDS.search(sentence) and positive == 0:
        return MINOR
    if negative > positive or (negative and re.match(r"^\s*(?:however|but|unfortunately)\b", sentence, re.I)):
        return NEGATIVE
    if positive > negative:
        return POSITIVE
    if _SUMMARY_VERB.search(sentence) and position < 3:
        return SUMMARY
    return NEUTRAL


def _runs(text: str) -> list[tuple[str, str]]:
    """Uncued text -> runs of consecutive sentences with one leaning (neutral ones join the run)."""
    runs: list[tuple[str, list[str]]] = []
    position = 0
    for paragraph in re.split(r"\n\s*\n", text):
        for sentence in _sentences(paragraph):
            category = classify(sentence, position)
            position += 1
            if runs and runs[-1][1] and (category == NEUTRAL or category == runs[-1][0]) and len(runs[-1][1]) < 4:
                runs[-1][1].append(sentence)
            elif runs and runs[-1][0] == NEUTRAL and runs[-1][1] and len(runs[-1][1]) < 4:
                runs[-1] = (category, [*runs[-1][1], sentence])  # context sentences join the judgement they lead to
            else:
                runs.append((category, [sentence]))
        if runs:  # a paragraph break ends a run
            runs.append(("", []))
    return [(category, " ".join(sents)) for category, sents in runs if sents]


def _attach_subheadings(items: list[str]) -> list[str]:
    """Items that are only a heading ("Theoretical characterization:", "Narrow empirical scope")
    head the item after them ("Narrow empirical scope: Evaluations are limited to ..."), or go
    when that item has a heading of its own; one at the end goes."""
    out: list[str] = []
    pending: str | None = None
    for item in items:
        if pending is not None and not _HEADED_POINT.match(item):
            item = f"{pending}: {item}"
        pending = None
        if _SUBHEADING_ITEM.match(item):
            pending = item.rstrip(" :*")
            continue
        out.append(item)
    return out


def _field_sections(name: str, text: str) -> list[tuple[str | None, str]]:
    """``(category, body)`` parts of one review field."""
    if name in ("strengths_and_weaknesses", "strength_and_weaknesses"):
        split = split_strengths_weaknesses(text)
        if split is not None:  # the reviewer's own "Strengths:" / "Weaknesses:" headings
            return [(category, body) for category, body in zip((POSITIVE, NEGATIVE), split, strict=True) if body.strip()]
    return split_sections(text, default=FIELD_CATEGORY.get(name))


def points_of(review: SourceReview) -> list[_Point]:
    """All candidate points of one review with their categories."""
    points: list[_Point] = []
    for name, text in review.sections.items():
        for category, body in _field_sections(name, text):
            if category is None:  # free text with no cue: classify sentence by sentence
                points.extend(_Point(t, c) for c, t in _runs(body))
            else:
                points.extend(_Point(item, category) for item in _attach_subheadings(_items(body)))
    kept = []
    for point in points:
        text = point.text.strip(" -*•\t")
        if len(text.split()) < MIN_POINT_WORDS or _BOILERPLATE.match(text):
            continue
        point.text = text
        point.reviewers = {review.id}
        point.words = _content_words(text)
        kept.append(point)
    return kept


# ---------------------------------------------------------------------------- aspects, titles, merging


def aspect_of(point: _Point, schema: str) -> str | None:
    """The aspect a point belongs to in ``schema`` (None: drop it, e.g. neutral filler)."""
    names = ASPECT_SCHEMAS[schema]
    category, text = point.category, point.text
    if category == NEUTRAL:
        category = classify(text)
        if category == NEUTRAL:
            return names[-1] if schema == "7-aspect" else None
    if schema == "4-aspect":
        significance, accept, reject, improve = names
        if category == CONTRIBUTION:
            return significance
        if category == SUMMARY:  # a summary restates the paper: significance only where it says so
            return significance if _NOVELTY_WORDS.search(text) else None
        if category == POSITIVE:
            return significance if _NOVELTY_WORDS.search(text) and not _EXPERIMENT_WORDS.search(text) else accept
        if category == NEGATIVE:
            return reject
        return improve  # suggestions, questions, minor comments
    idea, differences, results, accept, reject, improve, other = names
    if category in (SUMMARY, CONTRIBUTION):
        if _PRIOR_WORK_WORDS.search(text):
            return differences
        return results if _EXPERIMENT_WORDS.search(text) and not _SUMMARY_START.search(text) else idea
    if category in (POSITIVE, NEGATIVE) and _PRIOR_WORK_WORDS.search(text) and _NOVELTY_WORDS.search(text):
        return differences
    if category == POSITIVE:
        return accept
    if category == NEGATIVE:
        return reject
    if category == MINOR:
        return other
    return improve


def _content_words(text: str) -> frozenset[str]:
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or len(word) < 3:
            continue
        for suffix in ("ing", "ed", "es", "s", "ly"):  # a light stemmer: enough to match "comparisons"/"comparison"
            if word.endswith(suffix) and len(word) - len(suffix) >= 4:
                word = word[: -len(suffix)]
                break
        words.add(word)
    return frozenset(words)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def make_title(text: str) -> tuple[str, str]:
    """(short title, detail) of a point: its own heading, or its first clause cut to a few words."""
    headed = _HEADED_POINT.match(text)
    if headed and len(headed.group("head").split()) <= TITLE_MAX_WORDS:
        return headed.group("head").strip(), headed.group("rest").strip()
    first = _sentences(text)[0] if _sentences(text) else text
    first = _LEADING.sub("", _CONCESSIVE.sub("", first)).strip() or first
    clause = re.split(r"[,;:(]|\s+(?:because|which|since|while|whereas|but|as it|so that|although|though)\s+", first)[0]
    words = clause.split() if len(clause.split()) >= 3 else first.split()
    words = words[:TITLE_MAX_WORDS]
    while len(words) > 2 and words[-1].lower().strip(".,;:") in _TRAILING:
        words.pop()
    title = " ".join(words).strip(" .,;:-")
    title = title[:1].upper() + title[1:]
    detail = text if len(text.split()) > len(title.split()) else ""
    return title, detail


def _merge(points: list[_Point], threshold: float) -> list[_Point]:
    """Merge near-duplicate points of different reviewers; most-raised first, then first-raised."""
    merged: list[_Point] = []
    for point in points:
        best, best_score = None, 0.0
        for candidate in merged:
            if candidate.reviewers & point.reviewers:
                continue  # one reviewer's points are distinct by construction
            score = _dice(candidate.words, point.words)
            if score > best_score:
                best, best_score = candidate, score
        if best is not None and best_score >= threshold:
            best.reviewers |= point.reviewers
            if len(point.text) > len(best.text):  # keep the fuller wording
                best.text, best.words = point.text, best.words | point.words
            else:
                best.words = best.words | point.words
        else:
            merged.append(_Point(point.text, point.category, set(point.reviewers), point.words))
    order = {id(p): i for i, p in enumerate(merged)}
    return sorted(merged, key=lambda p: (-len(p.reviewers), order[id(p)]))


def aggregate_structured(
    reviews: list[SourceReview], schema: str, *, max_points: int = 10, merge_similarity: float = 0.5
) -> dict[str, list[ReviewPoint]]:
    """Merge reviews into ``{aspect: [points]}`` for every aspect of ``schema`` (some maybe empty)."""
    by_aspect: dict[str, list[_Point]] = {name: [] for name in ASPECT_SCHEMAS[schema]}
    for review in reviews:
        for point in points_of(review):
            aspect = aspect_of(point, schema)
            if aspect is not None:
                by_aspect[aspect].append(point)
    aspects: dict[str, list[ReviewPoint]] = {}
    for name, points in by_aspect.items():
        chosen = _merge(points, merge_similarity)[:max_points]
        aspects[name] = [normalize_point(*make_title(p.text)) for p in chosen]
    return aspects
