"""Cleaning of noisy Chinese complaint and sentiment texts, counting the spam evidence removed.

Done for a whole batch at once with Arrow's RE2 kernels (C++, linear time), so millions of
texts can be cleaned. The order is fixed: NFKC (full-width → half-width), HTML entities and
tags, URLs and e-mail addresses, phone numbers and messenger ids, spam phrases
(data/spam_phrases.txt), emoji and invisible characters; then pieces left with no substance
punctuation runs are collapsed, spaces between Chinese characters removed and punctuation
trimmed from both ends. No removal pattern matches whitespace, so text appended after
a space can never change how the text before it is cleaned.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

__all__ = [
    "CLEANING_VERSION",
    "CleanBatch",
    "Cleaned",
    "analyse",
    "clean_batch",
    "clean_text",
    "spam_phrase_patterns",
]

CLEANING_VERSION = "clean-v1"  # bump when the cleaning rules below change behaviour

_SCRIPT = r"<(?:script|style)\b[^<>]*>[^<]*</(?:script|style)\s*>"
_TAG = r"</?[A-Za-z!][^<>]{0,300}>"
_LINK_PATTERNS = (
    r"[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+",  # e-mail
    # URLs with a scheme or www., and bare domains under common TLDs
    r"(?:https?://|www\.)[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
    r"|\b[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*"
    r"\.(?:com|cn|net|org|top|xyz|vip|cc|me|io|info|app|shop|club|site)\b(?:/[\w\-.~/?#=&%]*)?",
    r"\b(?:86-?)?1[3-9]\d-?\d{4}-?\d{4}\b",  # mobile numbers
    r"\b0\d{2,3}-\d{7,8}\b",  # landlines with area code
    r"\b[48]00-?\d{3}-?\d{4}\b",  # 400 / 800 numbers
    r"(?:加我?)?(?:qq|微信号?|vx|wx|v信|威信|薇信|扣扣):?[A-Za-z0-9_\-]{5,30}\b",  # messenger ids
)
# one case-insensitive alternation: at a position the first listed kind wins (e-mail before URL)
_LINKS = "(?i)" + "|".join(f"(?:{p})" for p in _LINK_PATTERNS)
_EMOJI = (
    "["
    "\U0001f000-\U0001faff"  # pictographs, emoticons, transport, flags, symbols
    "\u2600-\u27bf"  # misc symbols, dingbats
    "\u2300-\u23ff"  # technical (⌚ ⏰)
    "\u2b00-\u2bff"  # arrows, stars (⭐)
    "\ufe00-\ufe0f"  # variation selectors
    "\u200b-\u200f\u2060-\u2064\ufeff"  # zero-width and direction marks
    "\ue000-\uf8ff"  # private use
    "\U000e0000-\U000e007f"  # tags
    "\u20e3"  # combining keycap
    "]+"
)
_PUNCT = r",.!?;:，。！？；：、~～…·\-"
_PUNCT_RUN = rf"([{_PUNCT}])[{_PUNCT} ]+"  # 。。！！ , ！ ！ → 。
_CJK_GAP = r"(\p{Han}) (\p{Han})"  # spaces between Chinese characters mean nothing
_EDGE = " ,.;:，。；：、~～·-!?！？…"


@dataclass(frozen=True)
class Cleaned:
    """One cleaned text and what cleaning removed (the evidence the spam flag weighs)."""

    text: str
    spam_phrases: int  # matches of the spam phrase list
    links: int  # URLs, e-mail addresses, phone numbers, messenger ids
    emoji: int  # runs of emoji / pictographs
    content: int  # substance left: CJK characters plus Latin words and numbers


@dataclass(frozen=True)
class CleanBatch:
    """A batch of cleaned texts with per-text evidence counts (numpy arrays, one entry per text)."""

    texts: pa.Array  # cleaned texts, "" for None
    spam_phrases: np.ndarray
    links: np.ndarray
    emoji: np.ndarray
    content: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def row(self, i: int) -> Cleaned:
        """The i-th text as a `Cleaned`."""
        return Cleaned(
            self.texts[i].as_py(),
            int(self.spam_phrases[i]),
            int(self.links[i]),
            int(self.emoji[i]),
            int(self.content[i]),
        )


@lru_cache(maxsize=1)
def spam_phrase_patterns() -> tuple[str, ...]:
    """The spam phrase list (package data): RE2 patterns, matched case-insensitively."""
    raw = (
        resources.files("riskwarn.features.text")
        .joinpath("data/spam_phrases.txt")
        .read_text(encoding="utf-8")
    )
    patterns = tuple(
        ln.strip() for ln in raw.splitlines() if ln.strip() and not ln.strip().startswith("#")
    )
    for p in patterns:
        if re.search(r"\s|\\s", p):
            raise ValueError(f"spam phrase pattern {p!r} may match whitespace; it must not")
    return patterns


def _remove(arr: pa.Array, pattern: str) -> tuple[pa.Array, np.ndarray]:
    """Replace every match with a space; return the new texts and the match count per text."""
    counts = pc.count_substring_regex(arr, pattern).to_numpy(zero_copy_only=False)
    if not counts.any():
        return arr, counts.astype(np.int64)
    return pc.replace_substring_regex(arr, pattern, " "), counts.astype(np.int64)


def _unescape_html(arr: pa.Array) -> pa.Array:
    """Decode HTML entities (&amp; &nbsp; &#x4e2d; …) in the few texts that contain '&'."""
    has_amp = pc.match_substring(arr, "&").to_numpy(zero_copy_only=False)
    if not has_amp.any():
        return arr
    values = arr.to_pylist()
    for i in np.flatnonzero(has_amp):
        values[i] = html.unescape(values[i])
    return pa.array(values, type=pa.large_string())


def _tidy(arr: pa.Array) -> pa.Array:
    """Collapse whitespace and punctuation runs, join Chinese across spaces, trim the edges."""
    arr = pc.replace_substring_regex(arr, r"[\s\p{Z}]+", " ")
    arr = pc.replace_substring_regex(arr, rf" ([{_PUNCT}])", r"\1")
    arr = pc.replace_substring_regex(arr, _PUNCT_RUN, r"\1")
    for _ in range(2):  # twice: a match consumes the character the next one would start from
        arr = pc.replace_substring_regex(arr, _CJK_GAP, r"\1\2")
    return pc.utf8_trim(arr, _EDGE)


def _content(arr: pa.Array) -> np.ndarray:
    """Substance per text: CJK characters plus runs of Latin letters or digits, counted in numpy."""
    if len(arr) == 0:
        return np.zeros(0, dtype=np.int64)
    joined = "\x00".join(arr.to_pylist()) + "\x00"
    cp = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    row = np.cumsum(cp == 0) - (cp == 0)
    han = ((cp >= 0x3400) & (cp <= 0x9FFF)) | ((cp >= 0xF900) & (cp <= 0xFAFF))
    han |= (cp >= 0x20000) & (cp <= 0x2FA1F)
    low = cp | 0x20
    alnum = ((cp >= 0x30) & (cp <= 0x39)) | ((low >= 0x61) & (low <= 0x7A))
    run_start = alnum & ~np.concatenate(([False], alnum[:-1]))
    return np.bincount(row[han | run_start], minlength=len(arr)).astype(np.int64)


def clean_batch(texts: Sequence[str | None] | pa.Array) -> CleanBatch:
    """Clean a batch of texts and count, per text, the spam phrases, links and emoji removed."""
    arr = pa.array(texts, type=pa.large_string()) if not isinstance(texts, pa.Array) else texts
    arr = pc.fill_null(arr.cast(pa.large_string()), "")
    arr = pc.utf8_normalize(arr, "NFKC")
    arr = _unescape_html(arr)
    arr = pc.replace_substring_regex(arr, f"{_SCRIPT}|{_TAG}", " ")
    arr, links = _remove(arr, _LINKS)
    spam_re = "(?i)" + "|".join(f"(?:{p})" for p in spam_phrase_patterns())
    arr, spam = _remove(arr, spam_re)
    arr, emoji = _remove(arr, _EMOJI)
    arr = _tidy(arr)
    return CleanBatch(arr, spam, links, emoji, _content(arr))


def analyse(text: str | None) -> Cleaned:
    """Clean one text and report what was removed (the batch path, for a batch of one)."""
    return clean_batch([text]).row(0)


def clean_text(text: str | None) -> str:
    """The cleaned form of one text (empty string for None)."""
    return analyse(text).text
