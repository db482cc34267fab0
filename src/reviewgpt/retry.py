"""Retrying a call that fails for passing reasons: attempts, exponential backoff, jitter, a deadline.

A :class:`RetryPolicy` says how often and how long to wait; :func:`call` (sync) and
:func:`call_async` run a function under it. Only exceptions listed in ``retry_on`` are retried;
any other one passes through at once. When the retries or the overall deadline are spent,
:class:`RetriesExhausted` is raised with the last retryable exception, so each caller words its
own error. An exception with a ``retry_after_s`` attribute (a server's Retry-After) sets the wait
instead of the backoff.

Example::

    policy = RetryPolicy(retries=6, base_s=1.0, cap_s=60.0, deadline_s=300, retry_on=(Timeout,))
    data = call(lambda: fetch(url), policy)
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")

#: ``on_retry(retry_number, exception, delay_s)``: called before each wait (logging, counters,
#: pausing other requests); ``retry_number`` counts from 1.
OnRetry = Callable[[int, BaseException, float], None]


class RetryableError(Exception):
    """A failure worth another attempt; ``retry_after_s`` is the wait a server asked for, if any."""

    def __init__(self, reason: str, retry_after_s: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after_s = retry_after_s


class RetriesExhausted(Exception):
    """Every allowed attempt failed, or the next wait would pass the deadline.

    Attributes:
        last: the last retryable exception.
        retries: how many retries were made (attempts - 1).
        deadline_passed: True when the deadline, not the retry count, ended it.
    """

    def __init__(self, last: BaseException, retries: int, deadline_passed: bool):
        super().__init__(f"{last} (gave up after {retries} retries{'; deadline passed' if deadline_passed else ''})")
        self.last = last
        self.retries = retries
        self.deadline_passed = deadline_passed


@dataclass(frozen=True)
class RetryPolicy:
    """How to retry.

    Attributes:
        retries: retries after the first attempt (0: one attempt only).
        base_s, cap_s: the n-th retry (from 0) waits ``min(cap_s, base_s * 2**n)`` before jitter.
        jitter: the backoff is multiplied by ``uniform(*jitter)``, so that clients that failed
            together do not retry together; ``(1.0, 1.0)`` for none.
        retry_after_jitter: the same for a server's Retry-After wait.
        retry_after_cap_s: the longest Retry-After wait honoured (None: as asked).
        deadline_s: the overall time for all attempts and waits; a wait that would end past it
            is not started (None: no deadline).
        retry_on: the exception types worth retrying.
    """

    retries: int
    base_s: float = 1.0
    cap_s: float = 60.0
    jitter: tuple[float, float] = (0.5, 1.0)
    retry_after_jitter: tuple[float, float] = (1.0, 1.0)
    retry_after_cap_s: float | None = None
    deadline_s: float | None = None
    retry_on: tuple[type[BaseException], ...] = (RetryableError,)

    def delay(self, retry: int, exc: BaseException) -> float:
        """Seconds to wait before retry number ``retry`` (from 0) after ``exc``."""
        retry_after = getattr(exc, "retry_after_s", None)
        if retry_after is not None:
            wait = retry_after * random.uniform(*self.retry_after_jitter)
            return wait if self.retry_after_cap_s is None else min(wait, self.retry_after_cap_s)
        return min(self.cap_s, self.base_s * 2**retry) * random.uniform(*self.jitter)


class _Attempts:
    """The bookkeeping both loops share: count retries, pick the wait, enforce the deadline."""

    def __init__(self, policy: RetryPolicy, on_retry: OnRetry | None, clock: Callable[[], float]):
        self.policy, self.on_retry, self.clock = policy, on_retry, clock
        self.start = clock()
        self.retries = 0

    def next_delay(self, exc: BaseException) -> float:
        """The wait before the next attempt, or :class:`RetriesExhausted` when there is none."""
        if self.retries >= self.policy.retries:
            raise RetriesExhausted(exc, self.retries, deadline_passed=False) from exc
        delay = self.policy.delay(self.retries, exc)
        if self.policy.deadline_s is not None and self.clock() + delay - self.start > self.policy.deadline_s:
            raise RetriesExhausted(exc, self.retries, deadline_passed=True) from exc
        self.retries += 1
        if self.on_retry is not None:
            self.on_retry(self.retries, exc, delay)
        return delay


def call(
    fn: Callable[[], T],
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``fn()``, retried under ``policy``.

    Raises:
        RetriesExhausted: the retries or the deadline are spent.
    """
    attempts = _Attempts(policy, on_retry, clock)
    while True:
        try:
            return fn()
        except policy.retry_on as exc:
            sleep(attempts.next_delay(exc))


async def call_async(
    fn: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    on_retry: OnRetry | None = None,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """``await fn()``, retried under ``policy`` (the async twin of :func:`call`)."""
    attempts = _Attempts(policy, on_retry, clock)
    while True:
        try:
            return await fn()
        except policy.retry_on as exc:
            await sleep(attempts.next_delay(exc))


def retry_after_seconds(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds: a number of seconds or an HTTP date; None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
