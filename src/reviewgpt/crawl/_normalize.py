"""Raw OpenReview notes (API v1 and v2) -> :class:`CrawledPaper` / :class:`Reply` records.

Works on plain dicts (the JSON the API sends), so it needs neither openreview-py nor a server.
"""

from __future__ import annotations

from typing import Any

from reviewgpt.records.crawl import CrawledPaper, Reply, ReplyKind
from reviewgpt.store import utc_now


class MalformedNoteError(ValueError):
    """A note lacks what every note has (an id, a forum, an invitation, content as a mapping)."""


def unwrap(value: Any) -> Any:
    """API v2 wraps every content value as ``{"value": x, "readers": ...}``; return ``x``."""
    if isinstance(value, dict) and "value" in value:
        return value["value"]
    return value


def plain_content(content: Any, note_id: str) -> dict[str, Any]:
    """Content with v2 wrappers removed; values are kept as given ("6: marginally above ...")."""
    if content is None:
        return {}
    if not isinstance(content, dict):
        raise MalformedNoteError(f"note {note_id}: content is a {type(content).__name__}, not a mapping")
    return {key: unwrap(value) for key, value in content.items()}


def note_invitation(note: dict[str, Any]) -> str:
    """The invitation naming what a note is: v1 ``invitation``; v2 the first of ``invitations`` that is not
    the venue-wide ``/-/Edit`` (v2 replies carry ``[<venue>/Submission12/-/Official_Review, <venue>/-/Edit]``)."""
    if note.get("invitation"):
        return str(note["invitation"])
    invitations = [str(i) for i in note.get("invitations") or []]
    for invitation in invitations:
        if not invitation.endswith("/-/Edit"):
            return invitation
    return invitations[0] if invitations else ""


def _invitation_name(invitation: str) -> str:
    """``<venue>/Paper12/-/Official_Review`` and ``<venue>/-/Paper12/Official_Review`` -> ``official_review``."""
    return invitation.rsplit("/-/", 1)[-1].rsplit("/", 1)[-1].lower()


def reply_kind(invitation: str, signatures: list[str]) -> ReplyKind:
    """Classify a reply from its invitation name and who signed it."""
    name = _invitation_name(invitation)
    by_authors = any(s.endswith("/Authors") for s in signatures)
    if "meta_review" in name or "metareview" in name:
        return "meta_review"
    if "decision" in name:
        return "decision"
    if "rebuttal" in name or "author_response" in name or name in {"response", "author_comment"}:
        return "author_response"
    if "comment" in name:
        return "author_response" if by_authors else "comment"
    if name.endswith("review") and "ethics" not in name and "withdraw" not in name:
        return "review"
    return "other"


def normalize_reply(note: dict[str, Any]) -> Reply:
    """One reply note (v1 or v2) -> :class:`Reply`.

    Raises:
        MalformedNoteError: the note has no id or invitation, or its content is not a mapping.
    """
    note_id = note.get("id")
    if not note_id or not isinstance(note_id, str):
        raise MalformedNoteError("reply without an id")
    invitation = note_invitation(note)
    if not invitation:
        raise MalformedNoteError(f"reply {note_id} has no invitation")
    signatures = [str(s) for s in note.get("signatures") or []]
    return Reply(
        id=note_id,
        kind=reply_kind(invitation, signatures),
        invitation=invitation,
        signatures=signatures,
        cdate=note.get("cdate") or note.get("tcdate"),
        tmdate=note.get("tmdate") or note.get("mdate"),
        replyto=note.get("replyto"),
        fields=plain_content(note.get("content"), note_id),
    )


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # some venues kept keywords as one comma-separated string
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def decision_of(replies: list[Reply]) -> str | None:
    """The decision text of the last Decision reply ("Accept: poster", "Reject"), if any."""
    for reply in sorted(replies, key=lambda r: (r.cdate or 0, r.id), reverse=True):
        if reply.kind == "decision" and reply.fields.get("decision"):
            return str(reply.fields["decision"])
    return None


def accepted_from_decision(decision: str | None) -> bool | None:
    """True for "Accept ..." decisions, False for any other decision, None without one."""
    if not decision:
        return None
    return decision.strip().lower().startswith("accept")


def _accepted(decision: str | None, venueid: str, venue_id: str, withdrawn: bool) -> bool | None:
    """Whether the paper was accepted: from its decision, else (API v2) from ``content.venueid``."""
    if withdrawn:
        return False
    accepted = accepted_from_decision(decision)
    if venueid and accepted is None:
        if venueid == venue_id:
            return True
        if venueid.endswith(("Rejected_Submission", "Withdrawn_Submission")):
            return False
    return accepted


def build_paper(
    note: dict[str, Any],
    replies: list[Reply],
    *,
    venue_id: str,
    api_version: int,
    withdrawn: bool = False,
    pdf_url: str | None = None,
    crawled_at: str | None = None,
) -> CrawledPaper:
    """A submission note and its (normalised) replies -> :class:`CrawledPaper`.

    ``decision`` comes from the Decision reply; ``accepted`` from it, or for API v2 from
    ``content.venueid`` (the venue id itself: accepted; ``.../Rejected_Submission``,
    ``.../Withdrawn_Submission``, ``.../Desk_Rejected_Submission``: not).

    Raises:
        MalformedNoteError: no id, or content that is not a mapping.
    """
    forum = note.get("forum") or note.get("id")
    if not forum or not isinstance(forum, str):
        raise MalformedNoteError("submission without an id")
    content = plain_content(note.get("content"), forum)
    replies = sorted(replies, key=lambda r: (r.cdate or 0, r.id))
    decision = decision_of(replies)
    venueid = str(content.get("venueid") or "")
    withdrawn = withdrawn or venueid.endswith("Withdrawn_Submission")
    accepted = _accepted(decision, venueid, venue_id, withdrawn)
    title = content.get("title")
    if title is not None and not isinstance(title, str):
        raise MalformedNoteError(f"submission {forum}: title is a {type(title).__name__}")
    tldr = content.get("TL;DR") or content.get("TLDR") or content.get("tldr")
    venue = content.get("venue")
    return CrawledPaper(
        forum=forum,
        venue_id=venue_id,
        api_version=api_version,  # type: ignore[arg-type]
        number=note.get("number"),
        title=title or "",
        abstract=str(content.get("abstract") or ""),
        authors=_as_list(content.get("authors")),
        keywords=_as_list(content.get("keywords")),
        tldr=str(tldr) if tldr else None,
        venue=str(venue) if venue else None,
        decision=decision,
        accepted=accepted,
        withdrawn=withdrawn,
        pdf_url=pdf_url,
        replies=replies,
        cdate=note.get("cdate") or note.get("tcdate"),
        tmdate=note.get("tmdate") or note.get("mdate"),
        crawled_at=crawled_at or utc_now(),
    )


def replies_of(note: dict[str, Any]) -> list[dict[str, Any]]:
    """The raw replies the API attached to a submission (``details.replies`` or ``details.directReplies``)."""
    details = note.get("details") or {}
    replies = details.get("replies")
    if replies is None:
        replies = details.get("directReplies")
    return [r for r in replies or [] if isinstance(r, dict) and r.get("id") != note.get("id")]
