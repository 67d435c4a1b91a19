"""The spam flag: a text is spam when advert evidence dominates what is left after cleaning.

Evidence = spam phrases + links/contacts removed by cleaning. A text with evidence is spam
when less than CONTENT_PER_EVIDENCE characters of substance remain per piece of evidence
(an advert with a shop name attached is still an advert; a long complaint that quotes a
phone number is not), or when it carries HEAVY_SPAM_PHRASES spam phrases or more.

Spam never raises risk: the scorer gives a spam text negativity 0 and no topics. The rule is
monotone — more advert evidence never turns a spam text back into a non-spam one — which is
what makes adding spam unable to increase a subject's risk.
"""

from __future__ import annotations

import numpy as np

from riskwarn.features.text.clean import CleanBatch, Cleaned

__all__ = ["CONTENT_PER_EVIDENCE", "HEAVY_SPAM_PHRASES", "is_spam", "spam_flags"]

CONTENT_PER_EVIDENCE = 10  # substance (CJK chars + words) a report needs per piece of evidence
HEAVY_SPAM_PHRASES = 5  # this many spam phrases make any text spam


def _rule(spam: np.ndarray, links: np.ndarray, content: np.ndarray) -> np.ndarray:
    evidence = spam + links
    return (evidence > 0) & (
        (spam >= HEAVY_SPAM_PHRASES) | (content < CONTENT_PER_EVIDENCE * evidence)
    )


def spam_flags(batch: CleanBatch) -> np.ndarray:
    """Whether each text of a cleaned batch is an advert / spam rather than a report."""
    return _rule(batch.spam_phrases, batch.links, batch.content)


def is_spam(cleaned: Cleaned) -> bool:
    """`spam_flags` for one cleaned text."""
    one = np.array([0])
    return bool(_rule(one + cleaned.spam_phrases, one + cleaned.links, one + cleaned.content)[0])
