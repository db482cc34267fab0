"""The openreview-py clients, made polite and quiet: one request rate for all, counted requests,
tuned retries, a timeout, and errors turned into one clear line.

openreview-py retries 429/5xx itself through urllib3 (8 tries, up to 120 s apart, printing each
one). We remount its session with our own :class:`_LoggedRetry` (``retries``/``backoff`` from the
config, Retry-After honoured, logged through our logger) behind a :class:`PoliteAdapter` that
spaces requests by the configured rate and adds a timeout.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from reviewgpt.crawl.config import CrawlConfig
from reviewgpt.errors import ReviewGPTError
from reviewgpt.logging import get_logger

log = get_logger(__name__)

T = TypeVar("T")
RETRY_STATUSES = (429, 500, 502, 503, 504)


class CrawlError(ReviewGPTError):
    """The OpenReview API cannot be reached, keeps refusing, or says the venue does not exist."""


class RateLimiter:
    """Spaces requests at most ``rate`` per second across threads (0: no limit)."""

    def __init__(self, rate: float):
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next)
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)


class RequestStats:
    """Counts requests by kind ("api" or "pdf"), thread-safe; the last status seen per thread."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._local = threading.local()

    def add(self, kind: str) -> None:
        with self._lock:
            self.counts[kind] += 1

    @property
    def last_status(self) -> int | None:
        return getattr(self._local, "status", None)

    @last_status.setter
    def last_status(self, status: int | None) -> None:
        self._local.status = status


class _LoggedRetry(Retry):
    """urllib3's Retry, logging each retry through reviewgpt's logger instead of print().

    Kept instead of :mod:`reviewgpt.retry`: openreview-py's session retries inside urllib3, below
    any call we could wrap, so its own Retry class is the place to tune.
    """

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):  # noqa: ANN001
        cause = f"HTTP {response.status}" if response is not None else f"{type(error).__name__}"
        log.info("retrying %s %s after %s", method, (url or "").split("?", 1)[0], cause)
        return super().increment(method, url, response, error, _pool, _stacktrace)


class PoliteAdapter(HTTPAdapter):
    """An HTTPAdapter that waits its turn (rate limit), counts requests and sets a default timeout."""

    def __init__(self, limiter: RateLimiter, stats: RequestStats, kind: str, timeout: float, **kwargs: Any):
        self.limiter = limiter
        self.stats = stats
        self.kind = kind
        self.timeout = timeout
        super().__init__(**kwargs)

    def send(self, request, **kwargs):  # noqa: ANN001, ANN201 - requests' signature
        self.limiter.wait()
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.timeout
        self.stats.add(self.kind)
        response = super().send(request, **kwargs)
        self.stats.last_status = response.status_code
        return response


def make_retry(cfg: CrawlConfig) -> Retry:
    return _LoggedRetry(
        total=cfg.retries,
        connect=min(cfg.retries, 2),
        read=cfg.retries,
        status=cfg.retries,
        backoff_factor=cfg.backoff,
        backoff_max=cfg.backoff_max,
        status_forcelist=RETRY_STATUSES,
        raise_on_status=False,  # the client turns the last answer into an OpenReviewException
        respect_retry_after_header=True,
    )


