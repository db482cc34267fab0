"""A local OpenReview-compatible HTTP server for tests, benchmarks and the demo.

It speaks enough of the OpenReview API for the real ``openreview-py`` clients
(``openreview.Client`` for API v1, ``openreview.api.OpenReviewClient`` for API v2) to crawl a
venue from it: two real HTTP servers on 127.0.0.1 (one per API version) in a background thread,
with a request log and fault injection (429 with Retry-After, bursts of 500s, slow answers,
truncated PDFs).

Venue bundle format (a directory; every file optional)::

    <bundle>/groups.json      JSON list of raw group objects, v1 and v2 venue groups alike. A v2 venue
                              group carries content such as {"submission_name": {"value": "Submission"},
                              "domain": ..., "venue_id": ...}; a v1 group has no such content. Every group
                              listed is a venue for ``/venues`` and the ``venues`` group, unless a group
                              with id "venues" is given (then its members are the venues).
    <bundle>/v1_notes.jsonl   raw API v1 notes, one per line: submissions AND their replies
                              (id, forum, replyto, invitation, signatures, content with bare values,
                              cdate/tcdate/tmdate/ddate, number ...).
    <bundle>/v2_notes.jsonl   raw API v2 notes, one per line (invitations list, domain, content values
                              wrapped as {"value": ...}).
    <bundle>/pdfs/<file>.pdf  the PDF served at the URL path a note's content.pdf names
                              ("/pdf/<file>.pdf"), and at ``/pdf?id=<note id>`` for that note.

Endpoints (both APIs unless noted): ``GET /notes`` (id, forum, replyto, invitation — exact, or a
regex when it holds ``.*`` —, content.<field>, domain, mintcdate, details=replies|directReplies|
replyCount|directReplyCount, sort=id|<field>:asc|desc, after (id cursor), offset, limit, count,
stream), ``GET /groups`` (id, prefix; the ``venues`` group), ``GET /venues``, ``GET /pdf?id=``,
``GET /pdf/<file>.pdf``, ``POST /login`` (any username/password gets a token). Notes with a
``ddate`` are not listed. A page holds at most ``page_size`` notes whatever ``limit`` asks.

Example::

    with OpenReviewTestServer("bundle", page_size=50, faults=[Fault("/notes", status=429, retry_after=1)]) as srv:
        client = openreview.api.OpenReviewClient(baseurl=srv.baseurl_v2)
        notes = client.get_all_notes(invitation="ICLR.cc/2024/Conference/-/Submission", details="replies")
        print(len(srv.requests))

From a shell: ``python -m reviewgpt.testing.openreview_server --bundle DIR [--port-v1 P] [--port-v2 P]``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

#: the largest page the real API serves
MAX_PAGE = 1000


@dataclass
class Fault:
    """A fault the server injects into matching requests.

    Args:
        path: request path prefix it applies to, e.g. "/notes" or "/pdf".
        status: HTTP status to answer with (ignored when ``truncate`` is set).
        times: how many matching requests it hits; None for every one.
        retry_after: seconds for a Retry-After header (with 429/503).
        truncate: serve the PDF cut to half its size with status 200, as a broken transfer would.
        delay: seconds to wait before answering (with ``status=200`` the request is then served normally).
        match: a substring the request's query string must contain (e.g. "id=abc").
        api: 1 or 2 to hit only that API's server; None for both.
    """

    path: str
    status: int = 500
    times: int | None = 1
    retry_after: int | None = None
    truncate: bool = False
    delay: float = 0.0
    match: str | None = None
    api: int | None = None
    hits: int = 0

    def applies(self, api: int, path: str, query: str) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        if self.api is not None and self.api != api:
            return False
        if not path.startswith(self.path):
            return False
        return self.match is None or self.match in query


@dataclass(frozen=True)
class LoggedRequest:
    """One request the server answered."""

    api: int
    method: str
    path: str
    query: dict[str, str]
    status: int
    authorized: bool


def write_bundle(
    bundle_dir: Path,
    *,
    groups: Iterable[dict[str, Any]] = (),
    v1_notes: Iterable[dict[str, Any]] = (),
    v2_notes: Iterable[dict[str, Any]] = (),
    pdfs: dict[str, bytes | Path] | None = None,
) -> Path:
    """Write a venue bundle directory in the format above; ``pdfs`` maps file name -> bytes or a path."""
    bundle_dir = Path(bundle_dir)
    (bundle_dir / "pdfs").mkdir(parents=True, exist_ok=True)
    (bundle_dir / "groups.json").write_text(json.dumps(list(groups), indent=1), encoding="utf-8")
    for name, notes in (("v1_notes.jsonl", v1_notes), ("v2_notes.jsonl", v2_notes)):
        with open(bundle_dir / name, "w", encoding="utf-8") as fh:
            for note in notes:
                fh.write(json.dumps(note, ensure_ascii=False) + "\n")
    for name, data in (pdfs or {}).items():
        target = bundle_dir / "pdfs" / name
        target.write_bytes(Path(data).read_bytes() if isinstance(data, Path) else data)
    return bundle_dir


def v2_venue_group(venue_id: str, submission_name: str = "Submission") -> dict[str, Any]:
    """An API v2 venue group, as ``GET /groups?id=<venue>`` returns it (constructed)."""
    content = {
        "submission_name": {"value": submission_name},
        "venue_id": {"value": venue_id},
        "rejected_venue_id": {"value": f"{venue_id}/Rejected_Submission"},
        "withdrawn_venue_id": {"value": f"{venue_id}/Withdrawn_Submission"},
        "desk_rejected_venue_id": {"value": f"{venue_id}/Desk_Rejected_Submission"},
    }
    return {"id": venue_id, "domain": venue_id, "content": content, "readers": ["everyone"], "members": []}


def v2_submission(
    venue_id: str, note_id: str, number: int, *, title: str, abstract: str = "", venueid: str | None = None,
    venue: str | None = None, pdf: str | None = None, tmdate: int = 1_700_000_000_000, authors: list[str] | None = None,
) -> dict[str, Any]:
    """An API v2 submission note in the shape ``openreview.api.Note.from_json`` reads (constructed)."""
    content: dict[str, Any] = {
        "title": {"value": title},
        "abstract": {"value": abstract},
        "authors": {"value": authors or [f"Author {number}"]},
        "keywords": {"value": ["deep learning"]},
        "venueid": {"value": venueid or venue_id},
    }
    if venue:
        content["venue"] = {"value": venue}
    if pdf:
        content["pdf"] = {"value": pdf}
    return {
        "id": note_id, "forum": note_id, "number": number, "domain": venue_id,
        "invitations": [f"{venue_id}/-/Submission", f"{venue_id}/-/Post_Submission"],
        "content": content, "signatures": [f"{venue_id}/Submission{number}/Authors"], "readers": ["everyone"],
        "writers": [venue_id], "cdate": tmdate - 1000, "tcdate": tmdate - 1000, "tmdate": tmdate, "mdate": tmdate,
        "odate": tmdate - 1000, "license": "CC BY 4.0",
    }


def v2_reply(
    venue_id: str, forum: str, number: int, note_id: str, invitation_name: str, content: dict[str, Any], *,
    signature: str | None = None, replyto: str | None = None, tmdate: int = 1_700_000_000_000,
) -> dict[str, Any]:
    """An API v2 reply (review, decision, comment ...) with content values wrapped (constructed)."""
    return {
        "id": note_id, "forum": forum, "replyto": replyto or forum, "domain": venue_id,
        "invitations": [f"{venue_id}/Submission{number}/-/{invitation_name}", f"{venue_id}/-/Edit"],
        "content": {k: {"value": v} for k, v in content.items()},
        "signatures": [signature or f"{venue_id}/Submission{number}/Reviewer_{note_id[-4:]}"],
        "readers": ["everyone"], "writers": [venue_id], "cdate": tmdate, "tcdate": tmdate, "tmdate": tmdate,
        "mdate": tmdate,
    }


def _unwrap(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) and "value" in value else value


def _content_value(note: dict[str, Any], key: str) -> Any:
    return _unwrap((note.get("content") or {}).get(key))


class _VenueData:
    """The notes, groups and PDFs of a bundle, indexed for the queries the clients make."""

    def __init__(self, bundle_dir: Path | None):
        self.bundle_dir = Path(bundle_dir) if bundle_dir else None
        self.lock = threading.RLock()
        self.groups: dict[str, dict[str, Any]] = {}
        self.notes: dict[int, dict[str, dict[str, Any]]] = {1: {}, 2: {}}
        if self.bundle_dir is None:
            return
        groups_file = self.bundle_dir / "groups.json"
        if groups_file.exists():
            for group in json.loads(groups_file.read_text(encoding="utf-8")):
                self.groups[group["id"]] = group
        for api in (1, 2):
            path = self.bundle_dir / f"v{api}_notes.jsonl"
            if path.exists():
                with open(path, encoding="utf-8") as fh:
                    for line in fh:
                        if line.strip():
                            note = json.loads(line)
                            self.notes[api][note["id"]] = note

    def put_note(self, api: int, note: dict[str, Any]) -> None:
        with self.lock:
            self.notes[api][note["id"]] = note

    def venue_ids(self) -> list[str]:
        if "venues" in self.groups:
            return list(self.groups["venues"].get("members") or [])
        return sorted(self.groups)

    def pdf_file(self, name: str) -> Path | None:
        if self.bundle_dir is None or "/" in name or name.startswith("."):
            return None
        path = self.bundle_dir / "pdfs" / name
        return path if path.is_file() else None


def _matches(api: int, note: dict[str, Any], params: dict[str, str]) -> bool:
    if note.get("ddate") and params.get("trash") != "true":
        return False
    for key in ("id", "forum", "replyto", "number"):
        if key in params and str(note.get(key)) != params[key]:
            return False
    if "invitation" in params:
        wanted = params["invitation"]
        invitations = (note.get("invitations") or []) if api == 2 else [note.get("invitation") or ""]
        if ".*" in wanted:
            pattern = re.compile(wanted)
            if not any(pattern.fullmatch(inv) for inv in invitations):
                return False
        elif wanted not in invitations:
            return False
    if "domain" in params and note.get("domain") != params["domain"]:
        return False
    if "mintcdate" in params:
        created = note.get("tcdate") or note.get("cdate") or 0
        if created < int(params["mintcdate"]):
            return False
    for key, value in params.items():
        if key.startswith("content.") and str(_content_value(note, key[8:])) != value:
            return False
    return True


def _sort_notes(notes: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    field_name, _, order = sort.partition(":")
    reverse = order == "desc"
    if field_name == "id":
        return sorted(notes, key=lambda n: n["id"], reverse=reverse)
    return sorted(notes, key=lambda n: (n.get(field_name) or 0, n["id"]), reverse=reverse)


class _ReplyIndex:
    """Live (not deleted) replies by forum and by replyto, oldest first."""

    def __init__(self, notes: Iterable[dict[str, Any]]):
        self.by_forum: dict[str, list[dict[str, Any]]] = {}
        self.by_replyto: dict[str, list[dict[str, Any]]] = {}
        for note in sorted(notes, key=lambda n: (n.get("cdate") or 0, n["id"])):
            if note.get("ddate"):
                continue
            if note.get("forum") and note["forum"] != note["id"]:
                self.by_forum.setdefault(note["forum"], []).append(note)
            if note.get("replyto"):
                self.by_replyto.setdefault(note["replyto"], []).append(note)


class _Handler(BaseHTTPRequestHandler):
    server: _ApiServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr access logs
        pass

    # -- plumbing

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)
        self._status = status

    def _json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(obj).encode(), "application/json; charset=utf-8", headers)

    def _error(self, status: int, name: str, message: str, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"name": name, "message": message, "status": status}, headers)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._dispatch("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        split = urlsplit(self.path)
        path = split.path.rstrip("/") or "/"
        params = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        owner = self.server.owner
        api = self.server.api_version
        self._status = 0
        truncate = False
        try:
            fault = owner._take_fault(api, path, split.query)
            if fault is not None:
                if fault.delay:
                    time.sleep(fault.delay)
                if fault.truncate:
                    truncate = True
                elif fault.status != 200:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else None
                    self._error(fault.status, "Error", f"injected fault {fault.status}", headers)
                    return
            if method == "POST" and path == "/login":
                self._login()
            elif method == "GET" and path == "/notes":
                self._notes(params)
            elif method == "GET" and path == "/groups":
                self._groups(params)
            elif method == "GET" and path == "/venues":
                self._json(200, {"venues": [{"id": v} for v in owner.data.venue_ids()]})
            elif method == "GET" and path == "/pdf":
                self._pdf_by_id(params.get("id", ""), truncate)
            elif method == "GET" and path.startswith("/pdf/"):
                self._pdf_file(path[len("/pdf/"):], truncate)
            else:
                self._error(404, "NotFoundError", f"no route {method} {path}")
        finally:
            owner._log(
                LoggedRequest(
                    api=api, method=method, path=path, query=params, status=self._status,
                    authorized=bool(self.headers.get("Authorization")),
                )
            )

    # -- endpoints

    def _login(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        if not body.get("id") or not body.get("password"):
            self._error(400, "MissingRequiredError", "id and password are required")
            return
        profile = {"id": "~Test_User1"}
        self._json(200, {"token": "test-token", "user": {"id": body["id"], "profile": profile}})

    def _notes(self, params: dict[str, str]) -> None:
        owner = self.server.owner
        api = self.server.api_version
        data = owner.data
        with data.lock:
            pool = data.notes[api]
            found = [n for n in pool.values() if _matches(api, n, params)]
            found = _sort_notes(found, params.get("sort") or "id")
            total = len(found)
            if params.get("after"):
                found = [n for n in found if n["id"] > params["after"]]
            offset = int(params.get("offset") or 0)
            if params.get("stream") == "true":
                page = found[offset:]
            else:
                limit = min(int(params.get("limit") or owner.page_size), owner.page_size)
                page = found[offset : offset + limit]
            details = {d for d in (params.get("details") or "").split(",") if d}
            if details:
                index = _ReplyIndex(pool.values())
                page = [self._with_details(n, details, index) for n in page]
        body: dict[str, Any] = {"notes": page}
        # API v1 answered with the count on every call (openreview.Client reads it when asked);
        # API v2 only when count=true.
        if api == 1 or params.get("count") == "true":
            body["count"] = total
        self._json(200, body)

    @staticmethod
    def _with_details(note: dict[str, Any], details: set[str], index: _ReplyIndex) -> dict[str, Any]:
        note = dict(note)
        extra: dict[str, Any] = dict(note.get("details") or {})
        replies = index.by_forum.get(note["id"], [])
        direct = index.by_replyto.get(note["id"], [])
        if "replies" in details:
            extra["replies"] = replies
        if "replyCount" in details:
            extra["replyCount"] = len(replies)
        if "directReplies" in details:
            extra["directReplies"] = direct
        if "directReplyCount" in details:
            extra["directReplyCount"] = len(direct)
        note["details"] = extra
        return note

    def _groups(self, params: dict[str, str]) -> None:
        data = self.server.owner.data
        groups = dict(data.groups)
        if "venues" not in groups:
            groups["venues"] = {"id": "venues", "members": data.venue_ids(), "readers": ["everyone"]}
        if "id" in params:
            group = groups.get(params["id"])
            if group is None:
                self._error(404, "NotFoundError", f"Group Not Found: {params['id']}")
                return
            self._json(200, {"groups": [group], "count": 1})
            return
        found = [g for g in groups.values() if g["id"].startswith(params.get("prefix", ""))]
        self._json(200, {"groups": found, "count": len(found)})

    def _pdf_by_id(self, note_id: str, truncate: bool) -> None:
        data = self.server.owner.data
        note = data.notes[self.server.api_version].get(note_id) or data.notes[1].get(note_id) or data.notes[2].get(note_id)
        pdf = _content_value(note, "pdf") if note else None
        if not pdf:
            self._error(404, "NotFoundError", f"no PDF for note {note_id}")
            return
        self._pdf_file(str(pdf).rsplit("/", 1)[-1], truncate)

    def _pdf_file(self, name: str, truncate: bool) -> None:
        path = self.server.owner.data.pdf_file(name)
        if path is None:
            self._error(404, "NotFoundError", f"PDF not found: {name}")
            return
        body = path.read_bytes()
        if truncate:
            body = body[: len(body) // 2]
        self._send(200, body, "application/pdf")


class _ApiServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], owner: OpenReviewTestServer, api_version: int):
        super().__init__(address, _Handler)
        self.owner = owner
        self.api_version = api_version


class OpenReviewTestServer:
    """Serve a venue bundle over real HTTP on 127.0.0.1, API v1 and API v2 on two ports.

    Args:
        bundle_dir: a venue bundle directory (see the module docstring); None for an empty server.
        page_size: the most notes one ``/notes`` page holds (a small value exercises pagination).
        faults: faults to inject; more can be added with :meth:`add_fault` while it runs.
        port_v1: port of the API v1 server (0 picks a free one).
        port_v2: port of the API v2 server (0 picks a free one).

    Attributes:
        baseurl_v1: ``http://127.0.0.1:<port>`` for ``openreview.Client``.
        baseurl_v2: ``http://127.0.0.1:<port>`` for ``openreview.api.OpenReviewClient``.
        requests: every request answered so far, in order (a :class:`LoggedRequest` each).
    """

    def __init__(
        self,
        bundle_dir: Path | str | None = None,
        *,
        page_size: int = MAX_PAGE,
        faults: Iterable[Fault] = (),
        port_v1: int = 0,
        port_v2: int = 0,
    ):
        self.data = _VenueData(Path(bundle_dir) if bundle_dir else None)
        self.page_size = max(1, min(page_size, MAX_PAGE))
        self.faults: list[Fault] = list(faults)
        self.requests: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._ports = (port_v1, port_v2)
        self._servers: list[_ApiServer] = []
        self._threads: list[threading.Thread] = []

    # -- lifecycle

    def start(self) -> OpenReviewTestServer:
        for api, port in zip((1, 2), self._ports, strict=True):
            server = _ApiServer(("127.0.0.1", port), self, api)
            thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"openreview-test-v{api}", daemon=True)
            thread.start()
            self._servers.append(server)
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        self._servers.clear()
        self._threads.clear()

    def __enter__(self) -> OpenReviewTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def baseurl_v1(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    @property
    def baseurl_v2(self) -> str:
        return f"http://127.0.0.1:{self._servers[1].server_address[1]}"

    # -- test controls

    def add_fault(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def put_note(self, api: int, note: dict[str, Any]) -> None:
        """Add a note, or replace the one with its id (an edit); set its tmdate yourself."""
        self.data.put_note(api, note)

    def requests_to(self, path_prefix: str, api: int | None = None) -> list[LoggedRequest]:
        """The logged requests whose path starts with ``path_prefix`` (and to ``api``, if given)."""
        with self._lock:
            return [r for r in self.requests if r.path.startswith(path_prefix) and (api is None or r.api == api)]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- called by the handler

    def _take_fault(self, api: int, path: str, query: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.applies(api, path, query):
                    fault.hits += 1
                    return fault
        return None

    def _log(self, entry: LoggedRequest) -> None:
        with self._lock:
            self.requests.append(entry)


def main(argv: list[str] | None = None) -> None:
    """Serve a bundle until Ctrl-C: ``python -m reviewgpt.testing.openreview_server --bundle DIR``."""
    parser = argparse.ArgumentParser(description="Serve an OpenReview venue bundle on 127.0.0.1 (API v1 and v2).")
    parser.add_argument("--bundle", type=Path, required=True, help="venue bundle directory")
    parser.add_argument("--port-v1", type=int, default=3000, help="API v1 port (0: any free port)")
    parser.add_argument("--port-v2", type=int, default=3001, help="API v2 port (0: any free port)")
    parser.add_argument("--page-size", type=int, default=MAX_PAGE, help="most notes per /notes page")
    args = parser.parse_args(argv)
    if not args.bundle.is_dir():
        parser.error(f"not a directory: {args.bundle}")
    server = OpenReviewTestServer(args.bundle, page_size=args.page_size, port_v1=args.port_v1, port_v2=args.port_v2)
    with server:
        print(f"API v1: {server.baseurl_v1}\nAPI v2: {server.baseurl_v2}", flush=True)
        print(f"reviewgpt crawl --baseurl {server.baseurl_v1} --baseurl-v2 {server.baseurl_v2} --list-venues", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
