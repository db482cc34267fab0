"""A worker function whose module takes 3 s to import: a parse worker starting on a loaded machine."""

from __future__ import annotations

import time

time.sleep(3.0)


def quick(task: int) -> int:
    return task * 2
