"""Deterministic, leak-free split assignment by paper."""

from __future__ import annotations

import hashlib

from reviewgpt.records.dataset import SPLITS

__all__ = ["SPLITS", "assign_split"]


def assign_split(key: str, fractions: tuple[float, float, float], seed: int) -> str:
    """The split of one paper, from a hash of ``(seed, key)`` alone.

    ``key`` is the paper's normalized title, so the same paper under another venue or version
    lands in the same split, and a paper keeps its split when the dataset is rebuilt with more
    papers: a test paper of one dataset version is never a training paper of the next.

    Args:
        key: the paper's group key (normalized title, else forum).
        fractions: train, val, test fractions summing to 1.
        seed: a different seed gives a different, equally deterministic assignment.
    """
    digest = hashlib.sha256(f"{seed}\x00{key}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64  # uniform in [0, 1)
    _, val, test = fractions
    if u < test:
        return "test"
    if u < test + val:
        return "val"
    return "train"
