"""DDL of the embedded DuckDB store, derived from the contract's feed specs.

Tables (all times naive China Standard Time):
  deliveries       the ledger: one row per ingested delivery
  delivery_files   one row per file of a delivery, with its hash and counts
  v_<feed>         every accepted version of every record, with its provenance
  quarantine       every rejected row: file, line, raw content and every reason
  entity_names     normalised name of each subject's current registry name (name linking)
  relink_pending   name keys whose registry match changed since stored rows were last linked
Views:
  <feed>           the current version of each record (latest delivered_at wins)
"""

from __future__ import annotations

import duckdb

from riskwarn.contract.schema import FEEDS, ColumnSpec, FeedSpec

__all__ = [
    "PROVENANCE_COLUMNS",
    "LINK_FEEDS",
    "column_sql_type",
    "create_schema",
    "version_table",
]

# feeds whose rows may name a subject without its id; linked by name at ingest
LINK_FEEDS: tuple[str, ...] = ("complaints", "sentiment")

_SQL_TYPE = {
    "uscc": "VARCHAR",
    "text": "VARCHAR",
    "enum": "VARCHAR",
    "region": "VARCHAR",
    "industry": "VARCHAR",
    "date": "DATE",
    "time": "TIMESTAMP",
    "integer": "BIGINT",
    "bool": "BOOLEAN",
}
_DECIMAL_OVERRIDES = {"draw_probability": "DOUBLE", "registered_capital_wan": "DECIMAL(18,4)"}

# provenance kept on every version row
PROVENANCE_COLUMNS: tuple[tuple[str, str], ...] = (
    ("delivery_id", "VARCHAR NOT NULL"),
    ("delivered_at", "TIMESTAMP NOT NULL"),  # orders versions: later delivered_at wins
    ("known_at", "TIMESTAMP NOT NULL"),  # from when the platform knew this version
    ("delivery_seq", "BIGINT NOT NULL"),  # ingest order, breaks delivered_at ties
    ("source_file", "VARCHAR NOT NULL"),
    ("source_line", "BIGINT NOT NULL"),  # 1-based data row (CSV: physical line of the record)
    ("flags", "VARCHAR[]"),  # accepted-with-warning codes, e.g. unknown_county
    ("extra", "JSON"),  # columns not named by the contract: kept, ignored
)
_LINK_COLUMNS = (
    ("linked_entity_id", "VARCHAR"),  # entity_id, or the unique name match, or NULL
    ("link_method", "VARCHAR"),  # id | name | ambiguous_name | unknown_name | no_name
    ("name_key", "VARCHAR"),  # normalised entity_name of rows without entity_id (for re-linking)
)


def column_sql_type(col: ColumnSpec) -> str:
    """The store's SQL type for a contract column (money as DECIMAL, times as naive TIMESTAMP)."""
    if col.type == "decimal":
        return _DECIMAL_OVERRIDES.get(col.name, "DECIMAL(18,2)")
    return _SQL_TYPE[col.type]


def version_table(feed: str) -> str:
    """Name of the table that keeps every version of `feed`."""
    return f"v_{feed}"


def _version_ddl(spec: FeedSpec) -> str:
    cols = [f"{c.name} {column_sql_type(c)}" for c in spec.columns]
    cols += [f"{n} {t}" for n, t in PROVENANCE_COLUMNS]
    if spec.name in LINK_FEEDS:
        cols += [f"{n} {t}" for n, t in _LINK_COLUMNS]
    return (
        f"CREATE TABLE IF NOT EXISTS {version_table(spec.name)} (\n  " + ",\n  ".join(cols) + "\n)"
    )


def _current_view_ddl(spec: FeedSpec) -> str:
    return (
        f"CREATE OR REPLACE VIEW {spec.name} AS SELECT * FROM {version_table(spec.name)} "
        f"QUALIFY row_number() OVER (PARTITION BY {spec.key} "
        "ORDER BY delivered_at DESC, delivery_seq DESC, source_line DESC) = 1"
    )


_LEDGER_DDL = (
    """CREATE TABLE IF NOT EXISTS deliveries (
  delivery_id VARCHAR PRIMARY KEY,
  folder VARCHAR NOT NULL,
  delivered_at TIMESTAMP NOT NULL,
  backfill BOOLEAN NOT NULL,
  manifest JSON,
  content_hash VARCHAR NOT NULL,
  delivery_seq BIGINT NOT NULL,
  ingested_at TIMESTAMP NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_accepted BIGINT NOT NULL,
  rows_rejected BIGINT NOT NULL,
  rows_replaced BIGINT NOT NULL,
  rows_flagged BIGINT NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS delivery_files (
  delivery_id VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  feed VARCHAR NOT NULL,
  format VARCHAR NOT NULL,
  sha256 VARCHAR NOT NULL,
  bytes BIGINT NOT NULL,
  rows_read BIGINT NOT NULL,
  rows_accepted BIGINT NOT NULL,
  rows_rejected BIGINT NOT NULL,
  PRIMARY KEY (delivery_id, file)
)""",
    """CREATE TABLE IF NOT EXISTS quarantine (
  delivery_id VARCHAR NOT NULL,
  feed VARCHAR NOT NULL,
  source_file VARCHAR NOT NULL,
  source_line BIGINT NOT NULL,
  raw JSON NOT NULL,
  reason_codes VARCHAR[] NOT NULL,
  reasons VARCHAR NOT NULL,
  quarantined_at TIMESTAMP NOT NULL
)""",
    """CREATE TABLE IF NOT EXISTS entity_names (
  entity_id VARCHAR NOT NULL,
  name_key VARCHAR
)""",
    # written with each delivery's registry changes, emptied when ingest re-links (link.py)
    "CREATE TABLE IF NOT EXISTS relink_pending (name_key VARCHAR NOT NULL)",
)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create every table and view if missing (idempotent)."""
    for ddl in _LEDGER_DDL:
        con.execute(ddl)
    for spec in FEEDS.values():
        con.execute(_version_ddl(spec))
        if spec.name in LINK_FEEDS:  # stores created before name_key existed
            con.execute(
                f"ALTER TABLE {version_table(spec.name)} ADD COLUMN IF NOT EXISTS name_key VARCHAR"
            )
        con.execute(_current_view_ddl(spec))
