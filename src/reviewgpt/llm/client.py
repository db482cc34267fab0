"""``LLMClient``: chat completions from any OpenAI-compatible server, safely at scale.

What it adds to the ``openai`` client, and why:

- **Deadlines.** Every HTTP call has a total deadline (``timeout_s``, start to last byte); a call
  that hangs is cancelled and retried instead of stalling a run for days.
- **Retries.** 429, 5xx, timeouts and dropped connections are retried with exponential backoff
  and jitter; a ``Retry-After`` (or ``retry-after-ms``) header is honoured and pauses *every*
  request, so one 429 does not become a storm.
- **Limits.** At most ``concurrency`` calls in flight, requests/min and tokens/min kept to on
  the client side (:mod:`reviewgpt.llm.limits`).
- **Cache.** Answers are stored by the hash of the whole request (:mod:`reviewgpt.llm.cache`): a
  rerun or a resumed crash re-sends nothing already answered.
- **Cost.** Tokens and the estimated spend are counted; ``max_cost_usd`` stops cleanly with
  :class:`BudgetExceeded` before a request that would pass it.
- **JSON mode** with one repair retry (:meth:`LLMClient.chat_json`): replies are read by
  :mod:`reviewgpt.llm.answers` and cached only once they passed the caller's validation.
- **From sync code**, :meth:`LLMClient.map` runs many requests concurrently and yields each
  result as it completes, so the caller appends its record right away.

Example::

    client = LLMClient(LLMConfig(model="gpt-4o-mini", rpm=500), cache_dir=data_dir / "cache" / "llm")

    async def review(paper):
        data, response = await client.chat_json(make_messages(paper), validate=check)
        return data

    for paper, result in client.map(papers, review, "aggregating"):
        ...  # result is the value, or the exception that request ended with
"""

from __future__ import annotations

import asyncio
import inspect
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from reviewgpt.errors import ConfigError, ReviewGPTError, RunFailedError
from reviewgpt.llm.answers import InvalidAnswer, parse_json_answer
from reviewgpt.llm.cache import ResponseCache, request_key
from reviewgpt.llm.config import LLMConfig
from reviewgpt.llm.limits import RateLimiter
from reviewgpt.llm.pricing import estimate_cost, estimate_prompt_tokens, estimate_tokens
from reviewgpt.logging import get_logger
from reviewgpt.progress import track
from reviewgpt.prompts.repair import repair_messages
from reviewgpt.retry import RetriesExhausted, RetryableError, RetryPolicy, call_async

log = get_logger(__name__)

T = TypeVar("T")
I = TypeVar("I")  # noqa: E741 - the item type of map()
R = TypeVar("R")

#: Backoff of the n-th retry without Retry-After: min(CAP, BASE * 2**n) * uniform(0.5, 1); a
#: Retry-After wait gets up to 10% more, so the clients it paused do not all return at once.
BACKOFF_BASE_S = 1.0
BACKOFF_CAP_S = 60.0
RETRY_AFTER_JITTER = (1.0, 1.1)
#: Statuses worth retrying: timeouts, conflicts, rate limits and server errors.
RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
#: Answer tokens assumed per call for budgets when ``max_tokens`` is not set.
DEFAULT_COMPLETION_ESTIMATE = 1024


class LLMCallError(ReviewGPTError):
    """A request failed for good: retries spent, a non-retryable status, or an invalid answer."""


class InvalidAnswerError(LLMCallError):
    """The model's answer stayed invalid after its repair retry.

    Attributes:
        raw: the replies as received (the first answer, then the repair), for the stage's errors.jsonl.
    """

    def __init__(self, message: str, raw: list[str]):
        super().__init__(message)
        self.raw = raw


class BudgetExceeded(ReviewGPTError):
    """The estimated spend reached ``max_cost_usd``; nothing more is sent."""


@dataclass
class LLMResponse:
    """One answer. ``usage`` holds prompt_tokens and completion_tokens (of this call, or summed
    over a repair retry); ``cached`` is True when no request was sent."""

    text: str
    usage: dict[str, int]
    cached: bool
    model: str


