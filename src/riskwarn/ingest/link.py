"""Linking complaints and posts that name a subject without its id, by normalised name.

A name links when exactly one subject of the registry (current names) has the same
normalised name (NFKC — which also turns full-width forms half-width — then whitespace,
punctuation and symbols, brackets included, dropped, then case-folded). Ambiguous and
unknown names stay unlinked, kept and counted.

A delivery's rows are linked as they are inserted, against the registry as it is then. The
name keys whose subjects a delivery's registry changes add or remove go, in the delivery's
transaction, to the persistent table relink_pending; `relink` re-links the stored rows of
those keys once, at the end of an ingest run (one pass over the linked feeds instead of one
per delivery), and empties the table in the same transaction. A run killed before that
leaves the keys pending and the next run re-links them: after every completed run each
row's link is a function of its name key and the current registry, whatever the order.
"""

from __future__ import annotations

import unicodedata

import duckdb

from riskwarn.ingest.macros import install_arrow_function
from riskwarn.store.schema import LINK_FEEDS, version_table

__all__ = [
    "BATCH_MATCHES",
    "LINK_METHODS",
    "create_batch_matches",
    "defer_relink",
    "drop_batch_matches",
    "install_name_key",
    "name_matches_sql",
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
    install_arrow_function(con, "rw_name_key", _name_key_arrow, "VARCHAR")


CHANGED_KEYS = "rw_changed_keys"
PENDING = "relink_pending"
_NEW_NAMES = "rw_new_names"
_MATCH = "rw_name_match"
_MATCH_KEYS = "rw_name_match_keys"
_RELINKED = "rw_relinked"


BATCH_MATCHES = "rw_batch_matches"


def start_delivery(con: duckdb.DuckDBPyConnection) -> None:
    """Register rw_name_key and reset the set of registry name keys this delivery changes."""
    install_name_key(con)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {CHANGED_KEYS} (name_key VARCHAR)")
    con.execute(f"DROP TABLE IF EXISTS {_MATCH}")


_BATCH_BASE = "rw_batch_matches_base"
_BATCH_CHANGED = "rw_batch_matches_changed"


def create_batch_matches(con: duckdb.DuckDBPyConnection, keys_sql: str) -> None:
    """Match the name keys selected by `keys_sql` (a batch's) against the registry as it is now;
    the view BATCH_MATCHES (name_key, linked, method) stays current as refresh_entity_names
    records the matches of the keys each delivery changes."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_BATCH_BASE} AS " + name_matches_sql(keys_sql))
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_BATCH_CHANGED} "
        "(name_key VARCHAR, linked VARCHAR, method VARCHAR)"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW {BATCH_MATCHES} AS SELECT * FROM {_BATCH_CHANGED} "
        f"UNION ALL SELECT b.* FROM {_BATCH_BASE} b ANTI JOIN {_BATCH_CHANGED} c USING (name_key)"
    )


def drop_batch_matches(con: duckdb.DuckDBPyConnection) -> None:
    """Drop what create_batch_matches made."""
    con.execute(f"DROP VIEW IF EXISTS {BATCH_MATCHES}")
    con.execute(f"DROP TABLE IF EXISTS {_BATCH_BASE}")
    con.execute(f"DROP TABLE IF EXISTS {_BATCH_CHANGED}")


def refresh_entity_names(
    con: duckdb.DuckDBPyConnection, touched_sql: str, current_sql: str | None = None
) -> None:
    """Recompute entity_names for the entity ids selected by `touched_sql` from their current
    name, remembering every name key that gained or lost a subject (its rows must be
    re-linked). Only (subject, key) pairs that changed are rewritten.

    `current_sql` selects (entity_id, name) of those subjects' current versions when the
    caller knows them (a delivery later than every stored one holds them itself); otherwise
    they are looked up among all versions."""
    if current_sql is None:
        current_sql = (
            f"SELECT entity_id, name FROM {version_table('entities')} "
            f"WHERE entity_id IN ({touched_sql}) "
            "QUALIFY row_number() OVER (PARTITION BY entity_id "
            "ORDER BY delivered_at DESC, delivery_seq DESC, source_line DESC) = 1"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_NEW_NAMES} AS "
        f"SELECT entity_id, rw_name_key(name) AS name_key FROM ({current_sql})"
    )
    # pairs only in the new names, or only in the stored ones: their subjects changed key
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rw_old_names AS SELECT entity_id, name_key FROM entity_names "
        f"WHERE entity_id IN (SELECT entity_id FROM {_NEW_NAMES})"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rw_name_changes AS "
        f"(SELECT * FROM {_NEW_NAMES} EXCEPT SELECT * FROM rw_old_names) UNION ALL "
        f"(SELECT * FROM rw_old_names EXCEPT SELECT * FROM {_NEW_NAMES})"
    )
    con.execute(
        f"INSERT INTO {CHANGED_KEYS} SELECT DISTINCT name_key FROM rw_name_changes "
        "WHERE name_key IS NOT NULL"
    )
    changed = "SELECT entity_id FROM rw_name_changes"
    con.execute(f"DELETE FROM entity_names WHERE entity_id IN ({changed})")
    con.execute(
        f"INSERT INTO entity_names SELECT entity_id, name_key FROM {_NEW_NAMES} "
        f"WHERE entity_id IN ({changed})"
    )
    for temp in (_NEW_NAMES, "rw_old_names", "rw_name_changes"):
        con.execute(f"DROP TABLE IF EXISTS {temp}")
    _match_changed_keys(con)


def _match_changed_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the batch's matches of the changed name keys up to date (for the rows inserted
    next)."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ?", [_BATCH_CHANGED]
    ).fetchone()
    if not exists or not exists[0]:
        return
    # only the keys the batch's rows have matter (of a backfill's changes, most have none)
    keys = (
        f"SELECT name_key FROM {CHANGED_KEYS} "
        f"WHERE name_key IN (SELECT name_key FROM {_BATCH_BASE})"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_MATCH_KEYS} AS {keys}")
    row = con.execute(f"SELECT count(*) FROM {_MATCH_KEYS}").fetchone()
    if row and row[0]:  # else no need to read the registry
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_MATCH} AS "
            + name_matches_sql(f"SELECT name_key FROM {_MATCH_KEYS}")
        )
        # the batch's changed keys are few: replaced, not updated in place
        con.execute(
            f"DELETE FROM {_BATCH_CHANGED} WHERE name_key IN (SELECT name_key FROM {_MATCH})"
        )
        con.execute(f"INSERT INTO {_BATCH_CHANGED} SELECT * FROM {_MATCH}")
    for temp in (_MATCH, _MATCH_KEYS):
        con.execute(f"DROP TABLE IF EXISTS {temp}")


def name_matches_sql(keys_sql: str) -> str:
    """SELECT name_key, linked, method for the name keys selected by `keys_sql`: the subject a
    key links to (exactly one subject has it as current name), or why none."""
    return (
        "SELECT k.name_key, CASE WHEN e.n = 1 THEN e.entity_id END AS linked, "
        "CASE WHEN e.n IS NULL THEN 'unknown_name' WHEN e.n = 1 THEN 'name' "
        "ELSE 'ambiguous_name' END AS method "
        f"FROM (SELECT DISTINCT name_key FROM ({keys_sql}) WHERE name_key IS NOT NULL) k "
        "LEFT JOIN (SELECT name_key, count(DISTINCT entity_id) AS n, min(entity_id) AS entity_id "
        f"FROM entity_names WHERE name_key IN ({keys_sql}) GROUP BY name_key) e USING (name_key)"
    )


def defer_relink(
    con: duckdb.DuckDBPyConnection, delivery_id: str, earlier_rows: bool = True
) -> None:
    """Inside a delivery's transaction: add the name keys its registry changes touched to
    relink_pending, for `relink` at the end of the run. (The delivery's own rows were linked
    when inserted, after those changes.) Without `earlier_rows` (the store held no delivery
    before this one) no stored row can need it. `delivery_id` names the delivery (for
    callers that log or wrap this step)."""
    if not earlier_rows:
        return
    # not deduplicated against earlier deliveries' keys (that would read the whole table
    # each time); relink takes the distinct keys
    con.execute(f"INSERT INTO {PENDING} SELECT DISTINCT name_key FROM {CHANGED_KEYS}")


def _relink_feed(con: duckdb.DuckDBPyConnection, table: str) -> int:
    """Inside relink's transaction: give the rows of `table` whose pending key now matches
    otherwise their new link; returns how many changed. The (few) changed rows are found
    first and updated by rowid: several times cheaper than one UPDATE … FROM over the join."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_RELINKED} AS "
        "SELECT v.rowid AS rw_rowid, m.linked, m.method "
        f"FROM {table} v JOIN {_MATCH} m ON v.name_key = m.name_key WHERE v.entity_id IS NULL "
        "AND (v.link_method IS DISTINCT FROM m.method OR v.linked_entity_id IS DISTINCT FROM m.linked)"
    )
    row = con.execute(f"SELECT count(*) FROM {_RELINKED}").fetchone()
    if row and row[0]:
        con.execute(
            f"UPDATE {table} SET linked_entity_id = c.linked, link_method = c.method "
            f"FROM {_RELINKED} c WHERE {table}.rowid = c.rw_rowid"
        )
    con.execute(f"DROP TABLE {_RELINKED}")
    return int(row[0]) if row else 0


def relink(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Re-link the stored rows whose name key is pending, against the registry's current
    names, and empty relink_pending, in one transaction; returns per feed how many rows
    changed link. One pass over each linked feed, however many deliveries added keys."""
    changed: dict[str, int] = dict.fromkeys(LINK_FEEDS, 0)
    row = con.execute(f"SELECT count(*) FROM {PENDING}").fetchone()
    if not row or row[0] == 0:
        return changed
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {_MATCH} AS "
            + name_matches_sql(f"SELECT name_key FROM {PENDING}")
        )
        for feed in LINK_FEEDS:
            changed[feed] = _relink_feed(con, version_table(feed))
        con.execute(f"DELETE FROM {PENDING}")
        con.execute(f"DROP TABLE IF EXISTS {_MATCH}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return changed
