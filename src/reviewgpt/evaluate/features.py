"""Pair features for the offline judge: how alike are point ``i`` of review A and point ``j`` of B.

The plain cosine of two MiniLM point embeddings agrees with a GPT-4 judge barely above chance
(issue 11): generic comments ("the paper lacks comparisons") sit close to everything, and a long
point that makes several claims is far from a short one that makes one of them. The features here
describe each pair *in the context of its comparison* (every point of A against every point of B),
so a small calibrated model can tell a real match from a merely generic neighbour:

- embedding: point cosine, BERTScore-style token alignment (how much of B's tokens find a close
  token in A, and the reverse), the cosine standardised within the comparison;
- context: the margin to the best other candidate in the row and the column, and whether the pair
  is the mutual best (a one-to-one matcher rewards exactly this);
- words: content-word overlap weighted by how rare the word is *within this paper's points* (so the
  method's name, which every point repeats, counts little), shared numbers and table/figure refs;
- shape: length ratio and the sizes of the two reviews.

Only numpy is imported here; embeddings come from :mod:`reviewgpt.evaluate.judges.embedding`.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Every feature this module can compute, in the order of the last axis of :func:`pair_features`.
FEATURE_NAMES: tuple[str, ...] = (
    "cos",
    "token_precision",
    "token_recall",
    "token_f1",
    "cos_z",
    "row_margin",
    "col_margin",
    "mutual_best",
    "row_rank",
    "col_rank",
    "word_idf_overlap",
    "word_jaccard",
    "number_overlap",
    "log_len_ratio",
    "log_n_a",
    "log_n_b",
)

_WORD = re.compile(r"[a-z][a-z0-9\-]+|\d+(?:\.\d+)?")
_NUMBER = re.compile(r"(?:table|figure|fig\.?|section|sec\.?|eq\.?|equation|appendix)\s*\(?[a-z]?\d+|\d+(?:\.\d+)?%?", re.I)

# Function words and review boilerplate ("the authors should ...") that say nothing about which
# point is made; kept short on purpose: IDF within the comparison handles the rest.
_STOPWORDS = frozenset(
    """a about above after again all also an and any are as at be because been being below between both but by
    can could did do does doing during each either few for from further had has have having how however i if in
    into is it its itself just may might more most much must no nor not of off on once only or other our out over
    own same should so some such than that the their them then there these they this those through to too under
    until up very was we were what when where which while who whom why will with would you your paper authors
    author work proposed propose proposes approach method methods results result provide provides provided show
    shows shown could would should the it's e.g. i.e. etc well like make makes made use used using one two""".split()
)


def content_words(text: str) -> set[str]:
    """Lower-cased content words with a crude plural strip ("baselines" -> "baseline")."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOPWORDS or len(word) < 3:
            continue
        if len(word) > 4 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return words


def numbers(text: str) -> set[str]:
    """Numbers and table/figure/section references, normalised ("Table 4" -> "table4")."""
    return {re.sub(r"[\s().]", "", m.lower()) for m in _NUMBER.findall(text)}


@dataclass(frozen=True)
class EncodedPoints:
    """The embeddings of one review's points: one unit vector per point and per token."""

    texts: tuple[str, ...]
    points: np.ndarray  # (n, d) unit rows (mean-pooled sentence embeddings)
    tokens: tuple[np.ndarray, ...]  # n arrays of shape (t_i, d), unit rows (contextual token embeddings)


def _rank_desc(matrix: np.ndarray, axis: int) -> np.ndarray:
    """1 for the largest value along ``axis``, 2 for the next, ... (ties share the lower rank)."""
    order = np.argsort(-matrix, axis=axis, kind="stable")
    return np.argsort(order, axis=axis, kind="stable").astype(float) + 1.0


