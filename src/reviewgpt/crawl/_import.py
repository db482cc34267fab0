"""Import a PeerRead-layout folder (``reviews/<id>.json``, ``parsed_pdfs/<id>.pdf.json``) as crawl records.

PeerRead's JSON layout (also used by later corpora scraped from OpenReview, such as NeurIPS 2025
in djroytburg/10718peerread) keeps per paper its title, abstract, authors, keywords, ``accepted``
and a ``reviews`` list; each review has its text in ``comments`` and its scores in upper-case keys
(``RECOMMENDATION``, ``REVIEWER_CONFIDENCE``, ``CLARITY``, ``IMPACT``, ``ORIGINALITY``...). A review
with ``IS_META_REVIEW`` is the decision (``RECOMMENDATION``: "Accept (poster)").

Each review becomes a :class:`Reply` of kind ``review`` whose ``fields`` are its parts, cut at the
OpenReview form's headings (``SUMMARY:``, ``STRENGTHS AND WEAKNESSES:``, ``QUESTIONS:``,
``LIMITATIONS:`` ...) into the field names an API v2 crawl gives (``summary``,
``strengths_and_weaknesses``, ``questions``, ``limitations``, ``rating``, ``confidence`` ...), so
that later stages see one shape. A combined strengths-and-weaknesses part that reviewers split
themselves ("Strengths: ... Weaknesses: ...") becomes ``strengths`` and ``weaknesses``. A review
without those headings (older PeerRead venues) keeps its text as ``review``, as API v1 does.

A paper's Docling file is hard-linked (copied across file systems) into the PDF cache as
``<forum>.docling.json`` and named by ``docling_path``, where ``parse --parser docling`` finds it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from reviewgpt.config import dump_config
from reviewgpt.crawl.config import CrawlConfig
from reviewgpt.errors import ConfigError, RunFailedError
from reviewgpt.fsutil import replaced_on_success
from reviewgpt.logging import get_logger
from reviewgpt.progress import track
from reviewgpt.records.crawl import CrawledPaper, Reply, split_strengths_weaknesses
from reviewgpt.store import StageReport, StageRun, utc_now

log = get_logger(__name__)

#: Upper-case PeerRead score keys -> the field names an OpenReview crawl uses.
SCORE_KEYS = {
    "RECOMMENDATION": "rating",
    "REVIEWER_CONFIDENCE": "confidence",
    "CLARITY": "clarity",
    "IMPACT": "impact",
    "ORIGINALITY": "originality",
    "SOUNDNESS_CORRECTNESS": "soundness",
    "SUBSTANCE": "substance",
    "APPROPRIATENESS": "appropriateness",
    "MEANINGFUL_COMPARISON": "meaningful_comparison",
}

# A form heading: an upper-case line ending in a colon ("STRENGTHS AND WEAKNESSES:"). Only the
# headings in FORM_HEADINGS cut a review; a reviewer's own upper-case line stays in its part.
_HEADING = re.compile(r"(?m)^(?P<name>[A-Z][A-Z ,&/_\-]+):[ \t]*$")
FORM_HEADINGS = {
    "SUMMARY": "summary",
    "STRENGTHS AND WEAKNESSES": "strengths_and_weaknesses",
    "STRENGTHS": "strengths",
    "WEAKNESSES": "weaknesses",
    "QUESTIONS": "questions",
    "LIMITATIONS": "limitations",
    "DECISION": "decision",
    "COMMENT": "comment",
}


class MalformedPaperError(ValueError):
    """A review file that is not PeerRead's layout."""


