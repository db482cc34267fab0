"""The shared LLM client against the fake OpenAI-compatible server (real HTTP on loopback)."""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter

import pytest

from reviewgpt.errors import ConfigError
from reviewgpt.llm import BudgetExceeded, LLMCallError, LLMClient, LLMConfig, estimate_cost
from reviewgpt.llm.limits import RateLimiter
from reviewgpt.testing.openai_server import FakeOpenAIServer


def echo_json(body: dict) -> str:
    """Answers {"echo": <the first message>} in JSON (a repair retry echoes the original question)."""
    return json.dumps({"echo": body["messages"][0]["content"]})


def ask(i: int) -> list[dict]:
    return [{"role": "user", "content": f"item {i}: answer in JSON"}]


def make_client(server: FakeOpenAIServer, cache_dir=None, **overrides) -> LLMClient:
    settings = {"timeout_s": 2.0, "concurrency": 4, **overrides}
    cfg = LLMConfig(base_url=server.base_url, **settings)
    return LLMClient(cfg, cache_dir=cache_dir)


def run_all(client: LLMClient, n: int) -> list[tuple[int, object]]:
    async def request(i: int) -> dict:
        data, _ = await client.chat_json(ask(i))
        return data

    return list(client.map(range(n), request, "test"))


def test_every_fault_is_survived_without_losing_or_duplicating_a_result(tmp_path):
    faults = ["429", "500", "hang", "invalid_json"]
    with FakeOpenAIServer(echo_json, faults=faults) as server:
        client = make_client(server, tmp_path / "cache", timeout_s=0.5)
        results = run_all(client, 12)
        statuses = Counter(r["_status"] for r in server.requests)

    items = [item for item, _ in results]
    assert sorted(items) == list(range(12)), "each item comes back exactly once"
    assert not [r for _, r in results if isinstance(r, Exception)]
    by_item = dict(results)
    assert all(by_item[i] == {"echo": f"item {i}: answer in JSON"} for i in range(12))
    assert statuses[429] == 1 and statuses[500] == 1 and statuses[0] == 1  # 0 = the hang
    assert client.stats["retries"] == 3  # 429, 500 and the hang; invalid JSON is a repair, not a retry
    assert client.stats["calls"] == 12 + 1  # one repair call for the invalid JSON


def test_retry_after_is_honoured_and_pauses_everyone():
    # 4 requests go out at once; one gets 429 "Retry-After: 1" at once, the others answer after 0.2 s.
    with FakeOpenAIServer(echo_json, faults=["429"], retry_after_s=1.0, latency_s=0.2) as server:
        client = make_client(server, concurrency=4)
        results = run_all(client, 8)
        first = server.requests[0]["_received_at"]
        offsets = [r["_received_at"] - first for r in server.requests]
    assert server.requests[0]["_status"] == 429
    assert len(results) == 8
    # nothing was sent after the 429 until Retry-After had passed: not the retry, not new items
    assert sum(1 for t in offsets if t < 0.9) == 4
    assert all(t >= 0.95 for t in offsets[4:])


def test_a_hung_call_hits_its_deadline_and_fails_cleanly():
    with FakeOpenAIServer(echo_json, faults=["hang"]) as server:
        client = make_client(server, timeout_s=0.3, max_retries=0)
        start = time.monotonic()
        [(_, result)] = run_all(client, 1)
        elapsed = time.monotonic() - start
    assert isinstance(result, LLMCallError)
    assert "deadline" in str(result)
    assert elapsed < 2.0


def test_a_rerun_is_answered_from_the_cache_with_zero_requests(tmp_path):
    cache = tmp_path / "cache" / "llm"
    with FakeOpenAIServer(echo_json) as server:
        first = dict(run_all(make_client(server, cache), 6))
        sent = len(server.requests)
        again_client = make_client(server, cache)
        second = dict(run_all(again_client, 6))
        assert len(server.requests) == sent == 6
    assert first == second
    assert again_client.stats["calls"] == 0 and again_client.stats["cached_calls"] == 6


def test_changed_prompt_or_model_is_not_answered_from_the_cache(tmp_path):
    cache = tmp_path / "cache"
    with FakeOpenAIServer(echo_json) as server:
        run_all(make_client(server, cache), 2)
        run_all(make_client(server, cache, model="gpt-4o"), 2)
        assert len(server.requests) == 4


