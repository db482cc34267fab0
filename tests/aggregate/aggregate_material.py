"""Crawl records for the aggregate tests, built from real review material in tests/fixtures.

The v1 notes and the PeerRead reviews are real; they are put in the crawl stage's record shape
(``CrawledPaper`` with ``replies[].kind``) the way the crawl stage normalises replies. The v2
paper is *constructed* in the shape of an ICLR 2024 API v2 review (``openreview.api.Note``
content fields, ``{"value": ...}`` wrappers removed as the crawl stage does), because no raw v2
review is in the fixtures.
"""

from __future__ import annotations

import json
from pathlib import Path

from reviewgpt.records import CrawledPaper, Reply
from reviewgpt.store import StageRun


def _kind_of_v1(invitation: str, signature: str) -> str:
    name = invitation.rsplit("/", 1)[-1]
    if name == "Official_Review":
        return "review"
    if name in ("Meta_Review", "Meta_review"):
        return "meta_review"
    if name == "Decision":
        return "decision"
    if signature.endswith("/Authors"):
        return "author_response"
    return "comment"


def v1_papers(fixtures_dir: Path) -> list[CrawledPaper]:
    """The two real NIPS 2018 workshop submissions with all their real replies."""
    raw = json.loads((fixtures_dir / "openreview/v1/erikbird_openreviewcrawler/example_output.json").read_text())
    papers = []
    for sub in raw[0]["submissions"]:
        replies = [
            Reply(
                id=note["id"], kind=_kind_of_v1(note["invitation"], note["signatures"][0]),
                invitation=note["invitation"], signatures=note["signatures"], cdate=note["cdate"],
                replyto=note["replyto"], fields=note["content"],
            )
            for note in sub["notes"]
        ]
        papers.append(CrawledPaper(
            forum=sub["forum"], venue_id="NIPS.cc/2018/Workshop/CDNNRIA", api_version=1, number=sub["number"],
            title=sub["content"]["title"], abstract=sub["content"]["abstract"], replies=replies,
        ))
    return papers


def peerread_paper(fixtures_dir: Path) -> CrawledPaper:
    """The real PeerRead ICLR 2017 paper 330 with its 11 replies."""
    raw = json.loads((fixtures_dir / "reviews/peerread_iclr2017/330.json").read_text())
    replies = []
    for i, r in enumerate(raw["reviews"]):
        who = r["OTHER_KEYS"]
        if r.get("RECOMMENDATION") is not None or "AnonReviewer" in who:
            kind = "review"
        elif who.endswith("pcs"):
            kind = "meta_review"  # the program chairs' written decision, with its Pros/Cons
        elif who == "(anonymous)":
            kind = "comment"
        else:
            kind = "author_response"
        fields = {"title": r["TITLE"], "review" if kind != "meta_review" else "metareview": r["comments"]}
        if r.get("RECOMMENDATION") is not None:
            fields["rating"] = str(r["RECOMMENDATION"])
            fields["confidence"] = str(r["REVIEWER_CONFIDENCE"])
        replies.append(Reply(id=f"pr330-{i}", kind=kind, invitation="ICLR.cc/2017/conference/-/review",
                             signatures=[who], cdate=i, fields=fields))
    return CrawledPaper(forum="peerread-330", venue_id="ICLR.cc/2017/conference", api_version=1,
                        title=raw["title"], abstract=raw["abstract"], replies=replies)


def sample_review_papers(fixtures_dir: Path) -> list[CrawledPaper]:
    """Each real one-line ICLR review of ReviewAdvisor's sample as one paper's only review."""
    lines = (fixtures_dir / "reviews/reviewadvisor/sample_review.txt").read_text().splitlines()
    return [
        CrawledPaper(forum=f"sample-{i}", venue_id="ICLR.cc/2019/Conference", api_version=1, title=f"sample {i}",
                     replies=[Reply(id=f"sample-{i}-r", kind="review", invitation="x/-/Official_Review",
                                    fields={"review": line})])
        for i, line in enumerate(lines) if line.strip()
    ]


def v2_paper() -> CrawledPaper:
    """Constructed from the shape of an ICLR 2024 (API v2) review note, wrappers removed."""
    strengths = (
        "1. The method is simple and the paper is well written and easy to follow.\n"
        "2. Extensive experiments on ImageNet and CIFAR-10 show consistent gains over strong baselines.\n"
        "3. The theoretical analysis of convergence is a novel contribution."
    )
    weaknesses = (
        "- The comparison with prior work is incomplete: LoRA and prefix tuning are missing as baselines.\n"
        "- The ablation on the number of layers is missing, so the source of the gains is unclear.\n"
        "- The computational cost is not reported; training time and memory should be compared."
    )
    weaknesses_2 = (
        "* Baselines: LoRA and prefix tuning baselines are missing from the comparison with prior work.\n"
        "* The writing of Section 3 is dense and the notation is inconsistent between equations 2 and 5."
    )
    fields_1 = {
        "summary": "This paper proposes a layer-wise adapter for fine-tuning vision transformers with fewer "
                   "parameters, and evaluates it on image classification benchmarks.",
        "soundness": "3 good", "presentation": "3 good", "contribution": "2 fair",
        "strengths": strengths, "weaknesses": weaknesses,
        "questions": "How does the method behave with larger models such as ViT-H? Could the authors report "
                     "the variance over random seeds?",
        "flag_for_ethics_review": ["No ethics review needed."],
        "rating": "6: marginally above the acceptance threshold",
        "confidence": "4: You are confident in your assessment, but not absolutely certain.",
        "code_of_conduct": "Yes",
    }
    fields_2 = {
        "summary": "The authors propose a parameter-efficient adapter for vision transformers and study it on "
                   "classification.",
        "soundness": "2 fair", "presentation": "2 fair", "contribution": "2 fair",
        "strengths": "The idea is simple and the results on CIFAR-10 are strong.",
        "weaknesses": weaknesses_2,
        "questions": "Please add the missing baselines. What is the memory overhead?",
        "rating": "5: marginally below the acceptance threshold", "confidence": "3: fairly confident",
    }
    replies = [
        Reply(id="rev1", kind="review", invitation="ICLR.cc/2024/Conference/Submission7/-/Official_Review",
              signatures=["ICLR.cc/2024/Conference/Submission7/Reviewer_ab12"], cdate=1, fields=fields_1),
        Reply(id="rev2", kind="review", invitation="ICLR.cc/2024/Conference/Submission7/-/Official_Review",
              signatures=["ICLR.cc/2024/Conference/Submission7/Reviewer_cd34"], cdate=2, fields=fields_2),
        Reply(id="resp1", kind="author_response", invitation="ICLR.cc/2024/Conference/Submission7/-/Official_Comment",
              cdate=3, fields={"comment": "We thank the reviewer. " * 40}),
        Reply(id="dec", kind="decision", invitation="ICLR.cc/2024/Conference/Submission7/-/Decision",
              cdate=4, fields={"decision": "Reject"}),
    ]
    return CrawledPaper(forum="v2paper", venue_id="ICLR.cc/2024/Conference", api_version=2,
                        title="Layer-wise adapters", replies=replies)


def write_crawl(data_dir: Path, papers: list[CrawledPaper], version: str = "fx") -> None:
    """Write ``papers`` as a finished crawl version (and LATEST) through the stage store."""
    with StageRun(data_dir, "crawl", version) as run:
        for paper in papers:
            run.append(paper)
