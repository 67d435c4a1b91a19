"""Reading and validating several deliveries at once, before any of them is stored.

Validation depends only on a delivery's own files, its delivered_at and its backfill flag,
never on the store, so the deliveries of a batch are read (one scan per feed and file shape)
and validated (one statement per feed) together, outside any transaction; each is then
stored in its own transaction from the validated tables (see load.py). Fixed costs (scans,
planning the validation statement) are paid once per batch instead of once per delivery
and file, and a file that cannot be read never aborts a delivery's transaction.

A batch's validated tables live in an in-memory database of their own, attached to the store's
DuckDB instance, so another connection of the instance (a cursor in a second thread) can
prepare the next batch while this one is stored (run.py). DuckDB spills it to the store's
temp directory like any temp table when memory runs short.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import duckdb

from riskwarn.config import Settings
from riskwarn.contract.schema import FEEDS, FeedSpec
from riskwarn.ingest.delivery import Delivery, DeliveryFile
from riskwarn.ingest.link import install_name_key
from riskwarn.ingest.macros import install_macros
from riskwarn.ingest.readers import FileReadError, ReadPlan, drop_stage, probe_file, stage_feed
from riskwarn.ingest.validate import duplicates_sql, validation_sql
from riskwarn.store.schema import LINK_FEEDS

__all__ = ["FeedCounts", "PreparedBatch", "prepare_batch"]

_DUPS = "rw_dups"


@dataclass
class FeedCounts:
    """What validation found in one feed of one delivery."""

    files: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # read, acc., rej.
    read: int = 0
    accepted: int = 0
    rejected: int = 0
    flagged: int = 0
    by_reason: dict[str, int] = field(default_factory=dict)


@dataclass
class PreparedBatch:
    """The validated tables of a batch (in the attached database `db`) and their counts, per
    (delivery index, feed)."""

    deliveries: list[Delivery]
    db: str
    counts: dict[tuple[int, str], FeedCounts] = field(default_factory=dict)
    # accepted rows that replace an earlier delivered version, found when the batch is stored
    replaced: dict[tuple[int, str], int] = field(default_factory=dict)

    def feed_counts(self, index: int, feed: str) -> FeedCounts:
        return self.counts.get((index, feed), FeedCounts())

    @property
    def table(self) -> str:
        """(rw_delivery, rw_delivered_at, rw_limit, rw_backfill) of the batch's deliveries."""
        return f"{self.db}.rw_batch"

    def checked(self, feed: str) -> str:
        """The table of the batch's validated rows of `feed`."""
        return f"{self.db}.rw_checked_{feed}"

    def names(self, feed: str) -> str:
        """The table of (rw_delivery, rw_name, rw_nk): every distinct entity_name of a
        delivery's accepted rows of `feed` (a feed linked by name) without entity_id, and
        its key."""
        return f"{self.db}.rw_names_{feed}"

    def drop(self, con: duckdb.DuckDBPyConnection) -> None:
        """Detach (and so free) the batch's database."""
        con.execute(f"DETACH DATABASE IF EXISTS {self.db}")


def prepare_batch(
    con: duckdb.DuckDBPyConnection, deliveries: Sequence[Delivery], settings: Settings, db: str
) -> PreparedBatch:
    """Read and validate every feed of `deliveries` into the new in-memory database `db`
    (checked(feed): rw_delivery is the delivery's index in `deliveries`), and count what
    validation found. Nothing of the store is read or written; on error `db` is detached."""
    batch = PreparedBatch(list(deliveries), db)
    con.execute(f"ATTACH ':memory:' AS {db}")
    try:
        install_macros(con)
        _create_batch_table(con, batch.table, deliveries, settings.future_tolerance_hours)
        for spec in FEEDS.values():
            _prepare_feed(con, batch, spec, settings)
    except BaseException:
        batch.drop(con)
        raise
    return batch


