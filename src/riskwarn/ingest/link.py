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

__all__ = ["LINK_METHODS", "install_name_key", "normalise_name", "refresh_entity_names", "relink"]

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


def refresh_entity_names(con: duckdb.DuckDBPyConnection, touched_sql: str) -> None:
    """Recompute entity_names for the entity ids selected by `touched_sql` from their current name."""
    install_name_key(con)
    con.execute(f"DELETE FROM entity_names WHERE entity_id IN ({touched_sql})")
    con.execute(
        "INSERT INTO entity_names SELECT entity_id, rw_name_key(name) FROM ("
        f"SELECT entity_id, name FROM {version_table('entities')} "
        f"WHERE entity_id IN ({touched_sql}) QUALIFY row_number() OVER (PARTITION BY entity_id "
        "ORDER BY delivered_at DESC, delivery_seq DESC, source_line DESC) = 1)"
    )


def relink(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Re-link every row without an entity_id; returns per feed how many rows changed link."""
    install_name_key(con)
    changed: dict[str, int] = {}
    for feed in LINK_FEEDS:
        table = version_table(feed)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rw_name_match AS "
            "WITH n AS (SELECT entity_name, rw_name_key(entity_name) AS name_key FROM ("
            f"SELECT DISTINCT entity_name FROM {table} WHERE entity_id IS NULL AND entity_name IS NOT NULL)), "
            "e AS (SELECT name_key, count(DISTINCT entity_id) AS n, min(entity_id) AS entity_id "
            "FROM entity_names WHERE name_key IN (SELECT name_key FROM n) GROUP BY name_key) "
            "SELECT n.entity_name, "
            "CASE WHEN e.n = 1 THEN e.entity_id END AS linked, "
            "CASE WHEN n.name_key IS NULL THEN 'no_name' WHEN e.n IS NULL THEN 'unknown_name' "
            "WHEN e.n = 1 THEN 'name' ELSE 'ambiguous_name' END AS method "
            "FROM n LEFT JOIN e USING (name_key)"
        )
        named = con.execute(
            f"UPDATE {table} SET linked_entity_id = m.linked, link_method = m.method "
            f"FROM rw_name_match m WHERE {table}.entity_id IS NULL AND {table}.entity_name = m.entity_name "
            f"AND ({table}.link_method IS DISTINCT FROM m.method "
            f"OR {table}.linked_entity_id IS DISTINCT FROM m.linked)"
        ).fetchone()
        unnamed = con.execute(
            f"UPDATE {table} SET linked_entity_id = NULL, link_method = 'no_name' "
            "WHERE entity_id IS NULL AND entity_name IS NULL "
            "AND link_method IS DISTINCT FROM 'no_name'"
        ).fetchone()
        changed[feed] = int(named[0] if named else 0) + int(unnamed[0] if unnamed else 0)
        con.execute("DROP TABLE IF EXISTS rw_name_match")
    return changed
