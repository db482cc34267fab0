"""PDF downloads into the shared cache ``<data_dir>/pdfs/<forum>.pdf``.

Each download: retried on 429/5xx, cut-off transfers and connection errors with exponential
backoff (a Retry-After header wins), written to a temp file and renamed (readers never see half
a file), checked for the ``%PDF`` magic and an ``%%EOF`` trailer (a truncated file fails), and
hashed. A valid file already in the cache is not downloaded again.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import requests

from reviewgpt.crawl._client import RETRY_STATUSES, PoliteAdapter, RateLimiter, RequestStats
from reviewgpt.crawl.config import CrawlConfig
from reviewgpt.fsutil import write_bytes_atomic
from reviewgpt.logging import get_logger
from reviewgpt.retry import RetriesExhausted, RetryableError, RetryPolicy, call, retry_after_seconds
from reviewgpt.store import sha256_file

log = get_logger(__name__)

#: how far from the end the %%EOF marker may sit (some writers append a little after it)
_TAIL = 4096


class PdfError(Exception):
    """A PDF could not be downloaded or is not a complete PDF."""


@dataclass(frozen=True)
class PdfResult:
    path: Path
    sha256: str
    downloaded: bool


def check_pdf_bytes(data: bytes) -> None:
    """Raise :class:`PdfError` unless ``data`` starts like a PDF and ends with its ``%%EOF`` trailer."""
    if not data.startswith(b"%PDF-"):
        raise PdfError(f"not a PDF (starts with {data[:16]!r})")
    if b"%%EOF" not in data[-_TAIL:]:
        raise PdfError(f"truncated PDF ({len(data)} bytes, no %%EOF trailer)")


def is_valid_pdf_file(path: Path) -> bool:
    """A cached file counts as done when it has the magic and the trailer."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(5)
            fh.seek(max(0, size - _TAIL))
            tail = fh.read()
    except OSError:
        return False
    return head == b"%PDF-" and b"%%EOF" in tail


class PdfDownloader:
    """Downloads PDFs politely; safe to call from several threads.

    Args:
        cfg: retries, backoff, timeout and the cache folder.
        limiter: the crawl's shared rate limiter.
        stats: request counters (kind "pdf").
        headers: headers to send (the API client's User-Agent and token).
    """

    def __init__(self, cfg: CrawlConfig, limiter: RateLimiter, stats: RequestStats, headers: dict[str, str]):
        self.cfg = cfg
        self.pdf_dir = cfg.resolved_pdf_dir
        self.pdf_dir.mkdir(parents=True, exist_ok=True)
        self.session = requests.Session()
        adapter = PoliteAdapter(limiter, stats, "pdf", cfg.timeout, max_retries=0, pool_maxsize=cfg.concurrency + 2)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        self.headers["Accept"] = "application/pdf"
        # No jitter: the shared rate limiter already spreads the threads' requests.
        self._retry_policy = RetryPolicy(
            retries=cfg.retries, base_s=cfg.backoff, cap_s=cfg.backoff_max, jitter=(1.0, 1.0),
            retry_after_cap_s=max(cfg.backoff_max, 1.0),
        )

    def target(self, forum: str) -> Path:
        return self.pdf_dir / f"{forum}.pdf"

    def fetch(self, forum: str, url: str, *, force: bool = False) -> PdfResult:
        """Download ``url`` into the cache as ``<forum>.pdf`` unless a valid file is there already.

        Raises:
            PdfError: still failing after the retries, or not a complete PDF.
        """
        target = self.target(forum)
        if not force and is_valid_pdf_file(target):
            return PdfResult(target, sha256_file(target), downloaded=False)
        data = self._download(url)
        write_bytes_atomic(target, data)
        return PdfResult(target, hashlib.sha256(data).hexdigest(), downloaded=True)

    def _download(self, url: str) -> bytes:
        def log_retry(retry: int, exc: BaseException, delay: float) -> None:
            log.debug("PDF %s: %s; retry %d in %.2fs", url, exc, retry, delay)

        try:
            return call(lambda: self._download_once(url), self._retry_policy, log_retry)
        except RetriesExhausted as exc:
            raise PdfError(f"{exc.last} after {self.cfg.retries} retries ({url})") from None

    def _download_once(self, url: str) -> bytes:
        """One GET of ``url``: the PDF's bytes, :class:`RetryableError` for a passing failure, or PdfError."""
        try:
            response = self.session.get(url, headers=self.headers)
        except requests.exceptions.RequestException as exc:  # connection reset, cut-off body, timeout
            raise RetryableError(type(exc).__name__) from None
        if response.status_code in RETRY_STATUSES:
            raise RetryableError(f"HTTP {response.status_code}", retry_after_seconds(response.headers.get("Retry-After")))
        if response.status_code != 200:
            raise PdfError(f"HTTP {response.status_code} from {url}")
        data = response.content
        try:
            check_pdf_bytes(data)
        except PdfError as exc:
            if not data.startswith(b"%PDF-"):
                raise  # an HTML page or an error body: retrying will not help
            raise RetryableError(str(exc)) from None  # a PDF cut short
        return data

    def close(self) -> None:
        self.session.close()

