"""Configuration of the ``crawl`` stage (imports nothing heavy)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from reviewgpt.config import StageConfig

#: The public API hosts (openreview.tools.PROD_API_V1 / PROD_API_V2).
PUBLIC_API_V1 = "https://api.openreview.net"
PUBLIC_API_V2 = "https://api2.openreview.net"


class CrawlConfig(StageConfig):
    """Which venues to crawl from OpenReview, and how politely."""

    source: Literal["openreview", "peerread"] = Field(
        "openreview",
        description="Where papers come from: the OpenReview API, or 'peerread': a folder in PeerRead's layout "
        "(reviews/<id>.json, parsed_pdfs/<id>.pdf.json Docling texts) given as path, imported as one venue.",
    )
    path: Path | None = Field(None, description="With source peerread: the folder to import.")
    venues: list[str] = Field(
        default_factory=list,
        description="Venue ids such as ICLR.cc/2023/Conference. With since_last and none given: "
        "every venue of the previous crawl.",
    )
    since_last: bool = Field(
        False,
        description="Ask only for notes created or modified since each venue's previous crawl (the crawl "
        "LATEST, or --input) and merge them into its records, writing a new version.",
    )
    pdfs: bool = Field(
        True, description="Download each submission's PDF into <data_dir>/pdfs/<forum>.pdf (source peerread: link "
        "each paper's Docling text there as <forum>.docling.json)."
    )
    api: Literal["auto", "1", "2"] = Field(
        "auto", description="OpenReview API version: auto decides per venue from its group (v2 groups carry "
        "submission_name/domain content)."
    )
    baseurl: str = Field(PUBLIC_API_V1, description="API v1 base URL.")
    baseurl_v2: str = Field(PUBLIC_API_V2, description="API v2 base URL.")
    details: Literal["replies", "directReplies"] = Field(
        "replies",
        description="Which replies come with each submission: every note of its forum (replies, which "
        "includes author responses to reviews) or only direct replies to the submission.",
    )
    page_size: int = Field(1000, ge=1, le=1000, description="Notes per /notes request (the API's cap is 1000).")
    rate: float = Field(
        4.0, ge=0, description="Most requests per second to the API, PDFs included (0: no limit). "
        "4/s keeps a large crawl polite to the public server."
    )
    concurrency: int = Field(4, ge=1, le=32, description="PDF downloads at once.")
    retries: int = Field(
        6, ge=0, le=20, description="Retries of a request answered 429/5xx or cut off, with exponential backoff."
    )
    backoff: float = Field(
        1.0, ge=0, description="Backoff base in seconds: waits grow as backoff*2^n (Retry-After wins when sent)."
    )
    backoff_max: float = Field(60.0, ge=0, description="Longest wait between two retries, in seconds.")
    timeout: float = Field(60.0, gt=0, description="Seconds before one request is given up.")
    pdf_dir: Path | None = Field(None, description="Where PDFs go (default: <data_dir>/pdfs, shared by versions).")

    @model_validator(mode="after")
    def _check(self) -> CrawlConfig:
        for venue in self.venues:
            if not venue.strip() or venue != venue.strip() or " " in venue:
                raise ValueError(f"venue id {venue!r} is not a group id like ICLR.cc/2023/Conference")
        if len(set(self.venues)) != len(self.venues):
            raise ValueError("a venue is given twice")
        if self.source == "peerread":
            if self.path is None:
                raise ValueError("source peerread needs path: the folder holding reviews/<id>.json")
            if len(self.venues) != 1:
                raise ValueError("source peerread imports one venue: give its id once (e.g. NeurIPS.cc/2025/Conference)")
            if self.since_last:
                raise ValueError("since_last is for the OpenReview API; an import is rerun in full")
        elif self.path is not None:
            raise ValueError("path goes with source peerread")
        return self

    @field_validator("baseurl", "baseurl_v2")
    @classmethod
    def _check_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"{value!r} is not an http(s) URL")
        return value.rstrip("/")

    @property
    def resolved_pdf_dir(self) -> Path:
        return self.pdf_dir if self.pdf_dir is not None else self.data_dir / "pdfs"
