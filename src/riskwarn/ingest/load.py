"""Storing deliveries, each in one transaction: versions, quarantine, ledger, links.

Deliveries are read and validated a batch at a time (batch.py), then stored one by one.
Either the whole delivery lands (every accepted version, every rejected row, its ledger
rows, its registry names and the name keys it leaves to re-link) or, on any error or a
kill, nothing of it does.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from riskwarn.config import Settings
from riskwarn.contract.schema import FEEDS, FeedSpec
from riskwarn.errors import DeliveryError
from riskwarn.ingest.batch import PreparedBatch, prepare_batch
from riskwarn.ingest.delivery import Delivery, estimate_records, hash_file, now_cst
from riskwarn.ingest.link import (
    BATCH_MATCHES,
    create_batch_matches,
    defer_relink,
    drop_batch_matches,
    refresh_entity_names,
    relink,
    start_delivery,
)
from riskwarn.ingest.report import DeliveryReport, FileReport
from riskwarn.progress import NullProgress, RowProgress
from riskwarn.store.schema import LINK_FEEDS, PROVENANCE_COLUMNS, version_table

__all__ = [
    "estimate_delivery",
    "hash_delivery",
    "load_deliveries",
    "load_delivery",
    "PreparedDeliveries",
    "new_deliveries",
    "prepare_deliveries",
    "store_batch",
]


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def estimate_delivery(delivery: Delivery) -> int:
    """The delivery's records, estimated without reading its files whole."""
    return sum(estimate_records(f.path, f.format) for f in delivery.files)


def hash_delivery(delivery: Delivery) -> tuple[str, list[FileReport], int]:
    """(content hash, file reports with sha256 and size, estimated records) of a delivery."""
    files: list[FileReport] = []
    outer = hashlib.sha256()
    for f in delivery.files:
        sha, size = hash_file(f.path)
        files.append(FileReport(f.name, f.feed, f.format, sha, size))
        outer.update(f"{f.name}\0{sha}\n".encode())
    return outer.hexdigest(), files, estimate_delivery(delivery)


def _already_ingested(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, content_hash: str, files: list[FileReport]
) -> bool:
    row = con.execute(
        "SELECT content_hash FROM deliveries WHERE delivery_id = ?", [delivery.delivery_id]
    ).fetchone()
    if row is None:
        return False
    if row[0] == content_hash:
        return True
    stored = dict(
        con.execute(
            "SELECT file, sha256 FROM delivery_files WHERE delivery_id = ?", [delivery.delivery_id]
        ).fetchall()
    )
    now = {f.file: f.sha256 for f in files}
    differ = sorted(
        [f"{n} (changed)" for n in now.keys() & stored.keys() if now[n] != stored[n]]
        + [f"{n} (new)" for n in now.keys() - stored.keys()]
        + [f"{n} (missing)" for n in stored.keys() - now.keys()]
    )
    raise DeliveryError(
        f"delivery {delivery.delivery_id!r} ({delivery.folder}) was already ingested with different "
        f"content; files that differ: {', '.join(differ)}. A correction must come as a new delivery "
        "with its own delivery_id."
    )


def load_delivery(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    settings: Settings,
    progress: RowProgress | NullProgress | None = None,
    hashed: tuple[str, list[FileReport], int] | None = None,
) -> DeliveryReport:
    """Ingest `delivery` atomically; an already ingested, identical delivery changes nothing.

    `hashed` is the delivery's hash_delivery() result when the caller already computed it.
    Stored rows whose name link the delivery changed are re-linked afterwards.
    """
    report = load_deliveries(
        con, [delivery], settings, progress, [hashed or hash_delivery(delivery)]
    )[0]
    relink(con)
    return report


def load_deliveries(
    con: duckdb.DuckDBPyConnection,
    deliveries: Sequence[Delivery],
    settings: Settings,
    progress: RowProgress | NullProgress | None,
    hashes: Sequence[tuple[str, list[FileReport], int]],
) -> list[DeliveryReport]:
    """Ingest `deliveries` (distinct ids), in order, each atomically in its own transaction.

    Those not yet in the store are read and validated together first (batch.py), then
    stored one by one; an already ingested, identical delivery changes nothing. Stored rows
    whose name link changed are left to `relink` (link.py), which the caller runs. (run.py
    does the same with the next batch prepared while this one is stored.)
    """
    return store_batch(con, prepare_deliveries(con, deliveries, hashes, settings), progress)


