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
from riskwarn.ingest.link import refresh_entity_names, relink, start_delivery
from riskwarn.ingest.macros import install_macros
from riskwarn.ingest.readers import STAGE_TABLE, create_stage, stage_file
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
    start_delivery(con)
    con.execute("BEGIN TRANSACTION")
    try:
        seq_row = con.execute(
            "SELECT coalesce(max(delivery_seq), 0) + 1 FROM deliveries"
        ).fetchone()
        seq = int(seq_row[0]) if seq_row else 1
        file_counts: dict[str, tuple[int, int, int]] = {}
        for spec in FEEDS.values():
            feed_files = delivery.files_of(spec.name)
            if feed_files:
                counts = _load_feed(con, delivery, spec, seq, settings, report, progress)
                file_counts.update(counts)
        if any(f.feed == "entities" for f in delivery.files):
            refresh_entity_names(
                con,
                f"SELECT entity_id FROM {version_table('entities')} "
                f"WHERE delivery_id = {_lit(delivery.delivery_id)}",
            )
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
    finally:
        for temp in (_CHECKED, _DUPS, STAGE_TABLE):
            con.execute(f"DROP TABLE IF EXISTS {temp}")
    report.seconds = time.monotonic() - t0
    return report


def _load_feed(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    spec: FeedSpec,
    seq: int,
    settings: Settings,
    report: DeliveryReport,
    progress: RowProgress | None,
) -> dict[str, tuple[int, int, int]]:
    """Stage, validate and store one feed of the delivery; returns per file (read, accepted, rejected)."""
    create_stage(con, spec)
    for idx, f in enumerate(delivery.files_of(spec.name)):
        n = stage_file(con, f, idx, spec)
        if progress is not None:
            progress.advance(n)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_DUPS} AS {duplicates_sql(spec)}")
    sql = validation_sql(
        spec, delivery.delivered_at, settings.future_tolerance_hours, delivery.backfill, _DUPS
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE {_CHECKED} AS {sql}")
    con.execute(f"DROP TABLE {_DUPS}")
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
    select = [f'"{c}"' for c in cols] + [values[p] for p in prov]
    source = _CHECKED
    if spec.name in LINK_FEEDS:
        # rows with an id link to it; rows with a name are linked by relink(); the rest have none.
        # The name key (a Python UDF) is computed once per row without id, in a subquery.
        source = (
            f"(SELECT *, CASE WHEN entity_id IS NULL THEN rw_name_key(entity_name) END "
            f"AS rw_nk FROM {_CHECKED} WHERE len(problems) = 0)"
        )
        target += ["linked_entity_id", "link_method", "name_key"]
        select += [
            "entity_id",
            "CASE WHEN entity_id IS NOT NULL THEN 'id' WHEN rw_nk IS NULL THEN 'no_name' END",
            "rw_nk",
        ]
    key = spec.key
    replaced = con.execute(
        f"SELECT count(*) FROM {_CHECKED} c WHERE len(c.problems) = 0 AND EXISTS ("
        f"SELECT 1 FROM {table} v WHERE v.{key} = c.{key} AND v.delivered_at < "
        f"TIMESTAMP '{delivery.delivered_at.isoformat(sep=' ')}')"
    ).fetchone()
    report.rows_replaced += int(replaced[0]) if replaced else 0
    con.execute(
        f"INSERT INTO {table} ({', '.join(target)}) SELECT {', '.join(select)} "
        f"FROM {source} WHERE len(problems) = 0"
    )
    raw_cols = ", ".join(f'{_lit(c)}, s."{c}"' for c in cols)
    con.execute(
        "INSERT INTO quarantine SELECT "
        f"{_lit(delivery.delivery_id)}, {_lit(spec.name)}, c.source_file, c.source_line, "
        "CASE WHEN s.unreadable IS NOT NULL THEN json_object('record', s.raw_text, 'error', s.unreadable) "
        f"ELSE json_merge_patch(json_object({raw_cols}), coalesce(s.extra, '{{}}')) END, "
        "list_sort(list_distinct(list_transform(c.problems, lambda p: p.code))), "
        "array_to_string(list_transform(c.problems, lambda p: p.text), '; '), "
        f"TIMESTAMP '{now_cst().isoformat(sep=' ')}' "
        f"FROM {_CHECKED} c JOIN {STAGE_TABLE} s USING (file_idx, source_line) "
        "WHERE len(c.problems) > 0"
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
    for code, n in con.execute(
        f"SELECT code, count(*) FROM (SELECT unnest(list_distinct(list_transform(problems, lambda p: p.code))) "
        f"AS code FROM {_CHECKED}) GROUP BY code"
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
