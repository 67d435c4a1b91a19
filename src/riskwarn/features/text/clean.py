"""Cleaning of noisy Chinese complaint and sentiment texts, counting the spam evidence removed.

Order matters and is fixed: NFKC (full-width → half-width), HTML entities and tags, URLs and
e-mail addresses, phone numbers and messenger ids, spam phrases (data/spam_phrases.txt),
emoji and invisible characters; then whitespace is collapsed and runs of repeated
characters or phrases are shortened. No removal pattern spans whitespace, so text appended
after a space can never change how the text before it is cleaned.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

__all__ = ["Cleaned", "analyse", "clean_text", "content_chars", "spam_patterns"]

_SCRIPT = re.compile(r"<(script|style)\b[^<>]*>[^<]*</\1\s*>", re.IGNORECASE)
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,300}>")
_URL = re.compile(
    r"(?:https?://|www\.)[\w\-.~:/?#\[\]@!$&'()*+,;=%]+"
    r"|(?<![\w.])[A-Za-z0-9][A-Za-z0-9\-]*(?:\.[A-Za-z0-9\-]+)*"
    r"\.(?:com|cn|net|org|top|xyz|vip|cc|me|io|info|app|shop|club|site)\b(?:/[\w\-.~/?#=&%]*)?",
    re.IGNORECASE | re.ASCII,
)
_EMAIL = re.compile(r"[\w.+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+", re.ASCII)
_PHONE = re.compile(
    r"(?<!\d)(?:\+?86-?)?1[3-9]\d-?\d{4}-?\d{4}(?!\d)"  # mobile
    r"|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)"  # landline with area code
    r"|(?<!\d)[48]00-?\d{3}-?\d{4}(?!\d)"  # 400 / 800 numbers
)
_MESSENGER_ID = re.compile(
    r"(?:加我?)?(?:qq|微信号?|vx|wx|v信|威信|薇信|扣扣)[:：]?[A-Za-z0-9_\-]{5,20}(?![A-Za-z0-9_\-])",
    re.IGNORECASE,
)
_EMOJI = re.compile(
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
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff]) (?=[\u3400-\u9fff])")  # spaces mean nothing here
_CHAR_RUN = re.compile(r"(\S)\1{3,}")  # 好好好好好 → 好好 ; ！！！！ → ！！
_PHRASE_RUN = re.compile(r"(\S{2,12}?)\1{2,}")  # 快来快来快来 → 快来
_PUNCT_RUN = re.compile(r"([,.!?;:，。！？；：、~～…·\-])[\s,.!?;:，。！？；：、~～…·\-]+")
_CONTENT = re.compile(r"[\u3400-\u9fff]|[A-Za-z]+|\d+")


@dataclass(frozen=True)
class Cleaned:
    """A cleaned text and what cleaning removed (the evidence the spam flag weighs)."""

    text: str
    spam_phrases: int  # matches of the spam phrase list
    links: int  # URLs, e-mail addresses, phone numbers, messenger ids
    emoji: int  # runs of emoji / pictographs


@lru_cache(maxsize=1)
def spam_patterns() -> re.Pattern[str]:
    """The spam phrase list (package data), compiled as one case-insensitive alternation."""
    raw = resources.files("riskwarn.features.text").joinpath("data/spam_phrases.txt").read_text(
        encoding="utf-8"
    )
    lines = [ln.strip() for ln in raw.splitlines()]
    patterns = [ln for ln in lines if ln and not ln.startswith("#")]
    for p in patterns:
        if re.search(r"\s|\\s", p):
            raise ValueError(f"spam phrase pattern {p!r} may match whitespace; it must not")
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


def _sub_count(pattern: re.Pattern[str], text: str) -> tuple[str, int]:
    return pattern.subn(" ", text)


def analyse(text: str | None) -> Cleaned:
    """Clean one text and count the URLs, contacts, spam phrases and emoji it carried."""
    if not text:
        return Cleaned("", 0, 0, 0)
    s = unicodedata.normalize("NFKC", text)
    if "&" in s:
        s = html.unescape(s)
    if "<" in s:
        s = _SCRIPT.sub(" ", s)
        s = _TAG.sub(" ", s)
    links = 0
    for pattern in (_URL, _EMAIL, _PHONE, _MESSENGER_ID):
        s, n = _sub_count(pattern, s)
        links += n
    s, spam = _sub_count(spam_patterns(), s)
    s, emoji = _sub_count(_EMOJI, s)
    # whitespace-separated pieces with no substance (orphan punctuation left behind by removals)
    s = " ".join(tok for tok in s.split() if _CONTENT.search(tok))
    s = _CJK_GAP.sub("", s)
    s = _CHAR_RUN.sub(r"\1\1", s)
    s = _PHRASE_RUN.sub(r"\1", s)
    s = _PUNCT_RUN.sub(r"\1", s)
    s = s.strip(" ,.;:，。；：、~～·-")
    return Cleaned(s, spam, links, emoji)


def clean_text(text: str | None) -> str:
    """The cleaned form of one text (empty string for None)."""
    return analyse(text).text


def content_chars(cleaned: str) -> int:
    """How much substance a cleaned text has: CJK characters plus Latin words and numbers."""
    return len(_CONTENT.findall(cleaned))


def analyse_many(texts: Sequence[str | None]) -> list[Cleaned]:
    """`analyse` over a batch."""
    return [analyse(t) for t in texts]