def split_review_text(text: str) -> dict[str, str]:
    """A review's ``comments`` cut at the form's headings into ``{field: text}``.

    The first occurrence of each heading starts its part (a reviewer repeating "SUMMARY:" inside
    a part does not start a new one). Text before the first heading, or a text without any, is
    ``review``.
    """
    fields: dict[str, str] = {}
    cuts = []
    for match in _HEADING.finditer(text):
        name = FORM_HEADINGS.get(" ".join(match.group("name").split()))
        if name is not None and name not in fields and name not in (c[0] for c in cuts):
            cuts.append((name, match.start(), match.end()))
    if not cuts:
        return {"review": text.strip()} if text.strip() else {}
    head = text[: cuts[0][1]].strip()
    if head:
        fields["review"] = head
    for i, (name, _, end) in enumerate(cuts):
        stop = cuts[i + 1][1] if i + 1 < len(cuts) else len(text)
        body = text[end:stop].strip()
        if body:
            fields[name] = body
    combined = fields.get("strengths_and_weaknesses")
    if combined is not None and "strengths" not in fields and "weaknesses" not in fields:
        split = split_strengths_weaknesses(combined)
        if split is not None:  # the two parts take the combined one's place
            strengths, weaknesses = split
            parts = {"strengths": strengths, "weaknesses": weaknesses}
            fields = {
                new: value
                for name, text in fields.items()
                for new, value in (parts.items() if name == "strengths_and_weaknesses" else [(name, text)])
                if value
            }
    return fields


def _millis(date: Any) -> int | None:
    if not isinstance(date, str) or not date.strip():
        return None
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d %b %Y"):
        try:
            parsed = datetime.strptime(date.strip()[:19], fmt).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
        return int(parsed.timestamp() * 1000)
    return None


def _score(value: Any) -> Any:
    """Scores as given: ints stay ints, "4" becomes 4, text ("Accept (poster)") stays text."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return value


def reply_of(review: dict[str, Any], forum: str, index: int, venue_id: str) -> Reply:
    """One PeerRead review -> :class:`Reply` (``<forum>.review<index>`` or ``<forum>.decision<index>``)."""
    if not isinstance(review, dict):
        raise MalformedPaperError(f"review {index} is a {type(review).__name__}, not an object")
    comments = review.get("comments", "")
    if not isinstance(comments, str):
        raise MalformedPaperError(f"review {index}: comments is a {type(comments).__name__}, not text")
    fields: dict[str, Any] = split_review_text(comments)
    is_decision = bool(review.get("IS_META_REVIEW")) and str(review.get("TITLE", "")).lower().startswith("decision")
    if is_decision:
        kind, name = "decision", "Decision"
        recommendation = review.get("RECOMMENDATION")
        if "decision" not in fields and isinstance(recommendation, str):
            fields["decision"] = recommendation.strip()
    elif review.get("IS_META_REVIEW"):
        kind, name = "meta_review", "Meta_Review"
    else:
        kind, name = "review", "Official_Review"
    for key, field_name in SCORE_KEYS.items():
        if key in review and review[key] not in (None, "") and not (is_decision and key == "RECOMMENDATION"):
            fields[field_name] = _score(review[key])
    stamp = _millis(review.get("DATE"))
    return Reply(
        id=f"{forum}.{kind}{index}",
        kind=kind,  # type: ignore[arg-type]
        invitation=f"{venue_id}/-/{name}",
        signatures=[],
        cdate=stamp,
        tmdate=stamp,
        replyto=forum,
        fields=fields,
    )


def paper_of(data: Any, forum: str, venue_id: str) -> CrawledPaper:
    """One PeerRead review file's JSON -> :class:`CrawledPaper` (without its Docling link)."""
    if not isinstance(data, dict):
        raise MalformedPaperError(f"the file holds a {type(data).__name__}, not an object")
    if str(data.get("id", forum)) != forum:
        raise MalformedPaperError(f"its id {data.get('id')!r} is not its file name {forum!r}")
    reviews = data.get("reviews", [])
    if not isinstance(reviews, list):
        raise MalformedPaperError(f"reviews is a {type(reviews).__name__}, not a list")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip():
        raise MalformedPaperError("no title")
    replies = [reply_of(review, forum, i, venue_id) for i, review in enumerate(reviews)]
    decision = next((str(r.fields["decision"]) for r in replies if r.kind == "decision" and r.fields.get("decision")), None)
    accepted = data.get("accepted")
    if not isinstance(accepted, bool):
        accepted = decision.lower().startswith("accept") if decision else None
    authors = data.get("authors") or []
    keywords = data.get("keywords") or []
    conference = data.get("conference")
    return CrawledPaper(
        forum=forum,
        venue_id=venue_id,
        api_version=2,
        source="peerread",
        title=title.strip(),
        abstract=str(data.get("abstract") or "").strip(),
        authors=[str(a) for a in authors] if isinstance(authors, list) else [str(authors)],
        keywords=[str(k) for k in keywords] if isinstance(keywords, list) else [str(keywords)],
        venue=f"{conference} {decision}".strip() if isinstance(conference, str) and decision else conference,
        decision=decision,
        accepted=accepted,
        pdf_url=f"https://openreview.net/pdf?id={forum}",
        replies=sorted(replies, key=lambda r: (r.cdate or 0, r.id)),
        crawled_at=utc_now(),
    )


