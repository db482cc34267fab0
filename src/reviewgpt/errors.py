"""Errors meant for the user.

A :class:`ReviewGPTError` is shown by the CLI as one clean line with no traceback; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ReviewGPTError(Exception):
    """An error caused by input, configuration or environment, shown to the user as one line."""

    #: The process exit status the CLI uses for this error.
    exit_code = 2


class ConfigError(ReviewGPTError):
    """A configuration file or flag is invalid."""


class StoreError(ReviewGPTError):
    """A stage folder is missing, locked or unreadable."""


class RunFailedError(ReviewGPTError):
    """A run that produced nothing or hit a fatal error (no API key, unreachable server).

    The CLI exits 1 with one line naming the cause; the stage's LATEST does not move.
    Usage and configuration errors (every other :class:`ReviewGPTError`) exit 2.
    """

    exit_code = 1


class MissingExtraError(ReviewGPTError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str | None, needed_for: str):
        # extra None: a main dependency, missing from a broken or partial install
        install = f"pip install 'reviewgpt[{extra}]'" if extra else "reinstall reviewgpt (pip install reviewgpt)"
        super().__init__(f"{needed_for} needs the '{package}' package: {install}")


def require(module: str, extra: str | None, needed_for: str):
    """Import an optional module or raise :class:`MissingExtraError` naming the extra to install
    (``extra`` None for a main dependency imported late)."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, needed_for) from exc
