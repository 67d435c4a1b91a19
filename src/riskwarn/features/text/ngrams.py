"""Character n-gram hashing for a whole batch at once, in numpy (no Python loop per n-gram).

Chinese needs no segmentation for a bag of character 1–3-grams, and hashing a batch as one
array of code points is what makes millions of texts scorable. A text's feature vector is
x[j] = count of n-grams hashing to column j / sqrt(number of n-grams in the text), so a linear
model's score is a weighted bincount — no sparse matrix has to be sorted at scoring time.
Training builds the same vectors as a sparse matrix from the same function, so training and
scoring cannot compute features differently.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

__all__ = [
    "DEFAULT_BITS",
    "DEFAULT_NGRAMS",
    "NgramHits",
    "hash_char_ngrams",
    "linear_scores",
    "ngram_matrix",
]

DEFAULT_BITS = 20
DEFAULT_NGRAMS = (1, 3)
_MUL = (np.uint32(0x9E3779B1), np.uint32(0x85EBCA77), np.uint32(0xC2B2AE3D))
_MIX = np.uint32(0x27D4EB2F)


class NgramHits(NamedTuple):
    """Every n-gram occurrence of a batch: its text (row) and hashed column."""

    rows: np.ndarray  # int64
    cols: np.ndarray  # int64 in [0, 2**bits)
    n_rows: int
    width: int


def _codepoints(texts: Sequence[str]) -> np.ndarray:
    """All texts, lower-cased, as one uint32 code-point array; each text followed by a 0."""
    joined = "\x00".join(texts).lower() + "\x00"
    return np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)


def hash_char_ngrams(
    texts: Sequence[str], bits: int = DEFAULT_BITS, ngrams: tuple[int, int] = DEFAULT_NGRAMS
) -> NgramHits:
    """Hash every character n-gram (n in `ngrams`, inclusive) of every text into 2**bits columns."""
    width = 1 << bits
    if not texts:
        empty = np.zeros(0, dtype=np.int64)
        return NgramHits(empty, empty, 0, width)
    cp = _codepoints(texts)
    is_sep = cp == 0
    row_of = np.cumsum(is_sep) - is_sep  # the text each position belongs to
    shift = np.uint32(32 - bits)
    rows_parts: list[np.ndarray] = []
    cols_parts: list[np.ndarray] = []
    lo, hi = ngrams
    with np.errstate(over="ignore"):
        for n in range(lo, hi + 1):
            m = len(cp) - n + 1
            if m <= 0:
                continue
            valid = ~is_sep[:m]
            h = (cp[:m] + np.uint32(n << 21)) * _MUL[0]
            for k in range(1, n):
                valid &= ~is_sep[k : k + m]
                h = (h ^ cp[k : k + m]) * _MUL[k]
            idx = np.flatnonzero(valid)
            rows_parts.append(row_of[idx])
            # multiplicative hashing: the top bits of h * odd constant are well mixed
            cols_parts.append(((h[idx] * _MIX) >> shift).astype(np.int64))
    return NgramHits(np.concatenate(rows_parts), np.concatenate(cols_parts), len(texts), width)


def _row_scale(hits: NgramHits) -> np.ndarray:
    """1 / sqrt(number of n-grams) per text (0 for texts without any)."""
    lengths = np.bincount(hits.rows, minlength=hits.n_rows).astype(np.float64)
    with np.errstate(divide="ignore"):
        scale = 1.0 / np.sqrt(lengths)
    scale[lengths == 0] = 0.0
    return scale


def ngram_matrix(
    texts: Sequence[str], bits: int = DEFAULT_BITS, ngrams: tuple[int, int] = DEFAULT_NGRAMS
) -> sp.csr_matrix:
    """The feature vectors of `texts` as a sparse (len(texts) × 2**bits) matrix, for training."""
    import scipy.sparse as sp

    hits = hash_char_ngrams(texts, bits, ngrams)
    values = _row_scale(hits)[hits.rows]
    matrix = sp.csr_matrix((values, (hits.rows, hits.cols)), shape=(hits.n_rows, hits.width))
    matrix.sum_duplicates()
    return matrix


def linear_scores(
    texts: Sequence[str],
    coef: np.ndarray,
    intercept: float,
    ngrams: tuple[int, int] = DEFAULT_NGRAMS,
) -> np.ndarray:
    """`intercept + x · coef` for every text without building a matrix (coef has 2**bits entries)."""
    bits = int(np.log2(len(coef)))
    if len(coef) != 1 << bits:
        raise ValueError(f"coef has {len(coef)} entries; it must have a power of two")
    hits = hash_char_ngrams(texts, bits, ngrams)
    sums = np.bincount(hits.rows, weights=coef[hits.cols], minlength=hits.n_rows)
    return intercept + sums * _row_scale(hits)
