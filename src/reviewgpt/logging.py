"""One logger factory: logs go to stderr (rich) and, per stage run, to ``run.log`` in its folder."""

from __future__ import annotations

import logging
from pathlib import Path

_ROOT = "reviewgpt"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def get_logger(name: str) -> logging.Logger:
    """Return a logger under the ``reviewgpt`` namespace (``get_logger(__name__)``)."""
    return logging.getLogger(name if name.startswith(_ROOT) else f"{_ROOT}.{name}")


def setup_logging(verbose: bool = False) -> None:
    """Send reviewgpt's logs to stderr; call once from the CLI."""
    from rich.console import Console
    from rich.logging import RichHandler

    root = logging.getLogger(_ROOT)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not any(isinstance(h, RichHandler) for h in root.handlers):
        # rich's default console is stdout, where results go
        handler = RichHandler(console=Console(stderr=True), show_path=False, rich_tracebacks=False, markup=False)
        handler.setFormatter(logging.Formatter("%(message)s"))
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
