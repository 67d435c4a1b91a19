"""Chinese text signals for complaints and sentiment posts: cleaning, spam flag, negativity, topics.

    score_texts(texts)        → DataFrame(is_spam, negativity, risk_topics, clean_text)
    update_text_scores(con)   → rows added to the store's text_scores table

Spam never raises risk: spam texts score negativity 0 and no topics.
"""

from riskwarn.features.text.pipeline import score_texts, scorer_version
from riskwarn.features.text.scores import update_text_scores
from riskwarn.features.text.topics import load_topics, topics_for_industry

__all__ = [
    "load_topics",
    "score_texts",
    "scorer_version",
    "topics_for_industry",
    "update_text_scores",
]