@dataclass
class PreparedDeliveries:
    """A batch of deliveries with their hashes: which of them were new when it was prepared
    (`todo`, indexes into `deliveries`), their validated rows, and the seconds that took."""

    deliveries: list[Delivery]
    hashes: list[tuple[str, list[FileReport], int]]
    todo: list[int]
    batch: PreparedBatch | None
    seconds: float


def prepare_deliveries(
    con: duckdb.DuckDBPyConnection,
    deliveries: Sequence[Delivery],
    hashes: Sequence[tuple[str, list[FileReport], int]],
    settings: Settings,
    db: str = "rw_batch_0",
) -> PreparedDeliveries:
    """Read and validate those of `deliveries` (distinct ids) not yet in the store into the
    in-memory database `db` (batch.py). Reads the store only, so it can run on a cursor
    while another batch is stored."""
    t = time.monotonic()
    todo = new_deliveries(con, deliveries, hashes)
    batch = prepare_batch(con, [deliveries[i] for i in todo], settings, db) if todo else None
    return PreparedDeliveries(list(deliveries), list(hashes), todo, batch, time.monotonic() - t)


def new_deliveries(
    con: duckdb.DuckDBPyConnection,
    deliveries: Sequence[Delivery],
    hashes: Sequence[tuple[str, list[FileReport], int]],
) -> list[int]:
    """Indexes of `deliveries` (distinct ids) not in the store with the same content; a
    delivery id stored with other content raises DeliveryError. Reads the store only."""
    ids = [d.delivery_id for d in deliveries]
    if len(set(ids)) != len(ids):
        raise ValueError(f"a batch of deliveries repeats an id: {ids}")
    return [
        i
        for i, (d, h) in enumerate(zip(deliveries, hashes, strict=True))
        if not _already_ingested(con, d, h[0], h[1])
    ]


def store_batch(
    con: duckdb.DuckDBPyConnection,
    prepared: PreparedDeliveries,
    progress: RowProgress | NullProgress | None,
) -> list[DeliveryReport]:
    """Store the new deliveries of `prepared`, in order, each in its own transaction, and
    report on every delivery; one found in the store by now (another copy of it came earlier
    in the run) changes nothing. The prepared batch is freed."""
    p, batch = prepared, prepared.batch
    reports = [_new_report(d, h[1]) for d, h in zip(p.deliveries, p.hashes, strict=True)]
    try:
        if batch is not None:
            keys = " UNION ALL ".join(
                f"SELECT rw_nk AS name_key FROM {batch.names(f)}" for f in LINK_FEEDS
            )
            create_batch_matches(con, keys)
            _count_replaced(con, batch)
        stored = {i: j for j, i in enumerate(p.todo)}
        for i, delivery in enumerate(p.deliveries):
            t = time.monotonic()
            content_hash, files, _ = p.hashes[i]
            if i not in stored or _already_ingested(con, delivery, content_hash, files):
                _report_stored(con, reports[i])
            else:
                assert batch is not None
                _store_delivery(con, batch, stored[i], content_hash, reports[i])
                reports[i].seconds = time.monotonic() - t + p.seconds / len(p.todo)
            if progress is not None:
                progress.advance(reports[i].rows_read)
    finally:
        if batch is not None:
            batch.drop(con)
            drop_batch_matches(con)
    return reports


def _new_report(delivery: Delivery, files: list[FileReport]) -> DeliveryReport:
    return DeliveryReport(
        delivery.delivery_id,
        delivery.folder,
        delivery.delivered_at,
        delivery.backfill,
        "ingested",
        files=files,
        ignored_files=list(delivery.ignored),
    )


def _report_stored(con: duckdb.DuckDBPyConnection, report: DeliveryReport) -> None:
    """Fill `report` of an already ingested delivery with the counts the ledger holds."""
    report.status = "already_ingested"
    row = con.execute(
        "SELECT rows_read, rows_accepted, rows_rejected, rows_replaced, rows_flagged "
        "FROM deliveries WHERE delivery_id = ?",
        [report.delivery_id],
    ).fetchone()
    if row:
        (
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected,
            report.rows_replaced,
            report.rows_flagged,
        ) = (int(x) for x in row)


