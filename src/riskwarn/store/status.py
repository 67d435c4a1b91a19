"""Read-only questions about the store: per-feed counts, quarantine by reason, links, deliveries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from riskwarn.contract.schema import FEEDS
from riskwarn.errors import StoreError
from riskwarn.store.schema import LINK_FEEDS, version_table

__all__ = [
    "DeliveryRow",
    "FeedStatus",
    "export_quarantine",
    "feed_status",
    "last_deliveries",
    "quarantine_query",
    "quarantine_rows",
]


@dataclass(frozen=True)
class FeedStatus:
    """One feed: current records, stored versions, quarantined rows by reason, links by method."""

    feed: str
    label_zh: str
    label_en: str
    records: int
    versions: int
    quarantined: int
    quarantined_by_reason: dict[str, int] = field(default_factory=dict)
    links: dict[str, int] = field(default_factory=dict)  # current records per link_method


@dataclass(frozen=True)
class DeliveryRow:
    delivery_id: str
    delivered_at: dt.datetime
    backfill: bool
    ingested_at: dt.datetime
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_replaced: int
    rows_flagged: int


def feed_status(con: duckdb.DuckDBPyConnection) -> list[FeedStatus]:
    """Counts for every feed of the contract (zeros for feeds never delivered)."""
    reasons: dict[str, dict[str, int]] = {}
    for feed, code, n in con.execute(
        "SELECT feed, code, count(*) FROM (SELECT feed, unnest(reason_codes) AS code FROM quarantine) "
        "GROUP BY ALL ORDER BY 1, 3 DESC"
    ).fetchall():
        reasons.setdefault(feed, {})[code] = int(n)
    quarantined = dict(
        con.execute("SELECT feed, count(*) FROM quarantine GROUP BY feed").fetchall()
    )
    out = []
    for spec in FEEDS.values():
        row = con.execute(
            f"SELECT (SELECT count(*) FROM {spec.name}), (SELECT count(*) FROM {version_table(spec.name)})"
        ).fetchone()
        records, versions = (int(row[0]), int(row[1])) if row else (0, 0)
        links: dict[str, int] = {}
        if spec.name in LINK_FEEDS:
            links = {
                str(m): int(n)
                for m, n in con.execute(
                    f"SELECT link_method, count(*) FROM {spec.name} GROUP BY 1 ORDER BY 2 DESC"
                ).fetchall()
            }
        out.append(
            FeedStatus(
                spec.name,
                spec.label_zh,
                spec.label_en,
                records,
                versions,
                int(quarantined.get(spec.name, 0)),
                reasons.get(spec.name, {}),
                links,
            )
        )
    return out


def last_deliveries(con: duckdb.DuckDBPyConnection, limit: int = 10) -> list[DeliveryRow]:
    """The latest deliveries by delivered_at, newest first."""
    rows = con.execute(
        "SELECT delivery_id, delivered_at, backfill, ingested_at, rows_read, rows_accepted, "
        "rows_rejected, rows_replaced, rows_flagged FROM deliveries "
        "ORDER BY delivered_at DESC, delivery_seq DESC LIMIT ?",
        [limit],
    ).fetchall()
    return [DeliveryRow(*r) for r in rows]


def quarantine_query(
    feed: str | None = None,
    reason: str | None = None,
    delivery: str | None = None,
    limit: int | None = None,
) -> tuple[str, list[Any]]:
    """SQL and parameters selecting quarantined rows, filtered, in delivery/file/line order."""
    where, params = [], []
    if feed:
        where.append("feed = ?")
        params.append(feed)
    if reason:
        where.append("list_contains(reason_codes, ?)")
        params.append(reason)
    if delivery:
        where.append("delivery_id = ?")
        params.append(delivery)
    sql = (
        "SELECT delivery_id, feed, source_file, source_line, reason_codes, reasons, "
        "CAST(raw AS VARCHAR) AS raw, quarantined_at FROM quarantine"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY delivery_id, feed, source_file, source_line"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def quarantine_rows(con: duckdb.DuckDBPyConnection, **filters: Any) -> list[tuple[Any, ...]]:
    """Quarantined rows as tuples (columns as in quarantine_query)."""
    sql, params = quarantine_query(**filters)
    return con.execute(sql, params).fetchall()


def export_quarantine(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    fmt: Literal["csv", "parquet"] = "csv",
    **filters: Any,
) -> int:
    """Write quarantined rows (reason codes joined by ';') to `out`; returns the row count."""
    if fmt not in ("csv", "parquet"):
        raise StoreError(f"export format {fmt!r} is not supported; use csv or parquet")
    sql, params = quarantine_query(**filters)
    out.parent.mkdir(parents=True, exist_ok=True)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rw_export AS SELECT * REPLACE "
        f"(array_to_string(reason_codes, ';') AS reason_codes) FROM ({sql})",
        params,
    )
    target = "'" + str(out).replace("'", "''") + "'"
    options = "FORMAT csv, HEADER true" if fmt == "csv" else "FORMAT parquet"
    con.execute(f"COPY rw_export TO {target} ({options})")
    row = con.execute("SELECT count(*) FROM rw_export").fetchone()
    con.execute("DROP TABLE rw_export")
    return int(row[0]) if row else 0
