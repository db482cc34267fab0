"""Client-side rate limits: requests/min and tokens/min over a sliding window, evenly paced.

Why paced and not a burst bucket: a server that allows N requests per minute counts them over a
sliding window, so a client that fires N at once and then waits a minute sees its next burst
collide with the window's edge and gets a storm of 429s. Spacing starts ``60/N`` seconds apart
(a little more, for clock and network jitter) keeps every window under the limit and the
achieved rate within a few percent of it. A 429 pauses every caller, not just the one that got it.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass

#: The window servers count limits over.
WINDOW_S = 60.0
#: Headroom for jitter between our clock and the server's: 1% slower than the limit.
SAFETY = 1.01


@dataclass
class TokenGrant:
    """Tokens booked against the tokens/min window; corrected to the real usage afterwards."""

    at: float
    tokens: int


class RateLimiter:
    """Waits until a request may start under ``rpm`` and ``tpm``; None means unlimited.

    Callers are served first come, first served (an asyncio lock held while waiting), so a big
    request waiting for tokens is not starved by small ones behind it.
    """

    def __init__(self, rpm: int | None = None, tpm: int | None = None, window_s: float = WINDOW_S):
        self.rpm = rpm
        self.tpm = tpm
        self.window_s = window_s * SAFETY
        self._interval = self.window_s / rpm if rpm else 0.0
        self._starts: deque[float] = deque()
        self._grants: deque[TokenGrant] = deque()
        self._next_start = 0.0
        self._paused_until = 0.0
        self._lock: asyncio.Lock | None = None
        self._lock_loop: asyncio.AbstractEventLoop | None = None

    def _loop_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        if self._lock is None or self._lock_loop is not loop:  # asyncio locks belong to one loop
            self._lock, self._lock_loop = asyncio.Lock(), loop
        return self._lock

    def pause(self, seconds: float) -> None:
        """Hold every request back for ``seconds`` (after a 429 with Retry-After)."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)

    def _wait_s(self, now: float, tokens: int) -> float:
        while self._starts and self._starts[0] <= now - self.window_s:
            self._starts.popleft()
        while self._grants and self._grants[0].at <= now - self.window_s:
            self._grants.popleft()
        waits = [self._paused_until - now]
        if self.rpm:
            waits.append(self._next_start - now)
            if len(self._starts) >= self.rpm:
                waits.append(self._starts[0] + self.window_s - now)
        if self.tpm and self._grants:  # a request bigger than the limit still goes, alone
            if sum(g.tokens for g in self._grants) + tokens > self.tpm:
                waits.append(self._grants[0].at + self.window_s - now)
        return max(waits)

    async def acquire(self, tokens: int = 0) -> TokenGrant:
        """Wait for a slot for one request of about ``tokens`` tokens, and book it."""
        async with self._loop_lock():
            while True:
                now = time.monotonic()
                wait = self._wait_s(now, tokens)
                if wait <= 0:
                    break
                await asyncio.sleep(wait)
            if self.rpm:
                self._starts.append(now)
                self._next_start = max(now, self._next_start) + self._interval
            grant = TokenGrant(now, tokens)
            if self.tpm:
                self._grants.append(grant)
            return grant

    @staticmethod
    def settle(grant: TokenGrant, actual_tokens: int) -> None:
        """Replace a grant's estimate by the tokens the server reported."""
        grant.tokens = actual_tokens
