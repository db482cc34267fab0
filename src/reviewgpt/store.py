"""The stage store: versioned output folders that every stage writes through.

Layout (see docs/DATA.md)::

    <data_dir>/<stage>/<version>/manifest.json   what ran, with what, and how it ended
    <data_dir>/<stage>/<version>/errors.jsonl    one line per failed item {id, stage, error, detail}
    <data_dir>/<stage>/<version>/run.log         the run's log
    <data_dir>/<stage>/<version>/<records>.jsonl records, appended and flushed as they finish
    <data_dir>/<stage>/LATEST                    the newest *finished* version

A killed run loses nothing finished: each record is flushed when written, a rerun into the
same version skips the ids already written, and ``LATEST`` moves only in :meth:`StageRun.finish`.
An OS lock (``flock``) on ``.lock`` keeps two processes from writing one version at once; the
kernel drops it when its holder dies, so a killed run never leaves a lock to take over.

The failure rule (docs/failures.md): a run that wrote no record, or whose failures pass its
``max_failures``, ends ``failed`` with :class:`~reviewgpt.errors.RunFailedError` (exit 1) and leaves
LATEST where it was; a run with some failures within the limit finishes and reports the count.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import socket
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

import jsonlines
from pydantic import BaseModel

from reviewgpt import __version__
from reviewgpt.artifacts import ERRORS, MANIFEST, PREVIOUS_ERRORS, output_of, read_manifest
from reviewgpt.errors import RunFailedError, StoreError
from reviewgpt.fsutil import write_text_atomic
from reviewgpt.logging import add_file_handler, get_logger, remove_handler

log = get_logger(__name__)

#: Stage folder names in pipeline order, and the stage each one reads by default.
STAGES: tuple[str, ...] = ("crawl", "parse", "aggregate", "dataset", "train", "infer", "evaluate")

LATEST = "LATEST"
LOCK = ".lock"

R = TypeVar("R", bound=BaseModel)


def utc_now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_version_name() -> str:
    """A version name from the current time, sortable: ``20261122-031500``."""
    return datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def sha256_json(obj: Any) -> str:
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write JSON through a temp file and a rename, so readers never see half a file."""
    write_text_atomic(path, json.dumps(obj, indent=2, default=str, ensure_ascii=False) + "\n")


# ---------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class InputRef:
    """A finished version of a stage that another stage reads."""

    stage: str
    version: str
    path: Path

    def file(self, name: str | os.PathLike[str]) -> Path:
        """The path of ``name`` (an :class:`~reviewgpt.artifacts.Artifact` or a file name) in this version.

        Raises:
            StoreError: the version has no such file.
        """
        path = self.path / name
        if not path.exists():
            raise StoreError(f"{self.stage} version '{self.version}' has no {name} ({path})")
        return path

    def to_manifest(self) -> dict[str, Any]:
        manifest = self.path / MANIFEST
        return {
            "stage": self.stage,
            "version": self.version,
            "path": str(self.path),
            "manifest_sha256": sha256_file(manifest) if manifest.exists() else None,
        }


def stage_dir(data_dir: Path, stage: str) -> Path:
    return Path(data_dir) / stage


def latest_version(data_dir: Path, stage: str) -> str | None:
    pointer = stage_dir(data_dir, stage) / LATEST
    if not pointer.exists():
        return None
    name = pointer.read_text(encoding="utf-8").strip()
    return name or None


def resolve_input(data_dir: Path, stage: str, version: str | None = None) -> InputRef:
    """Find a version of ``stage`` to read: the one named, or the stage's LATEST.

    Raises:
        StoreError: the stage has no finished version, or the named one does not exist.
    """
    if version is None:
        version = latest_version(data_dir, stage)
        if version is None:
            raise StoreError(
                f"no finished '{stage}' version under {stage_dir(data_dir, stage)}: "
                f"run the {stage} stage first or pass --input"
            )
    path = stage_dir(data_dir, stage) / version
    if not path.is_dir():
        known = ", ".join(list_version_names(data_dir, stage)) or "none"
        raise StoreError(f"{stage} version '{version}' not found under {stage_dir(data_dir, stage)} (known: {known})")
    return InputRef(stage=stage, version=version, path=path)


