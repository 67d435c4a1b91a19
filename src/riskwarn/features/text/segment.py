"""Word segmentation with jieba and a supervision-domain user dictionary (package data).

The dictionary (data/user_dict.txt) plus every risk-topic keyword and complaint term keep
domain words whole (拖欠工资, 预付卡, 无证经营 …). The negativity model itself reads character
n-grams, because jieba segments only ~3,000 texts/s on this machine; segmentation serves
word-level views (keywords, the word-model comparison in benchmarks/bench_text.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from importlib import resources
from typing import Any

__all__ = ["domain_words", "segment", "segment_batch", "tokenizer"]


def domain_words() -> list[str]:
    """Words the tokenizer must keep whole: the user dictionary, topic keywords, complaint terms."""
    from riskwarn.features.text.sentiment import lexicon
    from riskwarn.features.text.topics import load_topics

    raw = (
        resources.files("riskwarn.features.text")
        .joinpath("data/user_dict.txt")
        .read_text(encoding="utf-8")
    )
    words = [ln.split()[0] for ln in raw.splitlines() if ln.strip() and not ln.startswith("#")]
    words += [k for t in load_topics().topics for k in t.keywords]
    words += list(lexicon()[0])
    return list(dict.fromkeys(words))


@lru_cache(maxsize=1)
def tokenizer() -> Any:
    """A private jieba Tokenizer (the global one is left alone) with the domain words added."""
    import jieba

    jieba.setLogLevel(60)
    tok = jieba.Tokenizer()
    dict_path = resources.files("riskwarn.features.text").joinpath("data/user_dict.txt")
    with resources.as_file(dict_path) as path:
        tok.load_userdict(str(path))
    for word in domain_words():
        tok.add_word(word, freq=3000)
    return tok


def segment(text: str) -> list[str]:
    """The words of one (cleaned) text, whitespace dropped."""
    return [w for w in tokenizer().lcut(text, HMM=False) if w.strip()]


def segment_batch(texts: Sequence[str] | Iterable[str]) -> list[list[str]]:
    """`segment` over a batch."""
    return [segment(t) for t in texts]