def _store_delivery(
    con: duckdb.DuckDBPyConnection,
    batch: PreparedBatch,
    index: int,
    content_hash: str,
    report: DeliveryReport,
) -> None:
    """Store delivery `index` of the validated batch in one transaction: versions, quarantine,
    registry names and the name keys left to re-link, ledger rows; nothing of it on any error."""
    delivery = batch.deliveries[index]
    start_delivery(con)
    con.execute("BEGIN TRANSACTION")
    try:
        seq_row = con.execute(
            "SELECT coalesce(max(delivery_seq), 0) + 1, max(delivered_at) FROM deliveries"
        ).fetchone()
        seq = int(seq_row[0]) if seq_row else 1
        # no stored version is later than this delivery's: its own rows are the current ones
        latest = seq_row is None or seq_row[1] is None or seq_row[1] <= delivery.delivered_at
        file_counts: dict[str, tuple[int, int, int]] = {}
        for spec in FEEDS.values():
            if not delivery.files_of(spec.name):
                continue
            counts = batch.feed_counts(index, spec.name)
            if counts.accepted:
                report.rows_replaced += batch.replaced.get((index, spec.name), 0)
                _insert_versions(con, batch, index, spec, seq)
            if counts.rejected:
                _insert_quarantine(con, batch, index, spec)
            if spec.name == "entities" and counts.accepted:
                # before the feeds that link to subjects by name
                accepted = (
                    f"FROM {batch.checked('entities')} "
                    f"WHERE rw_delivery = {index} AND len(problems) = 0"
                )
                refresh_entity_names(
                    con,
                    f"SELECT entity_id {accepted}",
                    f"SELECT entity_id, name {accepted}" if latest else None,
                )
            file_counts.update(counts.files)
            report.rows_read += counts.read
            report.rows_accepted += counts.accepted
            report.rows_rejected += counts.rejected
            report.rows_flagged += counts.flagged
            for code, n in counts.by_reason.items():
                report.rejected_by_reason[code] = report.rejected_by_reason.get(code, 0) + n
        defer_relink(con, delivery.delivery_id, earlier_rows=seq > 1)
        report.files = [
            FileReport(
                f.file, f.feed, f.format, f.sha256, f.bytes, *file_counts.get(f.file, (0, 0, 0))
            )
            for f in report.files
        ]
        _write_ledger(con, delivery, content_hash, seq, report)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _count_replaced(con: duckdb.DuckDBPyConnection, batch: PreparedBatch) -> None:
    """Fill batch.replaced: per (delivery index, feed), the accepted rows whose key already
    has a version delivered before that delivery, stored before the batch or by one of the
    batch's deliveries stored before it. (A delivery accepts at most one row per key.)

    One statement per feed and batch, not per delivery: it reads the version table's whole
    key column once (not at all when the store is empty), probing the hash table of the
    batch's keys; within the batch only keys that occur more than once are compared."""
    row = con.execute("SELECT count(*) FROM deliveries").fetchone()
    store_empty = not row or row[0] == 0
    for spec in FEEDS.values():
        if not any(batch.feed_counts(i, spec.name).accepted for i in range(len(batch.deliveries))):
            continue
        key, checked = spec.key, batch.checked(spec.name)
        accepted = (
            f"(SELECT c.rw_delivery, c.{key} AS rw_key, b.rw_delivered_at FROM {checked} c "
            f"JOIN {batch.table} b USING (rw_delivery) WHERE len(c.problems) = 0)"
        )
        pieces = []
        if len(batch.deliveries) > 1:
            pieces.append(
                "SELECT a.rw_delivery, a.rw_key FROM r a JOIN r e ON e.rw_key = a.rw_key "
                "AND e.rw_delivery < a.rw_delivery AND e.rw_delivered_at < a.rw_delivered_at"
            )
        if not store_empty:
            pieces.append(
                "SELECT a.rw_delivery, a.rw_key FROM a JOIN ("
                f"SELECT v.{key} AS rw_key, min(v.delivered_at) AS rw_first "
                f"FROM {version_table(spec.name)} v WHERE v.{key} IN (SELECT rw_key FROM a) "
                "GROUP BY ALL) s ON s.rw_key = a.rw_key AND s.rw_first < a.rw_delivered_at"
            )
        if not pieces:
            continue
        rows = con.execute(
            f"WITH a AS {accepted}, "
            "r AS (SELECT * FROM a WHERE rw_key IN "
            "(SELECT rw_key FROM a GROUP BY rw_key HAVING count(*) > 1)) "
            f"SELECT rw_delivery, count(*) FROM ({' UNION '.join(pieces)}) GROUP BY ALL"
        ).fetchall()
        for index, n in rows:
            batch.replaced[(int(index), spec.name)] = int(n)