def _link(source: Path, target: Path) -> None:
    """Hard-link ``source`` to ``target`` (a copy across file systems); an existing target is replaced."""
    with replaced_on_success(target) as tmp:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copyfile(source, tmp)


def _docling_file(root: Path, forum: str) -> Path | None:
    for name in (f"{forum}.pdf.json", f"{forum}.json"):
        path = root / "parsed_pdfs" / name
        if path.is_file():
            return path
    return None


def import_peerread(cfg: CrawlConfig) -> StageReport:
    """Write the crawl records of a PeerRead-layout folder (see the module docstring).

    Raises:
        ConfigError: no ``path``, no ``reviews/`` folder under it, or not exactly one venue.
        RunFailedError: no paper could be imported.
    """
    if cfg.path is None:
        raise ConfigError("--source peerread needs --path DIR (a folder with reviews/<id>.json)")
    root = Path(cfg.path)
    review_dir = root / "reviews"
    if not review_dir.is_dir():
        raise ConfigError(f"--path {root}: no reviews/ folder (PeerRead layout: reviews/<id>.json, parsed_pdfs/<id>.pdf.json)")
    if len(cfg.venues) != 1:
        raise ConfigError("--source peerread imports one venue: give its id once with --venue (e.g. NeurIPS.cc/2025/Conference)")
    venue_id = cfg.venues[0]
    files = sorted(review_dir.glob("*.json"))
    if not files:
        raise ConfigError(f"--path {root}: reviews/ holds no .json files")
    cache = cfg.resolved_pdf_dir
    cache.mkdir(parents=True, exist_ok=True)
    with StageRun(cfg.data_dir, "crawl", cfg.version, params=dump_config(cfg)) as run:
        done = run.done_ids()
        written = texts = 0
        for file in track(files, len(files), f"import {root}"):
            forum = file.stem
            if forum in done:
                continue
            if cfg.limit is not None and written >= cfg.limit:
                break
            try:
                data = json.loads(file.read_text(encoding="utf-8"))
                paper = paper_of(data, forum, venue_id)
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, MalformedPaperError, ValidationError) as exc:
                run.fail(forum, "malformed-paper", f"{file}: {_short(exc)}")
                continue
            if cfg.pdfs:
                docling = _docling_file(root, forum)
                if docling is not None:
                    target = cache / f"{forum}.docling.json"
                    _link(docling, target)
                    paper.docling_path = str(target)
                    texts += 1
            run.append(paper)
            written += 1
        if run.counts["ok"] == 0:
            raise RunFailedError(f"--path {root}: no paper could be imported ({run.counts['failed']} malformed)")
        run.extra.update(
            venues={venue_id: {"source": "peerread", "path": str(root), "papers": written, "crawled_at": utc_now()}},
            full_texts=texts,
        )
    return run.report()


def _short(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        return f"{'.'.join(str(p) for p in first['loc'])}: {first['msg']}"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