def _prepare_feed(
    con: duckdb.DuckDBPyConnection, batch: PreparedBatch, spec: FeedSpec, settings: Settings
) -> None:
    """Stage, check for duplicates, validate and count one feed of the batch."""
    files = [(i, f) for i, d in enumerate(batch.deliveries) for f in d.files_of(spec.name)]
    if not files:
        if spec.name in LINK_FEEDS:
            con.execute(
                f"CREATE TABLE {batch.names(spec.name)} "
                "(rw_delivery INTEGER, rw_name VARCHAR, rw_nk VARCHAR)"
            )
        return
    _stage_readable(con, files, spec)
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_DUPS} AS {duplicates_sql(spec)}")
        sql = validation_sql(spec, settings.future_tolerance_hours, batch.table, _DUPS)
        con.execute(f"CREATE TABLE {batch.checked(spec.name)} AS {sql}")
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_DUPS}")
        drop_stage(con)
    _count(con, spec, batch)
    if spec.name in LINK_FEEDS:
        _name_keys(con, batch, spec.name)


def _name_keys(con: duckdb.DuckDBPyConnection, batch: PreparedBatch, feed: str) -> None:
    """Name keys (a vectorised UDF, once per distinct name and delivery) of the names that
    accepted rows without id give."""
    install_name_key(con)
    con.execute(
        f"CREATE TABLE {batch.names(feed)} AS "
        "SELECT rw_delivery, rw_name, rw_name_key(rw_name) AS rw_nk FROM ("
        "SELECT DISTINCT rw_delivery, entity_name AS rw_name "
        f"FROM {batch.checked(feed)} WHERE entity_id IS NULL AND entity_name IS NOT NULL "
        "AND len(problems) = 0)"
    )


def _create_batch_table(
    con: duckdb.DuckDBPyConnection,
    table: str,
    deliveries: Sequence[Delivery],
    tolerance_hours: float,
) -> None:
    con.execute(
        f"CREATE TABLE {table} (rw_delivery INTEGER, "
        "rw_delivered_at TIMESTAMP, rw_limit TIMESTAMP, rw_backfill BOOLEAN)"
    )
    con.executemany(
        f"INSERT INTO {table} VALUES (?, ?, ? + to_microseconds(CAST(? AS BIGINT)), ?)",
        [
            [i, d.delivered_at, d.delivered_at, round(tolerance_hours * 3_600_000_000), d.backfill]
            for i, d in enumerate(deliveries)
        ],
    )


def _stage_readable(
    con: duckdb.DuckDBPyConnection, files: list[tuple[int, DeliveryFile]], spec: FeedSpec
) -> None:
    """Stage `files`; a scan that fails is retried with its unreadable files set aside (each
    becomes one unreadable record) or, when each reads alone, with its files read alone."""
    plan = ReadPlan()
    while True:
        try:
            stage_feed(con, files, spec, plan)
            return
        except FileReadError as exc:
            found = {f.path: why for f in exc.files if (why := probe_file(con, f)) is not None}
            if found:
                plan.unreadable.update(found)
            elif len(exc.files) > 1 and not all(f.path in plan.alone for f in exc.files):
                plan.alone.update(f.path for f in exc.files)
            else:
                raise exc.error from exc


def _count(con: duckdb.DuckDBPyConnection, spec: FeedSpec, batch: PreparedBatch) -> None:
    """Per delivery and file: rows read, accepted, rejected, flagged; per delivery: reasons."""
    table = batch.checked(spec.name)
    for d, name, read, accepted, rejected, flagged in con.execute(
        "SELECT rw_delivery, source_file, count(*), count(*) FILTER (WHERE len(problems) = 0), "
        "count(*) FILTER (WHERE len(problems) > 0), "
        "count(*) FILTER (WHERE len(problems) = 0 AND len(flags) > 0) "
        f"FROM {table} GROUP BY ALL"
    ).fetchall():
        c = batch.counts.setdefault((int(d), spec.name), FeedCounts())
        c.files[name] = (int(read), int(accepted), int(rejected))
        c.read += int(read)
        c.accepted += int(accepted)
        c.rejected += int(rejected)
        c.flagged += int(flagged)
    for d, code, n in con.execute(
        "SELECT rw_delivery, code, count(*) FROM (SELECT rw_delivery, unnest(list_distinct("
        f"list_transform(problems, lambda p: p.code))) AS code FROM {table} "
        "WHERE len(problems) > 0) GROUP BY ALL"
    ).fetchall():
        batch.counts.setdefault((int(d), spec.name), FeedCounts()).by_reason[code] = int(n)
