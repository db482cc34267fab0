"""The ``crawl`` stage: OpenReview submissions with their reviews (API v1 and v2) and their PDFs.

Writes ``<data_dir>/crawl/<version>/papers.jsonl`` (one :class:`~reviewgpt.records.crawl.CrawledPaper`
per submission) and PDFs into the shared cache ``<data_dir>/pdfs/<forum>.pdf``. See docs/crawl.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from reviewgpt.crawl.config import CrawlConfig
    from reviewgpt.store import StageReport


def run(cfg: CrawlConfig) -> StageReport:
    """Crawl ``cfg.venues`` (or, with ``since_last``, only what changed since the previous crawl).

    Raises:
        CrawlError: the API cannot be reached, keeps refusing, or a venue does not exist.
        StoreError: ``since_last`` names a previous version that does not exist.
        RunFailedError: an import (``source: peerread``) found no paper it could read.
    """
    if cfg.source == "peerread":
        from reviewgpt.crawl._import import import_peerread

        return import_peerread(cfg)
    from reviewgpt.crawl._crawler import crawl

    return crawl(cfg)


def list_venues(cfg: CrawlConfig, contains: str | None = None) -> list[str]:
    """The venue ids the server lists (API v2, else v1), those containing ``contains`` (any case)."""
    from reviewgpt.crawl._client import CrawlError, OpenReviewApi, RateLimiter, RequestStats

    limiter, stats = RateLimiter(cfg.rate), RequestStats()
    versions = [1] if cfg.api == "1" else [2] if cfg.api == "2" else [2, 1]
    for i, version in enumerate(versions):
        try:
            venues = OpenReviewApi(cfg, version, limiter, stats).venue_ids()
            break
        except CrawlError:
            if i == len(versions) - 1:
                raise
    needle = (contains or "").lower()
    return [v for v in venues if needle in v.lower()]


__all__ = ["list_venues", "run"]
