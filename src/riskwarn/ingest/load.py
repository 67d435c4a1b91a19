"""Loading one delivery into the store in one transaction: versions, quarantine, ledger, links.

Either the whole delivery lands (every accepted version, every rejected row, its ledger
rows and the re-linking it causes) or, on any error or a kill, nothing of it does.
"""

from __future__ import annotations

import hashlib
import json
import time

import duckdb

from riskwarn.config import Settings
from riskwarn.contract.schema import FEEDS, FeedSpec
from riskwarn.errors import DeliveryError
from riskwarn.ingest.delivery import Delivery, hash_file, now_cst
from riskwarn.ingest.link import name_matches_sql, refresh_entity_names, relink, start_delivery
from riskwarn.ingest.macros import install_macros
from riskwarn.ingest.readers import FileReadError, ReadPlan, drop_stage, probe_file, stage_feed
from riskwarn.ingest.report import DeliveryReport, FileReport
from riskwarn.ingest.validate import duplicates_sql, validation_sql
from riskwarn.progress import RowProgress
from riskwarn.store.schema import LINK_FEEDS, PROVENANCE_COLUMNS, version_table

__all__ = ["hash_delivery", "load_delivery"]

_CHECKED = "rw_checked"
_DUPS = "rw_dups"


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def hash_delivery(delivery: Delivery) -> tuple[str, list[FileReport], int]:
    """(content hash, file reports with sha256 and size, estimated records) of a delivery."""
    files: list[FileReport] = []
    estimate = 0
    outer = hashlib.sha256()
    for f in delivery.files:
        sha, size, lines = hash_file(f.path, f.format)
        files.append(FileReport(f.name, f.feed, f.format, sha, size))
        outer.update(f"{f.name}\0{sha}\n".encode())
        estimate += lines
    return outer.hexdigest(), files, estimate


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
    progress: RowProgress | None = None,
    hashed: tuple[str, list[FileReport], int] | None = None,
) -> DeliveryReport:
    """Ingest `delivery` atomically; an already ingested, identical delivery changes nothing.

    `hashed` is the delivery's hash_delivery() result when the caller already computed it.
    """
    t0 = time.monotonic()
    content_hash, files, _ = hashed or hash_delivery(delivery)
    report = DeliveryReport(
        delivery.delivery_id,
        delivery.folder,
        delivery.delivered_at,
        delivery.backfill,
        "ingested",
        files=files,
        ignored_files=list(delivery.ignored),
    )
    if _already_ingested(con, delivery, content_hash, files):
        report.status = "already_ingested"
        row = con.execute(
            "SELECT rows_read, rows_accepted, rows_rejected, rows_replaced, rows_flagged "
            "FROM deliveries WHERE delivery_id = ?",
            [delivery.delivery_id],
        ).fetchone()
        if row:
            (
                report.rows_read,
                report.rows_accepted,
                report.rows_rejected,
                report.rows_replaced,
                report.rows_flagged,
            ) = (int(x) for x in row)
        if progress is not None:
            progress.advance(report.rows_read)
        report.seconds = time.monotonic() - t0
        return report
    install_macros(con)
    plan = ReadPlan()
    while True:
        start_delivery(con)
        advanced = _Advanced(progress)
        try:
            _load_in_transaction(
                con, delivery, settings, content_hash, files, report, advanced, plan
            )
            break
        except FileReadError as exc:
            advanced.undo()
            _learn_unreadable(con, exc, plan)
            report = _fresh(report)
        finally:
            for temp in (_CHECKED, _DUPS):
                con.execute(f"DROP TABLE IF EXISTS {temp}")
            drop_stage(con)
    report.seconds = time.monotonic() - t0
    return report


class _Advanced:
    """Rows an attempt at a delivery advanced the progress display by, to undo on a retry."""

    def __init__(self, progress: RowProgress | None) -> None:
        self.progress = progress
        self.rows = 0

    def advance(self, rows: int) -> None:
        if self.progress is not None:
            self.progress.advance(rows)
            self.rows += rows

    def undo(self) -> None:
        self.advance(-self.rows)
        self.rows = 0


def _fresh(report: DeliveryReport) -> DeliveryReport:
    """`report` with its counts reset, for another attempt at the delivery."""
    return DeliveryReport(
        report.delivery_id,
        report.folder,
        report.delivered_at,
        report.backfill,
        report.status,
        files=report.files,
        ignored_files=report.ignored_files,
    )


def _learn_unreadable(con: duckdb.DuckDBPyConnection, exc: FileReadError, plan: ReadPlan) -> None:
    """After a failed scan (its transaction rolled back), find which of its files cannot be
    read on their own; when none, read each of them alone next time. Re-raises when the
    failure is not the files' own."""
    found = {f.path: why for f in exc.files if (why := probe_file(con, f)) is not None}
    if found:
        plan.unreadable.update(found)
    elif len(exc.files) > 1 and not all(f.path in plan.alone for f in exc.files):
        plan.alone.update(f.path for f in exc.files)
    else:
        raise exc.error


