"""Linking complaints and posts that name a subject without its id, by normalised name.

A name links when exactly one subject of the registry (current names) has the same
normalised name (NFKC — which also turns full-width forms half-width — then whitespace,
punctuation and symbols, brackets included, dropped, then case-folded). Ambiguous and
unknown names stay unlinked, kept and counted. Re-run after every delivery over all
unlinked and name-linked rows, so the result does not depend on ingestion order.
"""

from __future__ import annotations

import unicodedata

import duckdb

from riskwarn.store.schema import LINK_FEEDS, version_table

__all__ = [
    "LINK_METHODS",
    "install_name_key",
    "normalise_name",
    "refresh_entity_names",
    "relink",
    "start_delivery",
]

LINK_METHODS = ("id", "name", "ambiguous_name", "unknown_name", "no_name")
_DROP = r"[\p{P}\p{S}\p{Z}\p{C}\s]+"  # RE2 (pyarrow) spelling of what normalise_name drops


def normalise_name(name: str | None) -> str | None:
    """The matching key of a subject name; None when nothing is left of it."""
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", name)
    key = "".join(
        ch for ch in text if unicodedata.category(ch)[0] not in "PSZC" and not ch.isspace()
    )
    key = key.lower()
    return key or None


def _name_key_arrow(values):  # type: ignore[no-untyped-def]
    import pyarrow.compute as pc

    keys = pc.utf8_lower(pc.replace_substring_regex(pc.utf8_normalize(values, "NFKC"), _DROP, ""))
    return pc.if_else(pc.equal(keys, ""), None, keys)


def install_name_key(con: duckdb.DuckDBPyConnection) -> None:
    """Register the SQL function rw_name_key(VARCHAR) on `con` (vectorised, via Arrow)."""
    try:
        con.create_function(  # type: ignore[call-overload]  # duckdb's stubs lag its API
            "rw_name_key",
            _name_key_arrow,
            ["VARCHAR"],
            "VARCHAR",
            type="arrow",
            null_handling="special",
        )
    except (duckdb.CatalogException, duckdb.NotImplementedException) as exc:
        if "already" not in str(exc).lower():
            raise


CHANGED_KEYS = "rw_changed_keys"
_TOUCHED = "rw_touched_ids"


def start_delivery(con: duckdb.DuckDBPyConnection) -> None:
    """Register rw_name_key and reset the set of registry name keys this delivery changes."""
    install_name_key(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED_KEYS} (name_key VARCHAR)")


def refresh_entity_names(con: duckdb.DuckDBPyConnection, touched_sql: str) -> None:
    """Recompute entity_names for the entity ids selected by `touched_sql` from their current name,
    remembering every name key that gained or lost a subject (their rows must be re-linked)."""
    # the touched ids are selected once (a scan of the version table), then reused four times
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_TOUCHED} AS SELECT DISTINCT * FROM ({touched_sql})"
    )
    touched = f"SELECT * FROM {_TOUCHED}"
    con.execute(
        f"INSERT INTO {CHANGED_KEYS} SELECT name_key FROM entity_names "
        f"WHERE entity_id IN ({touched}) AND name_key IS NOT NULL"
    )
    con.execute(f"DELETE FROM entity_names WHERE entity_id IN ({touched})")
    con.execute(
        "INSERT INTO entity_names SELECT entity_id, rw_name_key(name) FROM ("
        f"SELECT entity_id, name FROM {version_table('entities')} "
        f"WHERE entity_id IN ({touched}) QUALIFY row_number() OVER (PARTITION BY entity_id "
        "ORDER BY delivered_at DESC, delivery_seq DESC, source_line DESC) = 1)"
    )
    con.execute(
        f"INSERT INTO {CHANGED_KEYS} SELECT name_key FROM entity_names "
        f"WHERE entity_id IN ({touched}) AND name_key IS NOT NULL"
    )
    con.execute(f"DROP TABLE IF EXISTS {_TOUCHED}")


def relink(con: duckdb.DuckDBPyConnection, delivery_id: str) -> dict[str, int]:
    """Link this delivery's rows without entity_id, and re-link older ones whose name key the
    delivery's registry changes touched; returns per feed how many rows changed link.

    Every row's link is a function of its name key and the registry's current names, recomputed
    whenever either changes, so the outcome does not depend on ingestion order.
    """
    changed: dict[str, int] = {}
    for feed in LINK_FEEDS:
        table = version_table(feed)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rw_name_match AS "
            f"WITH k AS (SELECT DISTINCT name_key FROM {table} WHERE entity_id IS NULL "
            "AND name_key IS NOT NULL AND (delivery_id = $1 "
            f"OR name_key IN (SELECT name_key FROM {CHANGED_KEYS}))), "
            "e AS (SELECT name_key, count(DISTINCT entity_id) AS n, min(entity_id) AS entity_id "
            "FROM entity_names WHERE name_key IN (SELECT name_key FROM k) GROUP BY name_key) "
            "SELECT k.name_key, CASE WHEN e.n = 1 THEN e.entity_id END AS linked, "
            "CASE WHEN e.n IS NULL THEN 'unknown_name' WHEN e.n = 1 THEN 'name' "
            "ELSE 'ambiguous_name' END AS method FROM k LEFT JOIN e USING (name_key)",
            [delivery_id],
        )
        row = con.execute(
            f"UPDATE {table} SET linked_entity_id = m.linked, link_method = m.method "
            f"FROM rw_name_match m WHERE {table}.entity_id IS NULL AND {table}.name_key = m.name_key "
            f"AND ({table}.link_method IS DISTINCT FROM m.method "
            f"OR {table}.linked_entity_id IS DISTINCT FROM m.linked)"
        ).fetchone()
        changed[feed] = int(row[0]) if row else 0
        con.execute("DROP TABLE IF EXISTS rw_name_match")
    return changed
