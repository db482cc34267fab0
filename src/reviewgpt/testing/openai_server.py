"""A fake OpenAI-compatible server: real HTTP on loopback, scripted answers and faults.

Tests, benchmarks and the demo point the real ``openai`` client (through
:class:`reviewgpt.llm.LLMClient`) at it, so everything of ours runs for real: HTTP, JSON mode,
retries, deadlines, rate limits. Example::

    def responder(body: dict) -> str:
        return json.dumps({"answer": body["messages"][-1]["content"].upper()})

    with FakeOpenAIServer(responder, faults=["429", "hang"], rpm_limit=600) as server:
        cfg = LLMConfig(base_url=server.base_url, timeout_s=1)
        ...
        assert len(server.requests) == ...

Faults are consumed in order, one per incoming request:

- ``"429"``: HTTP 429 with ``Retry-After`` (``retry_after_s``, default 1 s).
- ``"500"``: HTTP 500 with an OpenAI-style error body.
- ``"hang"``: no answer until the server stops (or ``hang_s``): the client's deadline must fire.
- ``"invalid_json"``: HTTP 200 whose message content is not valid JSON.

Above ``rpm_limit`` accepted requests in any ``window_s`` window (60 s, the rate scaled for a
shorter window), it answers 429 with ``Retry-After`` saying when a slot frees up.
"""

from __future__ import annotations

import itertools
import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FAULTS = ("429", "500", "hang", "invalid_json")


def _count_tokens(text: str) -> int:
    """Whitespace tokens: a stand-in for a tokenizer, stable for tests."""
    return len(text.split())