class LLMClient:
    """Chat completions with deadlines, retries, rate limits, a cache and a budget.

    Args:
        cfg: the model, server and limits.
        cache_dir: where answers are cached (``<data_dir>/cache/llm``); None disables the cache.

    Raises:
        ConfigError: ``max_cost_usd`` is set for a model without a known price.
    """

    def __init__(self, cfg: LLMConfig, cache_dir: Path | None):
        self.cfg = cfg
        self.cache = ResponseCache(cache_dir) if (cfg.cache and cache_dir is not None) else None
        if cfg.max_cost_usd is not None and estimate_cost(cfg.model, 1, 1) is None:
            raise ConfigError(
                f"llm.max_cost_usd is set but the price of model '{cfg.model}' is unknown, so the spend "
                "cannot be estimated; drop --max-cost for a local model"
            )
        self._limiter = RateLimiter(cfg.rpm, cfg.tpm)
        # No overall deadline here: each call has its own (timeout_s), and a run's budget caps the rest.
        self._retry_policy = RetryPolicy(
            retries=cfg.max_retries, base_s=BACKOFF_BASE_S, cap_s=BACKOFF_CAP_S, jitter=(0.5, 1.0),
            retry_after_jitter=RETRY_AFTER_JITTER,
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._openai: Any = None
        self._semaphore: asyncio.Semaphore | None = None
        self._reserved_usd = 0.0
        self._stats: dict[str, float] = {
            "calls": 0,
            "cached_calls": 0,
            "retries": 0,
            "failed_calls": 0,
            "prompt_tokens": 0,
            "completion_tokens": 0,
            "cost_usd": 0.0,
        }

    # ------------------------------------------------------------------ public API

    @property
    def stats(self) -> dict[str, Any]:
        """calls (sent and answered), cached_calls, retries, failed_calls, prompt/completion tokens
        of sent calls, and their estimated cost_usd (None when the model has no known price)."""
        out: dict[str, Any] = {k: int(v) for k, v in self._stats.items() if k != "cost_usd"}
        priced = estimate_cost(self.cfg.model, 0, 0) is not None
        out["cost_usd"] = round(self._stats["cost_usd"], 6) if priced else None
        out["model"] = self.cfg.model
        return out

    def build_request(self, messages: list[dict], *, json_mode: bool = False, **params: Any) -> dict[str, Any]:
        """The request body :meth:`chat` sends (and hashes for the cache)."""
        request: dict[str, Any] = {"model": self.cfg.model, "messages": messages, "temperature": self.cfg.temperature}
        if self.cfg.max_tokens is not None:
            request["max_tokens"] = self.cfg.max_tokens
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        request.update(params)
        return request

    def is_cached(self, messages: list[dict], *, json_mode: bool = False, **params: Any) -> bool:
        """Whether :meth:`chat` with these arguments would be answered from the cache."""
        if self.cache is None:
            return False
        return request_key(self.build_request(messages, json_mode=json_mode, **params)) in self.cache

    def estimate_call(self, messages: list[dict]) -> tuple[int, int]:
        """(prompt, completion) tokens one call is budgeted at: the prompt estimated from its
        characters, the answer at ``max_tokens`` (or a typical 1,024 when unset)."""
        return estimate_prompt_tokens(messages), self.cfg.max_tokens or DEFAULT_COMPLETION_ESTIMATE

    async def chat(self, messages: list[dict], *, json_mode: bool = False, **params: Any) -> LLMResponse:
        """One chat completion.

        Requests that are identical in every parameter share one cache entry; to draw several
        samples of one prompt, make them differ (``seed=i``).

        Args:
            messages: OpenAI chat messages.
            json_mode: ask for a JSON object (``response_format={"type": "json_object"}``).
            **params: more request parameters (``max_tokens``, ``seed``, ``top_p``, ``model``...);
                ones the ``openai`` client does not know go in the body as-is (vLLM extensions).

        Raises:
            BudgetExceeded: the estimated spend would pass ``max_cost_usd``; nothing was sent.
            LLMCallError: the call failed after its retries, or with a non-retryable error.
        """
        request = self.build_request(messages, json_mode=json_mode, **params)
        key = request_key(request)
        cached = self._cached(key, request)
        if cached is not None:
            return cached
        response = await self._send(request, messages)
        self._store(key, request, response)
        return response

    async def chat_json(
        self,
        messages: list[dict],
        *,
        validate: Callable[[Any], T] | None = None,
        **params: Any,
    ) -> tuple[T | Any, LLMResponse]:
        """A JSON answer, read by :mod:`reviewgpt.llm.answers` and validated, with one repair retry.

        When the answer is not JSON, or ``validate`` raises, the model is shown its answer and the
        error and asked once more; a second failure raises. Only an answer that passed
        ``validate`` is cached (a repaired one under the original request), so an invalid reply
        is never replayed; a cached entry that no longer passes is sent again.

        Args:
            messages: OpenAI chat messages (the prompt must mention JSON, as OpenAI requires).
            validate: turns the parsed JSON value into the caller's type; raises on a bad answer.

        Returns:
            (the validated value or the parsed JSON, the last response with usage summed over
            both attempts).

        Raises:
            InvalidAnswerError: still invalid after the repair retry; carries the raw replies.
            LLMCallError: the call failed.
            BudgetExceeded: see :meth:`chat`.
        """
        request = self.build_request(messages, json_mode=True, **params)
        key = request_key(request)
        replayed = self._valid_cached_json(key, request, validate)
        if replayed is not None:
            return replayed
        response = await self._send(request, messages)
        try:
            value = _parse_and_validate(response.text, validate)
        except Exception as first_error:  # noqa: BLE001 - any validation error is shown to the model
            problem = _describe(first_error)
        else:
            self._store(key, request, response)
            return value, response
        return await self._repair_json(messages, response, problem, key, request, validate, params)

    def _valid_cached_json(
        self, key: str, request: dict[str, Any], validate: Callable[[Any], T] | None
    ) -> tuple[T | Any, LLMResponse] | None:
        """The cached answer to ``request`` with its validated value, or None when there is none or it
        no longer passes ``validate`` (then it is not counted as a cached call)."""
        cached = self._cached(key, request)
        if cached is None:
            return None
        try:
            return _parse_and_validate(cached.text, validate), cached
        except Exception as exc:  # noqa: BLE001 - an entry of an older validator: ask again
            self._stats["cached_calls"] -= 1
            log.debug("cached answer no longer valid (%s); sending the request again", _describe(exc))
            return None

    async def _repair_json(
        self,
        messages: list[dict],
        response: LLMResponse,
        problem: str,
        key: str,
        request: dict[str, Any],
        validate: Callable[[Any], T] | None,
        params: dict[str, Any],
    ) -> tuple[T | Any, LLMResponse]:
        """The repair retry of :meth:`chat_json`: the model sees its invalid answer and ``problem``.

        A valid repair is cached under the original ``request``'s ``key``; the returned response
        has the usage of both attempts.
        """
        log.debug("invalid JSON answer (%s); asking for a repair", problem)
        repair = repair_messages(messages, response.text, problem)
        second = await self._send(self.build_request(repair, json_mode=True, **params), repair)
        total = LLMResponse(
            second.text,
            {k: response.usage.get(k, 0) + second.usage.get(k, 0) for k in ("prompt_tokens", "completion_tokens")},
            False,
            second.model,
        )
        try:
            value = _parse_and_validate(second.text, validate)
        except Exception as exc:  # noqa: BLE001
            raise InvalidAnswerError(
                f"invalid answer after one repair retry: {_describe(exc)}", [response.text, second.text]
            ) from exc
        self._store(key, request, second)
        return value, total

    def map(
        self,
        items: Iterable[I],
        make_request: Callable[[I], Awaitable[R]],
        description: str,
    ) -> Iterator[tuple[I, R | Exception]]:
        """Run ``make_request(item)`` for every item concurrently, from sync code.

        Yields ``(item, result)`` in completion order, with a progress bar; a request that
        raised yields its exception instead of a result, so one bad item never stops the rest.
        When a request raises :class:`BudgetExceeded`, no new request starts, those in flight
        finish and are yielded, then ``BudgetExceeded`` is raised to the caller.

        Concurrency is bounded by ``concurrency`` and the rate limits inside :meth:`chat`;
        only a small window of coroutines exists at any time, so ``items`` may be long.
        """
        items = list(items)
        yield from track(self._map_sync(items, make_request), total=len(items), description=description)

    # ------------------------------------------------------------------ map internals

    def _map_sync(self, items: list[I], make_request: Callable[[I], Awaitable[R]]) -> Iterator[tuple[I, R | Exception]]:
        loop = asyncio.new_event_loop()
        agen = self._map_async(items, make_request)
        try:
            while True:
                try:
                    result = loop.run_until_complete(agen.__anext__())
                except StopAsyncIteration:
                    break
                yield result
        finally:
            try:
                loop.run_until_complete(agen.aclose())
                loop.run_until_complete(self._close_openai())
                loop.run_until_complete(loop.shutdown_asyncgens())
            finally:
                loop.close()

    async def _map_async(
        self, items: list[I], make_request: Callable[[I], Awaitable[R]]
    ) -> AsyncIterator[tuple[I, R | Exception]]:
        window = max(2 * self.cfg.concurrency, 16)
        pending: dict[asyncio.Task, I] = {}
        queue = iter(items)
        budget_error: BudgetExceeded | None = None

        async def _run(item: I) -> R:
            return await make_request(item)

        def _fill() -> None:
            while budget_error is None and len(pending) < window:
                item = next(queue, _END)
                if item is _END:
                    return
                pending[asyncio.ensure_future(_run(item))] = item

        try:
            _fill()
            while pending:
                done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    item = pending.pop(task)
                    exc = task.exception()
                    if isinstance(exc, BudgetExceeded):
                        budget_error = budget_error or exc
                        continue
                    yield item, (exc if exc is not None else task.result())
                _fill()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
        if budget_error is not None:
            raise budget_error

    # ------------------------------------------------------------------ sending

    def preflight(self) -> None:
        """Check, before the first item, that there is a key and that the server answers.

        One cheap ``GET /models``: no key, a refused key or a server that cannot be reached
        would otherwise fail every item of a run one by one. A server that answers with another
        error status (some have no ``/models``) counts as reachable.

        Raises:
            RunFailedError: no API key, the key was refused, or the server cannot be reached.
        """
        from reviewgpt.errors import require

        openai = require("openai", None, "calling an OpenAI-compatible LLM")
        try:
            api_key, base_url = self._credentials()
        except ConfigError as exc:
            raise RunFailedError(str(exc)) from None
        where = base_url or "the OpenAI API"
        client = openai.OpenAI(api_key=api_key, base_url=base_url, max_retries=1, timeout=min(self.cfg.timeout_s, 15.0))
        try:
            client.models.list()
        except (openai.AuthenticationError, openai.PermissionDeniedError) as exc:
            raise RunFailedError(
                f"{where} refused the API key (HTTP {exc.status_code}): check ${self.cfg.api_key_env}"
            ) from None
        except openai.APIConnectionError as exc:  # timeouts included
            raise RunFailedError(f"cannot reach the LLM server at {where}: {_short(str(exc))}") from None
        except openai.APIStatusError as exc:
            log.debug("pre-flight GET /models: HTTP %s; the server is up", exc.status_code)
        finally:
            client.close()

    def _cached(self, key: str, request: dict[str, Any]) -> LLMResponse | None:
        if self.cache is None:
            return None
        entry = self.cache.get(key)
        if entry is None:
            return None
        self._stats["cached_calls"] += 1
        return LLMResponse(entry["text"], dict(entry.get("usage", {})), True, entry.get("model", request["model"]))

    async def _send(self, request: dict[str, Any], messages: list[dict]) -> LLMResponse:
        """Send one request (budget reserved, retries, counting); nothing is cached here."""
        prompt_est = estimate_prompt_tokens(messages)
        completion_est = request.get("max_tokens") or DEFAULT_COMPLETION_ESTIMATE
        reserve = self._reserve_budget(request["model"], prompt_est, completion_est)
        try:
            response = await self._send_with_retries(request, prompt_est + (request.get("max_tokens") or 0))
        except BaseException:
            self._stats["failed_calls"] += 1
            raise
        finally:
            self._reserved_usd -= reserve
        self._count(request["model"], response.usage)
        return response

    def _store(self, key: str, request: dict[str, Any], response: LLMResponse) -> None:
        if self.cache is not None:
            self.cache.put(key, {"text": response.text, "usage": response.usage, "model": response.model,
                                 "request_model": request["model"], "created_at": time.time()})

    def _loop_state(self) -> tuple[Any, asyncio.Semaphore]:
        """The openai client and semaphore of the running loop (both belong to one loop)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            # Build first, then set all three: a client that cannot be built (no key) must not
            # leave the loop marked as set up with no semaphore for the next request.
            openai_client = self._make_openai()
            self._loop, self._openai = loop, openai_client
            self._semaphore = asyncio.Semaphore(self.cfg.concurrency)
        assert self._semaphore is not None
        return self._openai, self._semaphore

    def _credentials(self) -> tuple[str, str | None]:
        """(API key, base URL); local servers (vLLM, Ollama) accept any key.

        Raises:
            ConfigError: no key and no base URL of a local server.
        """
        base_url = self.cfg.base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = os.environ.get(self.cfg.api_key_env)
        if not api_key:
            if base_url is None:
                raise ConfigError(
                    f"no API key: set the environment variable {self.cfg.api_key_env} "
                    "(or point llm.base_url / --base-url at a local OpenAI-compatible server)"
                )
            api_key = "not-needed"
        return api_key, base_url

    def _make_openai(self) -> Any:
        from reviewgpt.errors import require

        openai = require("openai", None, "calling an OpenAI-compatible LLM")
        api_key, base_url = self._credentials()
        # Retries and the total deadline are ours; the library's per-read timeout backs them up.
        return openai.AsyncOpenAI(api_key=api_key, base_url=base_url, max_retries=0, timeout=self.cfg.timeout_s)

    async def _close_openai(self) -> None:
        if self._openai is not None:
            try:
                await self._openai.close()
            finally:
                self._openai, self._loop, self._semaphore = None, None, None

    async def _send_with_retries(self, request: dict[str, Any], budget_tokens: int) -> LLMResponse:
        client, semaphore = self._loop_state()

        async def attempt() -> LLMResponse:
            try:
                # The rate slot is taken inside the semaphore, so that starts stay evenly paced
                # instead of bunching up behind a full semaphore.
                async with semaphore:
                    grant = await self._limiter.acquire(budget_tokens)
                    response = await asyncio.wait_for(self._send_once(client, request), self.cfg.timeout_s)
            except asyncio.TimeoutError:
                raise RetryableError(f"no answer within the {self.cfg.timeout_s:g}s deadline") from None
            self._limiter.settle(grant, response.usage["prompt_tokens"] + response.usage["completion_tokens"])
            return response

        try:
            return await call_async(attempt, self._retry_policy, self._before_retry)
        except RetriesExhausted as exc:
            raise LLMCallError(f"{exc.last} (gave up after {exc.retries} retries)") from None

    def _before_retry(self, retry: int, exc: BaseException, delay: float) -> None:
        if getattr(exc, "retry_after_s", None) is not None:
            self._limiter.pause(delay)  # everyone waits, or the next requests 429 too
        self._stats["retries"] += 1
        log.info("LLM call: %s; retry %d/%d in %.1fs", exc, retry, self.cfg.max_retries, delay)

    async def _send_once(self, client: Any, request: dict[str, Any]) -> LLMResponse:
        import openai

        known, extra = _split_params(client, request)
        try:
            completion = await client.chat.completions.create(**known, extra_body=extra or None)
        except openai.APIStatusError as exc:
            if exc.status_code in RETRY_STATUSES:
                raise RetryableError(f"HTTP {exc.status_code}", _retry_after_s(exc.response.headers)) from None
            if exc.status_code in (401, 403):
                raise LLMCallError(
                    f"HTTP {exc.status_code} from the server: check the key in ${self.cfg.api_key_env}"
                ) from None
            raise LLMCallError(f"HTTP {exc.status_code}: {_short(str(exc))}") from None
        except openai.APITimeoutError:
            raise RetryableError("the request timed out") from None
        except openai.APIConnectionError as exc:
            raise RetryableError(f"connection error: {_short(str(exc))}") from None
        if not completion.choices:
            raise RetryableError("an answer with no choices")
        text = completion.choices[0].message.content or ""
        usage = completion.usage
        prompt_tokens = getattr(usage, "prompt_tokens", None)
        completion_tokens = getattr(usage, "completion_tokens", None)
        return LLMResponse(
            text=text,
            usage={  # some servers omit usage: estimate rather than count it as free
                "prompt_tokens": int(prompt_tokens if prompt_tokens is not None else estimate_prompt_tokens(request["messages"])),
                "completion_tokens": int(completion_tokens if completion_tokens is not None else estimate_tokens(text)),
            },
            cached=False,
            model=completion.model or request["model"],
        )

    # ------------------------------------------------------------------ budget

    def _reserve_budget(self, model: str, prompt_tokens: int, completion_tokens: int) -> float:
        if self.cfg.max_cost_usd is None:
            return 0.0
        cost = estimate_cost(model, prompt_tokens, completion_tokens) or 0.0
        if self._stats["cost_usd"] + self._reserved_usd + cost > self.cfg.max_cost_usd:
            raise BudgetExceeded(
                f"estimated spend ${self._stats['cost_usd'] + self._reserved_usd:.4f} + ${cost:.4f} for the next call "
                f"would pass max_cost_usd ${self.cfg.max_cost_usd:g}"
            )
        self._reserved_usd += cost
        return cost

    def _count(self, model: str, usage: dict[str, int]) -> None:
        self._stats["calls"] += 1
        self._stats["prompt_tokens"] += usage.get("prompt_tokens", 0)
        self._stats["completion_tokens"] += usage.get("completion_tokens", 0)
        self._stats["cost_usd"] += estimate_cost(model, usage.get("prompt_tokens", 0), usage.get("completion_tokens", 0)) or 0.0


_END: Any = object()
_KNOWN_PARAMS: dict[type, frozenset[str]] = {}


def _split_params(client: Any, request: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Parameters the openai client takes by name, and the rest (sent in the body as-is)."""
    create = client.chat.completions.create
    known_names = _KNOWN_PARAMS.get(type(client))
    if known_names is None:
        known_names = _KNOWN_PARAMS[type(client)] = frozenset(inspect.signature(create).parameters)
    known = {k: v for k, v in request.items() if k in known_names}
    extra = {k: v for k, v in request.items() if k not in known_names}
    return known, extra


def _retry_after_s(headers: Any) -> float | None:
    """Seconds from ``retry-after-ms`` or ``Retry-After`` (seconds; an HTTP date is not used)."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue
        if 0 <= seconds <= 600:
            return seconds
    return None


def _parse_and_validate(text: str, validate: Callable[[Any], T] | None) -> T | Any:
    value = parse_json_answer(text)
    return validate(value) if validate is not None else value


def _describe(exc: Exception) -> str:
    if isinstance(exc, InvalidAnswer):
        return _short(str(exc), 600)
    return _short(f"{type(exc).__name__}: {exc}", 600)


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
