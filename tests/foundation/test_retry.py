"""The shared retry loop: which failures are retried, how long it waits, when it gives up."""

from __future__ import annotations

import asyncio

import pytest

from reviewgpt.retry import (
    RetriesExhausted,
    RetryableError,
    RetryPolicy,
    call,
    call_async,
    retry_after_seconds,
)


class FakeTime:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    async def async_sleep(self, seconds: float) -> None:
        self.sleep(seconds)

    def clock(self) -> float:
        return self.now


def failing(times: int, exc: Exception, result: str = "ok"):
    calls = {"n": 0}

    def fn() -> str:
        calls["n"] += 1
        if calls["n"] <= times:
            raise exc
        return result

    return fn, calls


def test_retries_a_retryable_failure_with_exponential_backoff_capped() -> None:
    fake = FakeTime()
    fn, calls = failing(4, RetryableError("HTTP 503"))
    policy = RetryPolicy(retries=5, base_s=1.0, cap_s=3.0, jitter=(1.0, 1.0))
    assert call(fn, policy, sleep=fake.sleep, clock=fake.clock) == "ok"
    assert calls["n"] == 5
    assert fake.sleeps == [1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_inside_its_range() -> None:
    policy = RetryPolicy(retries=3, base_s=4.0, cap_s=60.0, jitter=(0.5, 1.0))
    waits = [policy.delay(1, RetryableError("x")) for _ in range(200)]
    assert all(4.0 <= w <= 8.0 for w in waits)
    assert len(set(waits)) > 1


def test_a_server_retry_after_wins_over_the_backoff_and_is_capped() -> None:
    policy = RetryPolicy(retries=3, base_s=1.0, jitter=(1.0, 1.0), retry_after_cap_s=10.0)
    assert policy.delay(0, RetryableError("HTTP 429", retry_after_s=7.0)) == 7.0
    assert policy.delay(0, RetryableError("HTTP 429", retry_after_s=300.0)) == 10.0


def test_gives_up_after_the_retries_with_the_last_failure() -> None:
    fake = FakeTime()
    fn, calls = failing(10, RetryableError("HTTP 502"))
    with pytest.raises(RetriesExhausted) as info:
        call(fn, RetryPolicy(retries=2, jitter=(1.0, 1.0)), sleep=fake.sleep, clock=fake.clock)
    assert calls["n"] == 3
    assert info.value.retries == 2 and not info.value.deadline_passed
    assert str(info.value.last) == "HTTP 502"


def test_a_wait_that_would_pass_the_deadline_is_not_started() -> None:
    fake = FakeTime()
    fn, calls = failing(10, RetryableError("timeout"))
    policy = RetryPolicy(retries=100, base_s=1.0, cap_s=60.0, jitter=(1.0, 1.0), deadline_s=10.0)
    with pytest.raises(RetriesExhausted) as info:
        call(fn, policy, sleep=fake.sleep, clock=fake.clock)
    assert info.value.deadline_passed
    assert fake.sleeps == [1.0, 2.0, 4.0]  # 7 s spent; waiting 8 more would end at 15 s
    assert calls["n"] == 4


def test_other_exceptions_pass_through_at_once() -> None:
    fake = FakeTime()
    fn, calls = failing(1, ValueError("not a PDF"))
    with pytest.raises(ValueError):
        call(fn, RetryPolicy(retries=5), sleep=fake.sleep, clock=fake.clock)
    assert calls["n"] == 1 and fake.sleeps == []


def test_retry_on_names_the_retryable_types_and_on_retry_sees_each_retry() -> None:
    fake = FakeTime()
    fn, _ = failing(2, TimeoutError("slow"))
    seen: list[tuple[int, str, float]] = []
    policy = RetryPolicy(retries=3, base_s=0.5, jitter=(1.0, 1.0), retry_on=(TimeoutError,))
    call(fn, policy, lambda n, exc, delay: seen.append((n, str(exc), delay)), sleep=fake.sleep, clock=fake.clock)
    assert seen == [(1, "slow", 0.5), (2, "slow", 1.0)]


def test_the_async_loop_retries_the_same_way() -> None:
    fake = FakeTime()
    calls = {"n": 0}

    async def fn() -> int:
        calls["n"] += 1
        if calls["n"] < 3:
            raise RetryableError("HTTP 500")
        return 42

    policy = RetryPolicy(retries=3, base_s=1.0, jitter=(1.0, 1.0))
    assert asyncio.run(call_async(fn, policy, sleep=fake.async_sleep, clock=fake.clock)) == 42
    assert fake.sleeps == [1.0, 2.0]


def test_retry_after_header_values() -> None:
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("-3") == 0.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # a date in the past
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