def _load_in_transaction(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    settings: Settings,
    content_hash: str,
    files: list[FileReport],
    report: DeliveryReport,
    progress: _Advanced,
    plan: ReadPlan,
) -> None:
    """One attempt at the delivery, in one transaction (rolled back on any error)."""
    con.execute("BEGIN TRANSACTION")
    try:
        seq_row = con.execute(
            "SELECT coalesce(max(delivery_seq), 0) + 1 FROM deliveries"
        ).fetchone()
        seq = int(seq_row[0]) if seq_row else 1
        file_counts: dict[str, tuple[int, int, int]] = {}
        for spec in FEEDS.values():
            feed_files = delivery.files_of(spec.name)
            if not feed_files:
                continue
            stage_feed(con, feed_files, spec, plan)
            file_counts.update(_load_feed(con, delivery, spec, seq, settings, report, progress))
            if spec.name == "entities":  # before the feeds that link to subjects by name
                refresh_entity_names(con, delivery.delivery_id)
        relink(con, delivery.delivery_id)
        report.files = [
            FileReport(
                f.file, f.feed, f.format, f.sha256, f.bytes, *file_counts.get(f.file, (0, 0, 0))
            )
            for f in files
        ]
        _write_ledger(con, delivery, content_hash, seq, report)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _insert_versions(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, spec: FeedSpec, seq: int
) -> None:
    """Append the accepted rows of rw_checked to the feed's version table; rows of the feeds
    that name subjects are linked as they go in (by id, else by name key)."""
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
    accepted = f"(SELECT * FROM {_CHECKED} WHERE len(problems) = 0)"
    if spec.name not in LINK_FEEDS:
        con.execute(
            f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(select)} FROM {accepted} c"
        )
        return
    # the name key (a Python UDF) is computed once per row without id
    target += ["linked_entity_id", "link_method", "name_key"]
    select += [
        "CASE WHEN c.entity_id IS NOT NULL THEN c.entity_id ELSE m.linked END",
        "CASE WHEN c.entity_id IS NOT NULL THEN 'id' WHEN c.rw_nk IS NULL THEN 'no_name' "
        "ELSE m.method END",
        "c.rw_nk",
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rw_keyed AS SELECT *, CASE WHEN entity_id IS NULL "
        f"THEN rw_name_key(entity_name) END AS rw_nk FROM {accepted}"
    )
    con.execute(
        f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(select)} FROM rw_keyed c "
        f"LEFT JOIN ({name_matches_sql('SELECT rw_nk AS name_key FROM rw_keyed')}) m "
        "ON m.name_key = c.rw_nk"
    )
    con.execute("DROP TABLE rw_keyed")


def _load_feed(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    spec: FeedSpec,
    seq: int,
    settings: Settings,
    report: DeliveryReport,
    progress: _Advanced,
) -> dict[str, tuple[int, int, int]]:
    """Validate and store the staged feed; returns per file (read, accepted, rejected)."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_DUPS} AS {duplicates_sql(spec)}")
    sql = validation_sql(
        spec, delivery.delivered_at, settings.future_tolerance_hours, delivery.backfill, _DUPS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_CHECKED} AS {sql}")
    con.execute(f"DROP TABLE {_DUPS}")
    table = version_table(spec.name)
    key = spec.key
    replaced = con.execute(
        f"SELECT count(*) FROM {_CHECKED} c WHERE len(c.problems) = 0 AND EXISTS ("
        f"SELECT 1 FROM {table} v WHERE v.{key} = c.{key} AND v.delivered_at < "
        f"TIMESTAMP '{delivery.delivered_at.isoformat(sep=' ')}')"
    ).fetchone()
    report.rows_replaced += int(replaced[0]) if replaced else 0
    _insert_versions(con, delivery, spec, seq)
    con.execute(
        "INSERT INTO quarantine SELECT "
        f"{_lit(delivery.delivery_id)}, {_lit(spec.name)}, source_file, source_line, rw_raw, "
        "list_sort(list_distinct(list_transform(problems, lambda p: p.code))), "
        "array_to_string(list_transform(problems, lambda p: p.text), '; '), "
        f"TIMESTAMP '{now_cst().isoformat(sep=' ')}' "
        f"FROM {_CHECKED} WHERE len(problems) > 0"
    )
    per_file = con.execute(
        "SELECT source_file, count(*), count(*) FILTER (WHERE len(problems) = 0), "
        "count(*) FILTER (WHERE len(problems) > 0), "
        "count(*) FILTER (WHERE len(problems) = 0 AND len(flags) > 0) "
        f"FROM {_CHECKED} GROUP BY source_file"
    ).fetchall()
    out: dict[str, tuple[int, int, int]] = {}
    for name, read, accepted, rejected, flagged in per_file:
        out[name] = (int(read), int(accepted), int(rejected))
        report.rows_read += int(read)
        report.rows_accepted += int(accepted)
        report.rows_rejected += int(rejected)
        report.rows_flagged += int(flagged)
        progress.advance(int(read))
    for code, n in con.execute(
        "SELECT code, count(*) FROM (SELECT unnest(list_distinct(list_transform(problems, "
        f"lambda p: p.code))) AS code FROM {_CHECKED} WHERE len(problems) > 0) GROUP BY code"
    ).fetchall():
        report.rejected_by_reason[code] = report.rejected_by_reason.get(code, 0) + int(n)
    con.execute(f"DROP TABLE IF EXISTS {_CHECKED}")
    return out


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
    for f in report.files:
        con.execute(
            "INSERT INTO delivery_files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                delivery.delivery_id,
                f.file,
                f.feed,
                f.format,
                f.sha256,
                f.bytes,
                f.rows_read,
                f.rows_accepted,
                f.rows_rejected,
            ],
        )
