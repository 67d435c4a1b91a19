"""DDL of text_scores: one row of text signals per stored version of a complaint or sentiment post.

Joins to v_complaints / v_sentiment on (record_id, delivery_id) with feed naming the table.
Filled by riskwarn.features.text.update_text_scores; scorer_version names the scorer
(model weights, lexicons, cleaning rules) that produced each row.
"""

from __future__ import annotations

import duckdb

__all__ = ["TEXT_FEEDS", "TEXT_SCORES_DDL", "create_text_scores"]

# feeds whose free text is scored, and the columns that make up the text
TEXT_FEEDS: dict[str, tuple[str, ...]] = {
    "complaints": ("text",),
    "sentiment": ("title", "text"),
}

TEXT_SCORES_DDL = """CREATE TABLE IF NOT EXISTS text_scores (
  feed VARCHAR NOT NULL,
  record_id VARCHAR NOT NULL,
  delivery_id VARCHAR NOT NULL,
  is_spam BOOLEAN NOT NULL,
  negativity DOUBLE,            -- 0..1: probability the text reports a problem; NULL = no text
  risk_topics VARCHAR[] NOT NULL,
  scorer_version VARCHAR NOT NULL,
  PRIMARY KEY (feed, record_id, delivery_id)
)"""


def create_text_scores(con: duckdb.DuckDBPyConnection) -> None:
    """Create the text_scores table if missing (idempotent)."""
    con.execute(TEXT_SCORES_DDL)
