"""The spam flag: a text is spam when advert evidence dominates what is left after cleaning.

Spam never raises risk: the scorer gives a spam text negativity 0 and no topics. The rule is
monotone — more advert evidence (spam phrases, links, contacts) never turns a spam text back
into a non-spam one — which is what lets adding spam never increase a subject's risk.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from riskwarn.features.text.clean import Cleaned, content_chars

__all__ = ["HEAVY_SPAM_PHRASES", "MIN_CONTENT", "SHORT_CONTENT", "is_spam", "spam_flags"]

MIN_CONTENT = 8  # below this much substance, any advert evidence makes the text spam
SHORT_CONTENT = 20  # below this, two spam phrases make it spam
HEAVY_SPAM_PHRASES = 5  # this many spam phrases make any text spam


def is_spam(cleaned: Cleaned) -> bool:
    """Whether a cleaned text is an advert / spam rather than a report."""
    evidence = cleaned.spam_phrases + cleaned.links
    if evidence == 0:
        return False
    if cleaned.spam_phrases >= HEAVY_SPAM_PHRASES:
        return True
    content = content_chars(cleaned.text)
    if content < MIN_CONTENT:
        return True
    return cleaned.spam_phrases >= 2 and content < SHORT_CONTENT


def spam_flags(cleaned: Sequence[Cleaned]) -> np.ndarray:
    """`is_spam` over a batch, as a boolean array."""
    return np.fromiter((is_spam(c) for c in cleaned), dtype=bool, count=len(cleaned))
