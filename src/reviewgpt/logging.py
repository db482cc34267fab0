"""One logger factory: logs go to stderr (rich) and, per stage run, to ``run.log`` in its folder.

Standard output carries results only (a review, a summary line), so ``reviewgpt review p.pdf > r.md``
writes the review alone. The CLI's ``--quiet`` / ``--verbose`` set the level shown on stderr;
``run.log`` keeps INFO either way.
"""

from __future__ import annotations

import logging
from pathlib import Path

_ROOT = "reviewgpt"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def get_logger(name: str) -> logging.Logger:
    """Return a logger under the ``reviewgpt`` namespace (``get_logger(__name__)``)."""
    return logging.getLogger(name if name.startswith(_ROOT) else f"{_ROOT}.{name}")


#: the level shown on stderr unless a command asks for debug logs; set by the CLI's --quiet / --verbose
_console_level = logging.INFO


def set_console_level(level: int) -> None:
    """The level of the stderr logs (and whether progress bars show: only at INFO or below)."""
    global _console_level
    _console_level = level
    for handler in logging.getLogger(_ROOT).handlers:
        if getattr(handler, "_reviewgpt_console", False):
            handler.setLevel(level)


def console_level() -> int:
    return _console_level


def setup_logging(verbose: bool = False) -> None:
    """Send reviewgpt's logs to stderr (never stdout); call once from the CLI.

    Args:
        verbose: show debug logs, whatever the CLI's level.
    """
    from rich.console import Console
    from rich.logging import RichHandler

    if verbose:
        set_console_level(logging.DEBUG)
    root = logging.getLogger(_ROOT)
    root.setLevel(min(_console_level, logging.INFO))
    if not any(getattr(h, "_reviewgpt_console", False) for h in root.handlers):
        handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
        handler.setLevel(_console_level)
        handler._reviewgpt_console = True
        root.addHandler(handler)


def add_file_handler(path: Path) -> logging.Handler:
    """Also write reviewgpt's logs to ``path``; returns the handler so the caller can remove it."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter(_FORMAT))
    root = logging.getLogger(_ROOT)
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def remove_handler(handler: logging.Handler) -> None:
    logging.getLogger(_ROOT).removeHandler(handler)
    handler.close()