def test_client_side_rpm_keeps_the_server_under_its_limit():
    # Client: 600/min = 10 per second. The server answers 429 above 22 in any 2 s window
    # (10% headroom: scheduling jitter on a busy CI box is large against a short window).
    with FakeOpenAIServer(echo_json, rpm_limit=660, window_s=2.0) as server:
        client = make_client(server, rpm=600, concurrency=8)
        start = time.monotonic()
        results = run_all(client, 25)
        elapsed = time.monotonic() - start
        assert not [r for r in server.requests if r["_status"] == 429]
        assert server.max_in_window(2.0) <= 22
    assert len(results) == 25
    assert elapsed >= 2.3  # 25 starts paced 0.1 s apart; not a burst
    assert elapsed < 8.0  # and near the limit, not far below it


def test_server_rate_limit_429s_are_retried_until_everything_is_answered():
    # No client-side limit: the server's 429s with Retry-After are what slows us down.
    with FakeOpenAIServer(echo_json, rpm_limit=300, window_s=1.0) as server:
        client = make_client(server, concurrency=8)
        results = run_all(client, 10)
        assert server.max_in_window(1.0) <= 5
    assert sorted(i for i, r in results if not isinstance(r, Exception)) == list(range(10))
    assert client.stats["retries"] >= 1


def test_tokens_per_minute_limit_delays_the_request_that_would_pass_it():
    async def scenario() -> float:
        limiter = RateLimiter(tpm=100, window_s=0.5)
        await limiter.acquire(60)
        start = time.monotonic()
        await limiter.acquire(60)  # 120 > 100 within the window: waits for the first to expire
        return time.monotonic() - start

    assert asyncio.run(scenario()) >= 0.45


def test_max_cost_stops_cleanly_after_some_calls():
    big = "word " * 4000  # ~5,000 estimated tokens per prompt
    with FakeOpenAIServer(echo_json) as server:
        client = make_client(server, max_cost_usd=0.004, max_tokens=100, concurrency=1)

        async def request(i: int) -> str:
            return (await client.chat([{"role": "user", "content": f"{i} {big}"}])).text

        results = []
        with pytest.raises(BudgetExceeded):
            for item, result in client.map(range(20), request, "budget"):
                results.append((item, result))
        sent = len(server.requests)
    assert 1 <= len(results) < 20
    assert sent == len(results)
    assert client.stats["cost_usd"] <= 0.004


def test_max_cost_for_a_model_without_a_price_is_a_config_error():
    with pytest.raises(ConfigError, match="price"):
        LLMClient(LLMConfig(model="my-local-llama", max_cost_usd=1.0), cache_dir=None)


def test_chat_json_repairs_once_then_raises():
    def bad_then_good(body: dict) -> str:
        return json.dumps({"n": 1}) if len(body["messages"]) > 1 else json.dumps({"wrong": True})

    def validate(obj: dict) -> int:
        if "n" not in obj:
            raise ValueError("missing key 'n'")
        return obj["n"]

    with FakeOpenAIServer(bad_then_good) as server:
        client = make_client(server)
        value, response = asyncio.run(client.chat_json(ask(0), validate=validate))
        assert value == 1
        repair_prompt = server.requests[1]["messages"][-1]["content"]
        assert "missing key 'n'" in repair_prompt
        assert server.requests[1]["response_format"] == {"type": "json_object"}
        assert response.usage["prompt_tokens"] > 0

    with FakeOpenAIServer(lambda body: "not json at all") as server:
        client = make_client(server)
        with pytest.raises(LLMCallError, match="after one repair retry"):
            asyncio.run(client.chat_json(ask(0)))
        assert len(server.requests) == 2


def test_non_openai_params_reach_the_server_in_the_body():
    with FakeOpenAIServer(lambda body: "ok") as server:
        client = make_client(server, max_tokens=50)
        response = asyncio.run(client.chat(ask(0), seed=3, repetition_penalty=1.1))
        body = server.requests[0]
    assert response.text == "ok" and not response.cached
    assert body["seed"] == 3 and body["repetition_penalty"] == 1.1 and body["max_tokens"] == 50


def test_missing_api_key_without_a_local_server_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("REVIEWGPT_TEST_NO_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    client = LLMClient(LLMConfig(api_key_env="REVIEWGPT_TEST_NO_KEY"), cache_dir=None)
    with pytest.raises(ConfigError, match="REVIEWGPT_TEST_NO_KEY"):
        asyncio.run(client.chat(ask(0)))


def test_estimate_cost_uses_the_model_family_price():
    assert estimate_cost("gpt-4o-mini-2024-07-18", 1_000_000, 0) == pytest.approx(0.15)
    assert estimate_cost("gpt-4o", 0, 1_000_000) == pytest.approx(10.0)
    assert estimate_cost("meta-llama/Llama-3-8B-Instruct", 1000, 1000) is None
