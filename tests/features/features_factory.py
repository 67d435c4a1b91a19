"""Factories for feature tests: a real DuckDB store file with version rows inserted directly."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path
from typing import Any

import duckdb

from riskwarn.contract.schema import FEEDS
from riskwarn.store.schema import LINK_FEEDS, create_schema

__all__ = ["EVENT_DEFAULTS", "Store", "new_store"]

TEXT_SCORES_DDL = """CREATE TABLE IF NOT EXISTS text_scores (
  feed VARCHAR, record_id VARCHAR, delivery_id VARCHAR, is_spam BOOLEAN, negativity DOUBLE,
  risk_topics VARCHAR[], scorer_version VARCHAR, PRIMARY KEY (feed, record_id, delivery_id))"""

EVENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "complaints": {"channel": "hotline_12345", "category": "价格", "department": "SAMR"},
    "inspections": {
        "department": "SAMR",
        "matter_code": "M1",
        "inspection_type": "routine",
        "result": "compliant",
    },
    "penalties": {"department": "SAMR", "severity": "fine"},
    "blacklist": {"list_type": "abnormal_operation"},
    "sentiment": {"source": "news", "text": "文本"},
    "judgments": {"case_type": "civil", "role": "defendant"},
}


def _create_text_scores(con: duckdb.DuckDBPyConnection) -> None:
    try:
        from riskwarn.store.text_scores import create_text_scores
    except ImportError:
        con.execute(TEXT_SCORES_DDL)
    else:
        create_text_scores(con)


class Store:
    """A store file plus helpers that append versions the way ingest would."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.con = duckdb.connect(str(path))
        create_schema(self.con)
        _create_text_scores(self.con)
        self._seq = itertools.count(1)

    def add(
        self,
        feed: str,
        delivered_at: dt.datetime,
        known_at: dt.datetime | None = None,
        **fields: Any,
    ) -> str:
        """Insert one version row of `feed`; returns its delivery_id."""
        spec = FEEDS[feed]
        seq = next(self._seq)
        delivery_id = f"d{seq:06d}"
        row: dict[str, Any] = dict(EVENT_DEFAULTS.get(feed, {}))
        row.update(fields)
        if feed in LINK_FEEDS:
            row.setdefault("linked_entity_id", row.get("entity_id"))
            row.setdefault("link_method", "id" if row.get("entity_id") else "unknown_name")
        if feed == "entities":
            row.setdefault("updated_at", delivered_at)
        row.update(
            delivery_id=delivery_id, delivered_at=delivered_at,
            known_at=known_at or delivered_at, delivery_seq=seq,
            source_file=f"{feed}.csv", source_line=1,
        )  # fmt: skip
        unknown = set(row) - set(spec.column_names) - {
            "delivery_id", "delivered_at", "known_at", "delivery_seq", "source_file",
            "source_line", "linked_entity_id", "link_method",
        }  # fmt: skip
        assert not unknown, f"unknown columns {unknown} for {feed}"
        cols = list(row)
        self.con.execute(
            f"INSERT INTO v_{feed} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})",
            [row[c] for c in cols],
        )
        return delivery_id

    def score(
        self,
        feed: str,
        record_id: str,
        delivery_id: str,
        *,
        is_spam: bool,
        negativity: float | None,
        topics: list[str] | None = None,
    ) -> None:
        """Insert a text_scores row for one stored complaint/sentiment version."""
        self.con.execute(
            "INSERT INTO text_scores VALUES (?, ?, ?, ?, ?, ?, 'test')",
            [feed, record_id, delivery_id, is_spam, negativity, topics or []],
        )


def new_store(path: Path) -> Store:
    """A fresh store file at `path` with every table created."""
    return Store(path)
