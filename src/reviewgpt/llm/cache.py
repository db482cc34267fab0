"""A content-addressed cache of chat answers, so that no request is ever paid for twice.

The key is the SHA-256 of the whole request (model, messages, temperature, response format and
every other parameter), so a changed prompt or model is a new key and an unchanged one is
answered from disk by a rerun, a resumed crash or another stage. One small JSON file per
answer under ``<cache_dir>/<key[:2]>/<key>.json``, written through a temp file and a rename:
concurrent writers (threads or processes) never leave half a file.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from reviewgpt.fsutil import write_text_atomic
from reviewgpt.logging import get_logger

log = get_logger(__name__)


def request_key(request: dict[str, Any]) -> str:
    """The cache key of a request body: SHA-256 of its canonical JSON."""
    canonical = json.dumps(request, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class ResponseCache:
    """Answers keyed by :func:`request_key`, one JSON file each."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored answer ``{text, usage, model}``, or None (an unreadable entry counts as absent)."""
        path = self._path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, json.JSONDecodeError) as exc:
            log.warning("ignoring unreadable LLM cache entry %s: %s", path, exc)
            return None
        return entry if isinstance(entry, dict) and isinstance(entry.get("text"), str) else None

    def __contains__(self, key: str) -> bool:
        return self._path(key).exists()

    def put(self, key: str, entry: dict[str, Any]) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(path, json.dumps(entry, ensure_ascii=False))