def _margin(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Value minus the best *other* value along ``axis`` (positive only for the best)."""
    n = matrix.shape[axis]
    if n < 2:
        return np.zeros_like(matrix)
    top2 = -np.sort(-matrix, axis=axis).take([0, 1], axis=axis)
    best, second = np.take(top2, 0, axis=axis), np.take(top2, 1, axis=axis)
    best = np.expand_dims(best, axis)
    second = np.expand_dims(second, axis)
    return np.where(matrix >= best, matrix - second, matrix - best)


def _token_alignment(a: EncodedPoints, b: EncodedPoints, cos: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Token precision and recall of every pair (arrays shaped and typed like ``cos``).

    BERTScore (Zhang et al. 2020) with MiniLM's tokens: greedy token alignment sees that a long
    point *contains* a short one, which the pooled cosine blurs.
    """
    token_precision = np.empty_like(cos)
    token_recall = np.empty_like(cos)
    for i, ta in enumerate(a.tokens):
        for j, tb in enumerate(b.tokens):
            sims = ta @ tb.T
            token_precision[i, j] = sims.max(axis=1).mean()  # A's tokens found in B
            token_recall[i, j] = sims.max(axis=0).mean()  # B's tokens found in A
    return token_precision, token_recall


def _word_overlaps(
    texts_a: Sequence[str], texts_b: Sequence[str], cos: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IDF-weighted word overlap, word Jaccard and shared-number flag of every pair (shaped like ``cos``)."""
    words_a = [content_words(t) for t in texts_a]
    words_b = [content_words(t) for t in texts_b]
    # IDF over this comparison's points: a word in every point (the method's name) weighs ~0.
    doc_freq = Counter(w for ws in words_a + words_b for w in ws)
    n_docs = len(texts_a) + len(texts_b)
    idf = {w: math.log((n_docs + 1) / (df + 0.5)) for w, df in doc_freq.items()}
    nums_a = [numbers(t) for t in texts_a]
    nums_b = [numbers(t) for t in texts_b]
    idf_overlap = np.zeros_like(cos)
    jaccard = np.zeros_like(cos)
    num_overlap = np.zeros_like(cos)
    for i in range(len(texts_a)):
        for j in range(len(texts_b)):
            shared = words_a[i] & words_b[j]
            union = words_a[i] | words_b[j]
            if union:
                jaccard[i, j] = len(shared) / len(union)
                smaller = min(sum(idf[w] for w in words_a[i]), sum(idf[w] for w in words_b[j]))
                idf_overlap[i, j] = sum(idf[w] for w in shared) / smaller if smaller > 0 else 0.0
            num_overlap[i, j] = float(bool(nums_a[i] & nums_b[j]))
    return idf_overlap, jaccard, num_overlap


def pair_features(a: EncodedPoints, b: EncodedPoints) -> np.ndarray:
    """Features of every (point of A, point of B) pair of one comparison.

    Args:
        a: the encoded points of review A (the generated review).
        b: the encoded points of review B (the reference).

    Returns:
        Array of shape ``(len(a.texts), len(b.texts), len(FEATURE_NAMES))``.
    """
    n_a, n_b = len(a.texts), len(b.texts)
    out = np.zeros((n_a, n_b, len(FEATURE_NAMES)), dtype=np.float64)
    if n_a == 0 or n_b == 0:
        return out
    cos = np.clip(a.points @ b.points.T, -1.0, 1.0)
    token_precision, token_recall = _token_alignment(a, b, cos)
    token_f1 = 2 * token_precision * token_recall / np.maximum(token_precision + token_recall, 1e-9)
    std = cos.std()
    cos_z = (cos - cos.mean()) / std if std > 1e-6 else np.zeros_like(cos)
    idf_overlap, jaccard, num_overlap = _word_overlaps(a.texts, b.texts, cos)
    len_a = np.array([max(len(t.split()), 1) for t in a.texts], dtype=float)
    len_b = np.array([max(len(t.split()), 1) for t in b.texts], dtype=float)

    row_rank = _rank_desc(cos, axis=1)
    col_rank = _rank_desc(cos, axis=0)
    columns = {
        "cos": cos,
        "token_precision": token_precision,
        "token_recall": token_recall,
        "token_f1": token_f1,
        "cos_z": cos_z,
        "row_margin": _margin(cos, axis=1),
        "col_margin": _margin(cos, axis=0),
        "mutual_best": ((row_rank == 1) & (col_rank == 1)).astype(float),
        "row_rank": np.log(row_rank),
        "col_rank": np.log(col_rank),
        "word_idf_overlap": idf_overlap,
        "word_jaccard": jaccard,
        "number_overlap": num_overlap,
        "log_len_ratio": np.log(len_a[:, None] / len_b[None, :]),
        "log_n_a": np.full_like(cos, math.log(n_a)),
        "log_n_b": np.full_like(cos, math.log(n_b)),
    }
    for k, name in enumerate(FEATURE_NAMES):
        out[:, :, k] = columns[name]
    return out


def select(features: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The columns ``names`` of a feature array (last axis), in that order.

    Raises:
        ValueError: a name is not in :data:`FEATURE_NAMES`.
    """
    unknown = [n for n in names if n not in FEATURE_NAMES]
    if unknown:
        raise ValueError(f"unknown feature(s) {unknown}; known: {', '.join(FEATURE_NAMES)}")
    return features[..., [FEATURE_NAMES.index(n) for n in names]]