class FakeOpenAIServer:
    """An OpenAI-compatible ``/v1/chat/completions`` endpoint in a background thread.

    Args:
        responder: request body -> assistant message content (a JSON string in JSON mode).
            An exception in it becomes an HTTP 500.
        latency_s: seconds to wait before each answer.
        rpm_limit: accepted requests per minute; above it, 429 with Retry-After.
        faults: faults to inject, one per request in arrival order (see the module doc).
        window_s: the window ``rpm_limit`` is counted over (shorter windows make fast tests).
        retry_after_s: the Retry-After of an injected ``"429"``.
        hang_s: how long a ``"hang"`` lasts at most (it also ends when the server stops).

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1``.
        requests: every chat.completions request body received, in arrival order, with
            ``_received_at`` (``time.monotonic()``) and ``_status`` (the HTTP status answered; 0 for a hang) added.
    """

    def __init__(
        self,
        responder: Callable[[dict], str],
        *,
        latency_s: float = 0.0,
        rpm_limit: int | None = None,
        faults: Iterable[str] = (),
        window_s: float = 60.0,
        retry_after_s: float = 1.0,
        hang_s: float = 3600.0,
    ):
        faults = list(faults)
        unknown = [f for f in faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown faults {unknown}; expected some of {FAULTS}")
        self.responder = responder
        self.latency_s = latency_s
        self.rpm_limit = rpm_limit
        self.window_s = window_s
        self.retry_after_s = retry_after_s
        self.hang_s = hang_s
        self.requests: list[dict] = []
        self._faults: deque[str] = deque(faults)
        self._accepted: deque[float] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle

    def start(self) -> FakeOpenAIServer:
        handler = type("_Handler", (_Handler,), {"fake": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases hung handlers
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeOpenAIServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- helpers for tests

    @property
    def answered(self) -> list[dict]:
        """The requests answered with HTTP 200."""
        return [r for r in self.requests if r.get("_status") == 200]

    def max_in_window(self, window_s: float = 60.0, statuses: Iterable[int] = (200,)) -> int:
        """The most requests (of these statuses) received in any ``window_s`` sliding window."""
        wanted = set(statuses)
        times = sorted(r["_received_at"] for r in self.requests if r.get("_status") in wanted)
        best, lo = 0, 0
        for hi, t in enumerate(times):
            while times[lo] <= t - window_s:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # -- request handling (called from handler threads)

    def _admit(self, body: dict) -> tuple[dict, str | None, float | None]:
        """Log the request and decide its fate: (its log record, fault or None, seconds until a
        rate-limit slot frees up)."""
        now = time.monotonic()
        with self._lock:
            record = dict(body, _received_at=now, _status=None)
            self.requests.append(record)
            if self._faults:
                return record, self._faults.popleft(), None
            if self.rpm_limit:
                allowed = max(1, math.floor(self.rpm_limit * self.window_s / 60.0))
                while self._accepted and self._accepted[0] <= now - self.window_s:
                    self._accepted.popleft()
                if len(self._accepted) >= allowed:
                    return record, "rate_limited", self._accepted[0] + self.window_s - now
                self._accepted.append(now)
            return record, None, None

    def _completion(self, body: dict, content: str) -> dict:
        prompt = " ".join(str(m.get("content", "")) for m in body.get("messages", []))
        finish_reason = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if limit and _count_tokens(content) > limit:  # as OpenAI does: cut the answer at max_tokens
            content, finish_reason = " ".join(content.split()[:limit]), "length"
        prompt_tokens, completion_tokens = _count_tokens(prompt), _count_tokens(content)
        return {
            "id": f"chatcmpl-fake{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "fake-model"),
            "system_fingerprint": "fp_fake",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeOpenAIServer
    protocol_version = "HTTP/1.1"  # keep-alive, as the openai client expects

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet in tests
        pass

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    @staticmethod
    def _error(message: str, kind: str, code: str | None = None) -> dict:
        return {"error": {"message": message, "type": kind, "param": None, "code": code}}

    def do_GET(self) -> None:  # noqa: N802 - http.server naming
        if self.path.rstrip("/").endswith("/models"):
            self._send(200, {"object": "list", "data": [{"id": "fake-model", "object": "model", "owned_by": "reviewgpt"}]})
        else:
            self._send(404, self._error(f"no route {self.path}", "invalid_request_error"))

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send(404, self._error(f"no route {self.path}", "invalid_request_error"))
            return
        try:
            body = json.loads(raw)
        except json.JSONDecodeError:
            self._send(400, self._error("request body is not JSON", "invalid_request_error"))
            return
        fake = self.fake
        record, fault, wait_s = fake._admit(body)  # noqa: SLF001

        def status(code: int) -> None:
            with fake._lock:  # noqa: SLF001
                record["_status"] = code

        if fault == "rate_limited":
            retry = max(0.0, wait_s or 0.0)
            status(429)
            self._send(
                429,
                self._error("Rate limit reached for requests per minute", "requests", "rate_limit_exceeded"),
                {"Retry-After": str(max(1, math.ceil(retry))), "retry-after-ms": str(int(retry * 1000) + 1)},
            )
            return
        if fault == "429":
            status(429)
            self._send(
                429,
                self._error("Rate limit reached (injected)", "requests", "rate_limit_exceeded"),
                {"Retry-After": f"{fake.retry_after_s:g}"},
            )
            return
        if fault == "500":
            status(500)
            self._send(500, self._error("The server had an error (injected)", "server_error"))
            return
        if fault == "hang":
            status(0)  # never answered
            fake._stopping.wait(fake.hang_s)  # noqa: SLF001
            self.close_connection = True
            return
        if fake.latency_s:
            time.sleep(fake.latency_s)
        try:
            content = fake.responder(body)
        except Exception as exc:  # noqa: BLE001 - a responder bug becomes a 500 the client sees
            status(500)
            self._send(500, self._error(f"responder failed: {exc}", "server_error"))
            return
        if fault == "invalid_json":
            content = content[: max(1, len(content) // 2)] + " <truncated"
        status(200)
        self._send(200, fake._completion(body, content))  # noqa: SLF001

    def handle_one_request(self) -> None:
        try:
            super().handle_one_request()
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (deadline): fine
            self.close_connection = True
