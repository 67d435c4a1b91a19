"""score_texts: clean → spam flag → negativity → risk topics, for a batch of texts.

Spam never raises risk: a text flagged as spam gets negativity 0 and no topics, whatever it
says. A text with nothing left after cleaning (None, empty, only emoji or markup) gets
negativity NaN — no evidence either way — and no topics.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa

from riskwarn.features.text.clean import CLEANING_VERSION, clean_batch
from riskwarn.features.text.sentiment import NegativityModel, load_model, model_version, negativity
from riskwarn.features.text.spam import (
    CONTENT_PER_EVIDENCE,
    HEAVY_SPAM_PHRASES,
    spam_flags,
)
from riskwarn.features.text.topics import TopicLexicon, find_topics, load_topics

__all__ = ["BATCH_SIZE", "score_texts", "scorer_version"]

BATCH_SIZE = 50_000  # texts scored per step; bounds memory for inputs of any size


@lru_cache(maxsize=4)
def _data_hash(topics_version: str) -> str:
    h = hashlib.sha256(CLEANING_VERSION.encode())
    h.update(topics_version.encode())
    h.update(repr((CONTENT_PER_EVIDENCE, HEAVY_SPAM_PHRASES)).encode())
    pkg = resources.files("riskwarn.features.text")
    for name in ("data/spam_phrases.txt", "data/complaint_lexicon.tsv"):
        h.update(pkg.joinpath(name).read_bytes())
    return h.hexdigest()[:8]


def scorer_version(topics: TopicLexicon | None = None) -> str:
    """Names everything that determines a score: model weights, lexicons, topics, cleaning, spam rule."""
    topics = topics or load_topics()
    return f"{model_version()}+{_data_hash(topics.version)}"


def _score_chunk(
    texts: Sequence[str | None] | pa.Array,
    industries: Sequence[str | None] | None,
    model: NegativityModel,
    topics: TopicLexicon,
) -> pd.DataFrame:
    batch = clean_batch(texts)
    spam = spam_flags(batch)
    neg = negativity(batch.texts, model)
    neg[spam] = 0.0
    found = find_topics(batch.texts, topics)
    for i in np.flatnonzero(spam):
        found[i] = []
    if industries is not None:
        found = [
            [t for t in ids if topics.topic(t).applies_to(ind)]
            for ids, ind in zip(found, industries, strict=True)
        ]
    return pd.DataFrame(
        {
            "is_spam": spam,
            "negativity": neg,
            "risk_topics": found,
            "clean_text": batch.texts.to_pylist(),
        }
    )


def score_texts(
    texts: Sequence[str | None] | pa.Array,
    industries: Sequence[str | None] | None = None,
    *,
    model: NegativityModel | None = None,
    topics: TopicLexicon | None = None,
) -> pd.DataFrame:
    """One row per text: is_spam, negativity (0..1, NaN if empty), risk_topics, clean_text.

    With `industries` (a GB/T 4754 code per text), only the topics that apply to that
    industry are kept; without it, every topic the text mentions is returned.
    """
    if industries is not None and len(industries) != len(texts):
        raise ValueError(
            f"industries has {len(industries)} entries but texts has {len(texts)}; "
            "give one industry code (or None) per text"
        )
    model = model or load_model()
    topics = topics or load_topics()
    parts = []
    for start in range(0, max(len(texts), 1), BATCH_SIZE):
        chunk = texts[start : start + BATCH_SIZE]
        ind = None if industries is None else industries[start : start + BATCH_SIZE]
        parts.append(_score_chunk(chunk, ind, model, topics))
    return pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