def _insert_quarantine(
    con: duckdb.DuckDBPyConnection, batch: PreparedBatch, index: int, spec: FeedSpec
) -> None:
    """Keep the delivery's rejected rows of `spec`'s feed, with every reason."""
    delivery = batch.deliveries[index]
    con.execute(
        "INSERT INTO quarantine SELECT "
        f"{_lit(delivery.delivery_id)}, {_lit(spec.name)}, source_file, source_line, rw_raw, "
        "list_sort(list_distinct(list_transform(problems, lambda p: p.code))), "
        "array_to_string(list_transform(problems, lambda p: p.text), '; '), "
        f"TIMESTAMP '{now_cst().isoformat(sep=' ')}' "
        f"FROM {batch.checked(spec.name)} WHERE rw_delivery = {index} AND len(problems) > 0"
    )


def _insert_versions(
    con: duckdb.DuckDBPyConnection, batch: PreparedBatch, index: int, spec: FeedSpec, seq: int
) -> None:
    """Append the delivery's accepted rows to the feed's version table; rows of the feeds
    that name subjects are linked as they go in (by id, else by name key)."""
    delivery = batch.deliveries[index]
    table = version_table(spec.name)
    cols = list(spec.column_names)
    prov = [n for n, _ in PROVENANCE_COLUMNS]
    values = {
        "delivery_id": _lit(delivery.delivery_id),
        "delivered_at": f"TIMESTAMP '{delivery.delivered_at.isoformat(sep=' ')}'",
        "known_at": "known_at",
        "delivery_seq": str(seq),
        "source_file": "source_file",
        "source_line": "source_line",
        "flags": "flags",
        "extra": "CAST(extra AS JSON)",
    }
    target = cols + prov
    select = [f'c."{c}"' for c in cols] + [values[p] for p in prov]
    accepted = (
        f"(SELECT * FROM {batch.checked(spec.name)} "
        f"WHERE rw_delivery = {index} AND len(problems) = 0)"
    )
    if spec.name not in LINK_FEEDS:
        con.execute(
            f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(select)} FROM {accepted} c"
        )
        return
    # rows with an id link by it, without a join; the others by name key (the batch computed
    # the key of every distinct name of rows without id, batch.py)
    target += ["linked_entity_id", "link_method", "name_key"]
    by_id = [*select, "c.entity_id", "'id'", "NULL"]
    con.execute(
        f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(by_id)} "
        f"FROM {accepted} c WHERE c.entity_id IS NOT NULL"
    )
    by_name = [
        *select,
        "m.linked",
        "CASE WHEN n.rw_nk IS NULL THEN 'no_name' ELSE m.method END",
        "n.rw_nk",
    ]
    names = f"(SELECT rw_name, rw_nk FROM {batch.names(spec.name)} WHERE rw_delivery = {index})"
    con.execute(
        f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(by_name)} "
        f"FROM {accepted} c LEFT JOIN {names} n ON n.rw_name = c.entity_name "
        f"LEFT JOIN {BATCH_MATCHES} m ON m.name_key = n.rw_nk WHERE c.entity_id IS NULL"
    )


def _write_ledger(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    content_hash: str,
    seq: int,
    report: DeliveryReport,
) -> None:
    con.execute(
        "INSERT INTO deliveries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            delivery.delivery_id,
            str(delivery.folder),
            delivery.delivered_at,
            delivery.backfill,
            json.dumps(delivery.manifest, ensure_ascii=False)
            if delivery.manifest is not None
            else None,
            content_hash,
            seq,
            now_cst(),
            report.rows_read,
            report.rows_accepted,
            report.rows_rejected,
            report.rows_replaced,
            report.rows_flagged,
        ],
    )
    if report.files:
        # one statement for all the delivery's files (executemany runs one per row: ~10 ms
        # each inside a big transaction)
        rows = [
            [delivery.delivery_id, f.file, f.feed, f.format, f.sha256, f.bytes]
            + [f.rows_read, f.rows_accepted, f.rows_rejected]
            for f in report.files
        ]
        values = ", ".join(["(?, ?, ?, ?, ?, ?, ?, ?, ?)"] * len(rows))
        con.execute(f"INSERT INTO delivery_files VALUES {values}", [v for row in rows for v in row])
