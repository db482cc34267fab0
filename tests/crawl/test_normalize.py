"""Notes -> records: reply kinds, v2 unwrapping, decisions, malformed notes."""

from __future__ import annotations

import pytest

from reviewgpt.crawl._normalize import (
    MalformedNoteError,
    build_paper,
    normalize_reply,
    note_invitation,
    reply_kind,
)
from reviewgpt.testing.openreview_server import v2_reply, v2_submission

V = "ICLR.cc/2024/Conference"


@pytest.mark.parametrize(
    ("invitation", "signatures", "kind"),
    [
        ("ICLR.cc/2019/Conference/Paper12/-/Official_Review", ["ICLR.cc/2019/Conference/Paper12/AnonReviewer1"], "review"),
        ("NIPS.cc/2018/Workshop/CDNNRIA/-/Paper36/Official_Review", ["x/Paper36/AnonReviewer5"], "review"),
        ("NIPS.cc/2018/Workshop/CDNNRIA/-/Paper36/Decision", ["NIPS.cc/2018/Workshop/CDNNRIA"], "decision"),
        ("ICLR.cc/2024/Conference/Submission3/-/Meta_Review", ["x/Submission3/Area_Chair_ab"], "meta_review"),
        ("ICLR.cc/2020/Conference/Paper3/-/Official_Comment", ["ICLR.cc/2020/Conference/Paper3/Authors"], "author_response"),
        ("ICLR.cc/2020/Conference/Paper3/-/Official_Comment", ["ICLR.cc/2020/Conference/Paper3/AnonReviewer2"], "comment"),
        ("NIPS.cc/2018/Workshop/CDNNRIA/-/Comment", ["~Harris_Teague1"], "comment"),
        ("NeurIPS.cc/2023/Conference/Submission9/-/Rebuttal", ["x/Submission9/Authors"], "author_response"),
        ("ICLR.cc/2024/Conference/Submission3/-/Ethics_Review", ["x/Ethics_Reviewer_a"], "other"),
        ("ICLR.cc/2024/Conference/Submission3/-/Withdrawal", ["x/Submission3/Authors"], "other"),
    ],
)
def test_reply_kind_from_invitation_and_signatures(invitation: str, signatures: list[str], kind: str) -> None:
    assert reply_kind(invitation, signatures) == kind


def test_v2_reply_is_unwrapped_and_rating_kept_as_given() -> None:
    raw = v2_reply(V, "f1", 3, "r1", "Official_Review", {"rating": "6: marginally above the acceptance threshold", "confidence": 4})
    reply = normalize_reply(raw)
    assert reply.kind == "review"
    assert reply.invitation == f"{V}/Submission3/-/Official_Review"  # not the venue-wide /-/Edit
    assert reply.fields == {"rating": "6: marginally above the acceptance threshold", "confidence": 4}


def test_v2_invitation_skips_edit() -> None:
    assert note_invitation({"invitations": [f"{V}/-/Edit", f"{V}/Submission1/-/Decision"]}) == f"{V}/Submission1/-/Decision"


@pytest.mark.parametrize(
    ("venueid", "accepted", "withdrawn"),
    [(V, True, False), (f"{V}/Rejected_Submission", False, False), (f"{V}/Withdrawn_Submission", False, True),
     (f"{V}/Desk_Rejected_Submission", False, False), (f"{V}/Submission", None, False)],
)
def test_v2_acceptance_from_venueid(venueid: str, accepted: bool | None, withdrawn: bool) -> None:
    note = v2_submission(V, "f1", 1, title="T", venueid=venueid)
    paper = build_paper(note, [], venue_id=V, api_version=2)
    assert (paper.accepted, paper.withdrawn) == (accepted, withdrawn)
    assert paper.title == "T" and paper.authors == ["Author 1"]


def test_decision_reply_wins_and_sets_accepted() -> None:
    note = v2_submission(V, "f1", 1, title="T", venueid=f"{V}/Submission")
    decision = normalize_reply(v2_reply(V, "f1", 1, "d1", "Decision", {"decision": "Reject"}))
    paper = build_paper(note, [decision], venue_id=V, api_version=2)
    assert paper.decision == "Reject" and paper.accepted is False


def test_malformed_notes_raise() -> None:
    with pytest.raises(MalformedNoteError):
        normalize_reply({"id": "x", "invitation": "a/-/Official_Review", "content": "not a mapping"})
    with pytest.raises(MalformedNoteError):
        normalize_reply({"invitation": "a/-/Official_Review", "content": {}})
    with pytest.raises(MalformedNoteError):
        build_paper({"id": "p", "content": {"title": {"nested": 1}}}, [], venue_id=V, api_version=1)
