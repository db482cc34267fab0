"""Which API a venue lives on, and which queries list its submissions."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from reviewgpt.crawl._client import CrawlError, OpenReviewApi
from reviewgpt.crawl._normalize import note_invitation, unwrap


@dataclass
class Listing:
    """One query listing submissions; ``status`` marks what every note of it is ("withdrawn", "desk_rejected")."""

    query: dict[str, Any]
    status: str | None = None


@dataclass
class VenuePlan:
    """How to crawl one venue.

    Attributes:
        alternatives: groups of listings tried in order; the first group that lists any note is used
            (v1: Blind_Submission, else Submission; v2: the submission invitation, else content.venueid).
        extras: listings always crawled after (v1 withdrawn and desk-rejected submissions).
        feed_query: the query of every note of the venue, for ``--since-last``.
        venueids: v2 content.venueid values that mark a submission of this venue.
    """

    venue_id: str
    api_version: int
    alternatives: list[list[Listing]]
    extras: list[Listing] = field(default_factory=list)
    feed_query: dict[str, Any] = field(default_factory=dict)
    venueids: list[str] = field(default_factory=list)
    #: filled in by the crawl: the listings that found the submissions
    used: list[Listing] = field(default_factory=list)

    def status_of(self, note: dict[str, Any]) -> tuple[bool, str | None]:
        """Whether ``note`` is a submission of this venue (for the change feed), and its listing status."""
        if (note.get("forum") or note.get("id")) != note.get("id"):
            return False, None
        invitations = set(note.get("invitations") or []) | {note_invitation(note)}
        for listing in self.used or [li for group in self.alternatives for li in group] + self.extras:
            wanted = listing.query.get("invitation")
            if wanted and wanted in invitations:
                return True, listing.status
            venueid = (listing.query.get("content") or {}).get("venueid")
            if venueid and unwrap((note.get("content") or {}).get("venueid")) == venueid:
                return True, listing.status
        return False, None

    def to_state(self) -> dict[str, Any]:
        return {
            "api_version": self.api_version,
            "listings": [{"query": li.query, "status": li.status} for li in self.used],
            "feed_query": self.feed_query,
        }

    @classmethod
    def from_state(cls, venue_id: str, state: dict[str, Any]) -> VenuePlan:
        used = [Listing(li["query"], li.get("status")) for li in state.get("listings", [])]
        plan = cls(venue_id, int(state["api_version"]), alternatives=[used], feed_query=state.get("feed_query") or {})
        plan.used = used
        return plan


def is_v2_group(group: dict[str, Any]) -> bool:
    content = group.get("content") or {}
    return isinstance(content, dict) and ("submission_name" in content or "domain" in content)


def plan_v1(venue_id: str) -> VenuePlan:
    def inv(name: str) -> dict[str, Any]:
        return {"invitation": f"{venue_id}/-/{name}"}

    return VenuePlan(
        venue_id,
        1,
        alternatives=[[Listing(inv("Blind_Submission"))], [Listing(inv("Submission"))]],
        extras=[Listing(inv("Withdrawn_Submission"), "withdrawn"), Listing(inv("Desk_Rejected_Submission"), "desk_rejected")],
        # API v1 takes a regular expression for the invitation
        feed_query={"invitation": f"{venue_id}/.*"},
    )


def plan_v2(venue_id: str, group: dict[str, Any]) -> VenuePlan:
    content = {k: unwrap(v) for k, v in (group.get("content") or {}).items()}
    submission_name = content.get("submission_name") or "Submission"
    venueids = [venue_id] + [
        str(content[key])
        for key in ("rejected_venue_id", "withdrawn_venue_id", "desk_rejected_venue_id")
        if content.get(key)
    ]
    return VenuePlan(
        venue_id,
        2,
        alternatives=[
            [Listing({"invitation": f"{venue_id}/-/{submission_name}"})],
            [Listing({"content": {"venueid": v}}) for v in venueids],
        ],
        feed_query={"domain": venue_id},
        venueids=venueids,
    )


def resolve_venue(venue_id: str, api: str, get_api: Any) -> VenuePlan:
    """Find the venue and decide its API version (``api`` "auto", "1" or "2").

    Raises:
        CrawlError: the venue does not exist on the server; the message lists close matches.
    """
    if api in ("auto", "2"):
        group = get_api(2).get_group(venue_id)
        if group is not None and (api == "2" or is_v2_group(group)):
            return plan_v2(venue_id, group)
        if group is not None:
            return plan_v1(venue_id)
    if api in ("auto", "1"):
        if get_api(1).get_group(venue_id) is not None:
            return plan_v1(venue_id)
    raise CrawlError(_unknown_venue_message(venue_id, get_api(2 if api != "1" else 1)))


def _unknown_venue_message(venue_id: str, api: OpenReviewApi) -> str:
    try:
        known = api.venue_ids()
    except CrawlError:
        known = []
    lowered = {v.lower(): v for v in known}
    close = difflib.get_close_matches(venue_id.lower(), list(lowered), n=5, cutoff=0.6)
    close = [lowered[c] for c in close]
    hint = f"; close matches: {', '.join(close)}" if close else ""
    return f"unknown venue '{venue_id}' on {api.baseurl}{hint} (list them with: reviewgpt crawl --list-venues FILTER)"
