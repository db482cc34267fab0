"""Errors meant for the user.

A :class:`ReviewGPTError` is shown by the CLI as one clean line with no traceback; anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations


class ReviewGPTError(Exception):
    """An error caused by input, configuration or environment, shown to the user as one line."""


class ConfigError(ReviewGPTError):
    """A configuration file or flag is invalid."""


class StoreError(ReviewGPTError):
    """A stage folder is missing, locked or unreadable."""


class MissingExtraError(ReviewGPTError):
    """An optional dependency is not installed."""

    def __init__(self, package: str, extra: str, needed_for: str):
        super().__init__(
            f"{needed_for} needs the '{package}' package: pip install 'reviewgpt[{extra}]'"
        )


def require(module: str, extra: str, needed_for: str):
    """Import an optional module or raise :class:`MissingExtraError` naming the extra to install."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(module.split(".")[0], extra, needed_for) from exc