class OpenReviewApi:
    """One API version's client with the crawler's policies, and the few reads the crawler makes.

    Args:
        cfg: the crawl config (base URLs, rate, retries, timeout).
        version: 1 (``openreview.Client``) or 2 (``openreview.api.OpenReviewClient``).
        limiter: shared by every client and the PDF downloads, so the rate holds overall.
        stats: request counters.
    """

    def __init__(self, cfg: CrawlConfig, version: int, limiter: RateLimiter, stats: RequestStats):
        import openreview

        self.cfg = cfg
        self.version = version
        self.baseurl = cfg.baseurl if version == 1 else cfg.baseurl_v2
        self.stats = stats
        cls = openreview.Client if version == 1 else openreview.api.OpenReviewClient
        # Guest access unless OPENREVIEW_USERNAME/OPENREVIEW_PASSWORD are set; the client reads them
        # itself, and neither is logged here.
        self.client = self._call(lambda: cls(baseurl=self.baseurl), "connect")
        adapter = PoliteAdapter(limiter, stats, "api", cfg.timeout, max_retries=make_retry(cfg), pool_maxsize=32)
        self.client.session.mount("http://", adapter)
        self.client.session.mount("https://", adapter)

    # -- errors

    def _call(self, fn: Callable[[], T], what: str) -> T:
        """Run one client call; turn its failures into a :class:`CrawlError` naming host and cause."""
        from openreview import OpenReviewException

        try:
            return fn()
        except OpenReviewException as exc:
            info = exc.args[0] if exc.args else {}
            message = info.get("message") if isinstance(info, dict) else str(info)
            status = (info.get("status") if isinstance(info, dict) else None) or self.stats.last_status
            if status in RETRY_STATUSES:
                raise CrawlError(
                    f"the OpenReview API at {self.baseurl} kept refusing ({what}): HTTP {status} after "
                    f"{self.cfg.retries} retries. Wait and rerun with the same --version to resume "
                    f"(finished papers are kept), or lower the rate (--rate)"
                ) from None
            raise CrawlError(f"OpenReview API {self.baseurl} ({what}): {message}") from None
        except requests.exceptions.RequestException as exc:
            raise CrawlError(
                f"cannot reach the OpenReview API at {self.baseurl} ({what}): {type(exc).__name__}; "
                f"check --baseurl/--baseurl-v2 and the network"
            ) from None

    @staticmethod
    def _is_not_found(exc: Exception) -> bool:
        info = exc.args[0] if exc.args else {}
        return isinstance(info, dict) and (info.get("status") == 404 or info.get("name") == "NotFoundError")

    # -- reads

    def get_group(self, group_id: str) -> dict[str, Any] | None:
        """The group as a dict (``id``, ``content``, ``members`` ...), or None when it does not exist."""
        from openreview import OpenReviewException

        def fetch() -> dict[str, Any] | None:
            try:
                group = self.client.get_group(group_id)
            except OpenReviewException as exc:
                if self._is_not_found(exc):
                    return None
                raise
            return {k: v for k, v in vars(group).items() if not k.startswith("_")}

        return self._call(fetch, f"group {group_id}")

    def venue_ids(self) -> list[str]:
        """Every venue id the server lists: the ``venues`` group's members, else ``/venues``."""
        group = self.get_group("venues")
        if group and group.get("members"):
            return sorted(str(m) for m in group["members"])
        venues = self._call(self.client.get_venues, "venues")
        return sorted(str(v.get("id") if isinstance(v, dict) else v) for v in venues)

    def count_notes(self, **query: Any) -> int:
        _, total = self._call(lambda: self.client.get_notes(limit=1, with_count=True, **query), "count notes")
        return int(total)

    def iter_pages(self, **query: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        """Pages of notes matching ``query``, id-ordered, as raw dicts, each with the total count.

        Keyset pagination (``after`` = the last id) as openreview.tools.efficient_iterget does, but
        lazily: a page is yielded before the next is asked for, so its papers are written before a
        later request fails. It stops once ``count`` notes came (no trailing empty request) and works
        whatever page size the server caps ``limit`` to.
        """
        limit = self.cfg.page_size
        notes, total = self._call(
            lambda: self.client.get_notes(limit=limit, sort="id", with_count=True, **query), "list notes"
        )
        seen = 0
        while notes:
            seen += len(notes)
            yield int(total), [_note_dict(n) for n in notes]
            if seen >= total:
                return
            after = notes[-1].id
            notes = self._call(
                lambda after=after: self.client.get_notes(limit=limit, sort="id", after=after, **query), "list notes"
            )

    def changed_since(self, watermark: int, **query: Any) -> list[dict[str, Any]]:
        """Notes matching ``query`` whose tmdate >= ``watermark``: newest first, paged until older ones."""
        limit = self.cfg.page_size
        changed: list[dict[str, Any]] = []
        offset = 0
        while True:
            page = self._call(
                lambda offset=offset: self.client.get_notes(limit=limit, offset=offset, sort="tmdate:desc", **query),
                "list changed notes",
            )
            notes = [_note_dict(n) for n in page]
            changed.extend(n for n in notes if (n.get("tmdate") or 0) >= watermark)
            if not notes or (notes[-1].get("tmdate") or 0) < watermark:
                return changed
            offset += len(notes)

    def get_forum(self, forum: str) -> dict[str, Any] | None:
        notes = self._call(lambda: self.client.get_notes(id=forum, details=self.cfg.details), f"note {forum}")
        return _note_dict(notes[0]) if notes else None

    def pdf_url(self, forum: str) -> str:
        """The URL ``client.get_pdf(forum)`` requests."""
        return f"{self.client.pdf_url}?id={forum}"

    @property
    def headers(self) -> dict[str, str]:
        """The client's headers (User-Agent, and the token after a login) for PDF requests."""
        return dict(self.client.headers)


def _note_dict(note: Any) -> dict[str, Any]:
    """An openreview Note object back to the raw-note dict the normaliser reads."""
    return {k: v for k, v in vars(note).items() if not k.startswith("_")}
