"""Atomic file writes: readers see the old file or the whole new one, never half a file.

Everything is written to a temporary sibling (same folder, so the same file system) and renamed
over the target only when the write finished; on any error the temporary file is removed and the
target is untouched. Temporary names start with a dot and end in ``.tmp``.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Process-wide counter: two threads writing the same target at once get different temp files
#: (``next`` on an itertools.count is atomic under the GIL).
_sequence = itertools.count()


def temp_sibling(path: Path) -> Path:
    """A fresh temporary name next to ``path``, unique within and across processes."""
    return path.with_name(f".{path.name}.{os.getpid()}.{next(_sequence)}.tmp")


@contextmanager
def replaced_on_success(path: Path | str) -> Iterator[Path]:
    """Yield a temporary path to write; on a normal exit it replaces ``path``, on an error it is removed.

    A writer that picks the format from the file name (matplotlib's ``savefig``) must be told the
    format, since the temporary name ends in ``.tmp``.
    """
    path = Path(path)
    tmp = temp_sibling(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with replaced_on_success(path) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(path: Path | str, text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically."""
    with replaced_on_success(path) as tmp:
        tmp.write_text(text, encoding=encoding)