def list_version_names(data_dir: Path, stage: str) -> list[str]:
    root = stage_dir(data_dir, stage)
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def iter_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSONL file; a torn last line (a killed writer) is ignored."""
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.isspace():  # not strip(): that copies every 40k-character line
                continue
            if not line.endswith("\n"):
                log.warning("%s:%d: ignoring an unfinished last line", path, lineno)
                return
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise StoreError(f"{path}:{lineno}: not valid JSON ({exc.msg})") from exc


def read_records(path: Path, model: type[R]) -> Iterator[R]:
    """Yield records of type ``model`` from a JSONL file, validating each one.

    Raises:
        StoreError: a line does not match the record type (its schema_version included).
    """
    from pydantic import ValidationError

    for lineno, obj in enumerate(iter_jsonl(path), 1):
        try:
            yield model.model_validate(obj)
        except ValidationError as exc:
            first = exc.errors()[0]
            loc = ".".join(str(p) for p in first["loc"])
            raise StoreError(f"{path}: record {lineno}: {loc}: {first['msg']}") from exc


def count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


# ---------------------------------------------------------------------------- writing


@dataclass
class StageReport:
    """What a stage run returns to the CLI."""

    stage: str
    version: str
    path: Path
    counts: dict[str, int]
    extra: dict[str, Any] = field(default_factory=dict)

    def summary(self) -> str:
        c = self.counts
        line = (
            f"{self.stage} {self.version}: ok={c.get('ok', 0)} skipped={c.get('skipped', 0)} "
            f"failed={c.get('failed', 0)} -> {self.path}"
        )
        if c.get("failed"):
            line += f" ({c['failed']} failed: see {self.path / ERRORS})"
        return line


class StageRun:
    """One run of a stage writing one version folder. Use as a context manager.

    Example::

        with StageRun(data_dir, "parse", version, params=cfg.model_dump(mode="json"),
                      inputs=[crawl_ref]) as run:
            done = run.done_ids()
            for paper in papers:
                if paper.forum in done:
                    continue
                try:
                    run.append(parse_one(paper))
                except ParseError as exc:
                    run.fail(paper.forum, "corrupt-pdf", str(exc))
        report = run.report()

    Stages write that item loop with :func:`reviewgpt.stage.run_items` rather than by hand.

    Leaving the block normally finishes the run (manifest ``finished``, LATEST moved), unless
    the run wrote no record or more than ``max_failures`` items failed: then the manifest says
    ``failed`` and :class:`RunFailedError` is raised. An exception or Ctrl-C leaves the manifest
    ``failed`` or ``interrupted``; in every case but ``finished`` LATEST stays where it was.

    Args:
        data_dir: the data root (``./data``).
        stage: one of :data:`STAGES`.
        version: the output version name; a new time-based name when None.
        params: the resolved configuration, saved in the manifest.
        inputs: the versions this run reads.
        records: the main records file; ``done_ids``/``append`` default to it (default: the stage's
            records file in :mod:`reviewgpt.artifacts`).
        id_key: the field that identifies an item in the records file (default: the artifact's).
        max_failures: how many failed items a run may have and still finish (None: any number
            while at least one record was written; 0: ``--strict``).
    """

    def __init__(
        self,
        data_dir: Path,
        stage: str,
        version: str | None = None,
        *,
        params: dict[str, Any] | None = None,
        inputs: Iterable[InputRef] = (),
        records: str | os.PathLike[str] | None = None,
        id_key: str | None = None,
        max_failures: int | None = None,
    ):
        if stage not in STAGES:
            raise ValueError(f"unknown stage {stage!r}; expected one of {STAGES}")
        self.data_dir = Path(data_dir)
        self.stage = stage
        self.version = version or new_version_name()
        self.path = stage_dir(self.data_dir, stage) / self.version
        self.params = params or {}
        self.inputs = list(inputs)
        self.records = os.fspath(records) if records is not None else output_of(stage).records.name
        described = output_of(stage).artifact(self.records)
        self.id_key = id_key or (described.id_key if described else None) or "forum"
        self.max_failures = max_failures
        self.counts: Counter[str] = Counter(ok=0, skipped=0, failed=0)
        self.skip_reasons: Counter[str] = Counter()
        self.extra: dict[str, Any] = {}
        self._writers: dict[str, jsonlines.Writer] = {}
        self._errors: jsonlines.Writer | None = None
        self._log_handler = None
        self._lock_fd: int | None = None
        self._first_failure: str | None = None
        self._created_at = utc_now()
        self._finished = False
        self._started = time.monotonic()

    # -- lifecycle

    def __enter__(self) -> StageRun:
        self.path.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        try:
            old = read_manifest(self.path)
            if old:
                self._created_at = old.get("created_at", self._created_at)
                log.info("resuming %s version %s", self.stage, self.version)
            records = self.path / self.records
            if records.exists():  # records of an earlier attempt count as done
                self._repair_torn_tail(records)
                self.counts["ok"] = count_lines(records)
            errors = self.path / ERRORS
            if errors.exists():  # failures of an earlier attempt are retried, so their lines go
                os.replace(errors, self.path / PREVIOUS_ERRORS)
            self._errors = jsonlines.open(errors, mode="w", flush=True)
            self._log_handler = add_file_handler(self.path / "run.log")
            self._write_manifest("running")
        except BaseException:
            self._release_lock()
            raise
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        try:
            if exc_type is None and not self._finished:
                self.finish()
            elif exc_type is not None and not self._finished:
                status = "interrupted" if exc_type is KeyboardInterrupt else "failed"
                self._write_manifest(status, error=f"{exc_type.__name__}: {exc}")
                log.error(
                    "%s %s %s; finished records are kept: rerun with --version %s to resume",
                    self.stage, self.version, status, self.version,
                )
        finally:
            self._close()
            self._release_lock()

    def finish(self) -> None:
        """Mark the run finished and point the stage's LATEST at it.

        Raises:
            RunFailedError: the run wrote no record, or more items failed than ``max_failures``;
                the manifest then says ``failed`` and LATEST does not move.
        """
        for writer in self._writers.values():
            writer._fp.flush()  # noqa: SLF001 - jsonlines keeps the file object private
            os.fsync(writer._fp.fileno())  # noqa: SLF001
        cause = self.failure_cause()
        if cause is not None:
            self._finished = True  # ended: __exit__ must not rewrite the manifest
            self._write_manifest("failed", error=cause)
            latest = latest_version(self.data_dir, self.stage)
            kept = f"LATEST still points at {latest}" if latest else "LATEST not set"
            raise RunFailedError(f"{self.stage} {self.version} failed: {cause} ({kept})")
        self._write_manifest("finished")
        write_text_atomic(stage_dir(self.data_dir, self.stage) / LATEST, self.version + "\n")
        self._finished = True
        log.info(self.report().summary())

    def failure_cause(self) -> str | None:
        """Why this run, ended now, would count as failed (the rule above); None when it would not."""
        ok, failed, skipped = self.counts["ok"], self.counts["failed"], self.counts["skipped"]
        first = f"; first error: {self._first_failure}" if self._first_failure else ""
        if ok == 0:
            reasons = ", ".join(f"{reason}: {n}" for reason, n in self.skip_reasons.most_common(3))
            skipped_why = f" ({reasons})" if reasons else ""
            return f"no record written (0 ok, {failed} failed, {skipped} skipped{skipped_why}){first}"
        if self.max_failures is not None and failed > self.max_failures:
            limit = "--strict allows none" if self.max_failures == 0 else f"--max-failures is {self.max_failures}"
            return f"{failed} items failed and {limit}{first}"
        return None

    # -- records

    def file(self, name: str | os.PathLike[str]) -> Path:
        """Path of a file in this version's folder (for outputs that are not JSONL records)."""
        return self.path / name

    def done_ids(self, name: str | os.PathLike[str] | None = None, key: str | None = None) -> set[str]:
        """Ids already written to ``name`` by an earlier attempt at this version."""
        path = self.path / (name or self.records)
        key = key or self.id_key
        if not path.exists():
            return set()
        self._repair_torn_tail(path)
        done = {str(_get_key(obj, key)) for obj in iter_jsonl(path)}
        return done

    def append(
        self, record: BaseModel | dict[str, Any], name: str | os.PathLike[str] | None = None, *,
        count: bool | None = None,
    ) -> None:
        """Append one record and flush it, so a kill after this call cannot lose it.

        ``count``: whether the record counts as an ``ok`` item; None (the default): only when it
        goes to the main records file.
        """
        name = os.fspath(name) if name is not None else self.records
        writer = self._writers.get(name)
        if writer is None:
            path = self.path / name
            if path.exists():
                self._repair_torn_tail(path)
            writer = self._writers[name] = jsonlines.open(path, mode="a", flush=True)
        obj = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
        writer.write(obj)
        if count or (count is None and name == self.records):
            self.counts["ok"] += 1

    def fail(self, item_id: str, error: str, detail: str | None = None, *, raw: Any = None) -> None:
        """Record one failed item: one errors.jsonl line and one clear log line naming it.

        ``raw`` (an invalid LLM answer as received, say) goes into errors.jsonl only, not the log.
        """
        self.counts["failed"] += 1
        assert self._errors is not None, "StageRun used outside its with-block"
        row = {"id": item_id, "stage": self.stage, "error": error, "detail": detail}
        if raw is not None:
            row["raw"] = raw
        self._errors.write(row)
        if self._first_failure is None:
            self._first_failure = f"{item_id}: {error}" + (f": {detail[:200]}" if detail else "")
        log.warning("%s: %s%s", item_id, error, f": {detail}" if detail else "")

    def skip(self, item_id: str, reason: str) -> None:
        """Record one item left out on purpose, counted by reason in the manifest."""
        self.counts["skipped"] += 1
        self.skip_reasons[reason] += 1
        log.debug("%s: skipped (%s)", item_id, reason)

    def write_json(self, name: str | os.PathLike[str], obj: Any) -> Path:
        path = self.path / name
        write_json_atomic(path, obj)
        return path

    def report(self) -> StageReport:
        return StageReport(self.stage, self.version, self.path, dict(self.counts), dict(self.extra))

    # -- internals

    def _write_manifest(self, status: str, error: str | None = None) -> None:
        manifest = {
            "stage": self.stage,
            "version": self.version,
            "status": status,
            "created_at": self._created_at,
            "updated_at": utc_now(),
            "finished_at": utc_now() if status == "finished" else None,
            "seconds": round(time.monotonic() - self._started, 3),
            "package_version": __version__,
            "params": self.params,
            "params_sha256": sha256_json(self.params),
            "inputs": [ref.to_manifest() for ref in self.inputs],
            "counts": dict(self.counts),
            "skipped_reasons": dict(self.skip_reasons),
            "extra": self.extra,
            "error": error,
        }
        write_json_atomic(self.path / MANIFEST, manifest)

    def _acquire_lock(self) -> None:
        # flock, not a create-exclusive file: taking the lock is one atomic call, and the kernel
        # releases it when the holder dies, so no process ever has to judge a lock stale and
        # two cannot both take one over. The file is never deleted (deleting it would let a
        # waiter lock the old inode while a newcomer locks a new one).
        lock = self.path / LOCK
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            holder = _read_lock(lock)
            who = f"pid {holder.get('pid')} on {holder.get('host')}" if holder else "another process"
            raise StoreError(
                f"{self.stage} version '{self.version}' is being written by {who} (lock {lock}); "
                "wait for it to end, or write another --version"
            ) from None
        payload = json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": utc_now()})
        os.ftruncate(fd, 0)
        os.pwrite(fd, payload.encode(), 0)
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)  # closing the last descriptor drops the flock
            self._lock_fd = None

    def _close(self) -> None:
        for writer in self._writers.values():
            writer.close()
        self._writers.clear()
        if self._errors is not None:
            self._errors.close()
            self._errors = None
        if self._log_handler is not None:
            remove_handler(self._log_handler)
            self._log_handler = None

    @staticmethod
    def _repair_torn_tail(path: Path) -> None:
        """Cut a half-written last line left by a killed writer, so appends start clean."""
        with open(path, "rb+") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            if size == 0:
                return
            fh.seek(size - 1)
            if fh.read(1) == b"\n":
                return
            fh.seek(0)
            data = fh.read()
            keep = data.rfind(b"\n") + 1
            fh.truncate(keep)
            log.warning("%s: dropped a torn last line left by a killed run", path)


def _get_key(obj: dict[str, Any], key: str) -> Any:
    """Read ``key`` from a record; a tuple-like key ``"forum,sample"`` joins several fields."""
    if "," in key:
        return ":".join(str(obj.get(k)) for k in key.split(","))
    return obj.get(key)


def _read_lock(lock: Path) -> dict[str, Any] | None:
    try:
        return json.loads(lock.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def is_being_written(version_dir: Path) -> bool:
    """Whether a live process holds the version's lock (a ``running`` manifest without one was killed)."""
    lock = Path(version_dir) / LOCK
    try:
        fd = os.open(lock, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False
