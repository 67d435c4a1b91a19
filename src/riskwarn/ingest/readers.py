"""Read one feed's files of a batch of deliveries into the staging view: every column as text.

All formats land in one shape (the `rw_stage` view): rw_delivery (the file's delivery, by its
index in the batch), file_idx (the file's index among the feed's files of the batch),
source_file, source_line, one VARCHAR per contract column (NULL when the file lacks it),
`extra` (JSON of columns the contract does not name), and for records that cannot be parsed
`unreadable` (why) and `raw_text` (the record as read). DuckDB does the reading; no Python
loop touches rows.

Files that share a shape (CSV files with the same header line, Parquet files with the same
columns, every JSONL file) are read by one scan, not one per file, so a feed split into many
part files costs about what one file costs. source_line is the 1-based record index within
its file, header not counted (a CSV record with embedded newlines counts once): a scan keeps
file order, so a record's index is its row position minus its file's first position. DuckDB's
CSV reader skips records it cannot parse and reports them, by record number, in a rejects
table; good rows are numbered around them.

A scan that fails raises `FileReadError`; the caller (batch.py, outside any transaction)
finds the culprit with `probe_file` and stages again, with that file as one unreadable record
(source_line 0), or with the group's files read one by one.
"""

from __future__ import annotations

import gzip
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from riskwarn.contract.schema import FeedSpec
from riskwarn.ingest.delivery import DeliveryFile

__all__ = [
    "STAGE_TABLE",
    "FileReadError",
    "ReadPlan",
    "drop_stage",
    "probe_file",
    "stage_feed",
]

STAGE_TABLE = "rw_stage"  # a view over the group tables below
_FILES = "rw_feed_files"  # index, delivery, name, path of the feed's files
_BAD = "rw_bad_records"  # records that cannot be parsed, and unreadable files
_CSV_OPTIONS = (
    "delim = ',', quote = '\"', escape = '\"', ignore_errors = true, filename = 'rw_filename'"
)
_JSONL_OPTIONS = (
    "columns = {'rw_json': 'VARCHAR'}, header = false, delim = E'\\x01', quote = '', "
    "escape = '', auto_detect = false, ignore_errors = true, filename = 'rw_filename'"
)
_BOM = b"\xef\xbb\xbf"


class FileReadError(Exception):
    """A scan of `files` failed; one of them (or their combination) cannot be read."""

    def __init__(self, files: Sequence[DeliveryFile], error: duckdb.Error) -> None:
        super().__init__(str(error))
        self.files = list(files)
        self.error = error


@dataclass
class ReadPlan:
    """What earlier attempts at a delivery learned: unreadable files (with why), and files
    that must each be read by a scan of their own."""

    unreadable: dict[Path, str] = field(default_factory=dict)
    alone: set[Path] = field(default_factory=set)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _paths(files: Sequence[tuple[int, DeliveryFile]]) -> str:
    return "[" + ", ".join(_lit(str(f.path)) for _, f in files) + "]"


def _csv_source(paths: str) -> str:
    return f"read_csv({paths}, header = true, all_varchar = true, {_CSV_OPTIONS}"


def _first_line(file: DeliveryFile) -> bytes | None:
    """The first physical line of a (gzipped) CSV file, or None when the file is empty or
    cannot be opened (it is then read on its own and its error reported)."""
    try:
        opener = gzip.open if file.format == "csv.gz" else open
        with opener(file.path, "rb") as fh:
            line: bytes = fh.readline(1 << 20)
    except (OSError, EOFError):
        return None
    return line or None


def _parquet_columns(file: DeliveryFile) -> tuple[str, ...] | None:
    try:
        import pyarrow.parquet as pq

        return tuple(pq.read_schema(file.path).names)
    except Exception:  # noqa: BLE001 - DuckDB reports the file's problem when it reads it
        return None


def _group_files(
    files: Sequence[tuple[int, DeliveryFile]], alone: set[Path]
) -> list[list[tuple[int, DeliveryFile]]]:
    """Files that one scan can read together: same format and same header (CSV) or columns
    (Parquet); JSONL files all share one shape. A file whose shape is unknown reads alone."""
    groups: dict[object, list[tuple[int, DeliveryFile]]] = {}
    for idx, f in files:
        key: object
        if f.path in alone:
            key = ("alone", idx)
        elif f.format == "jsonl":
            key = ("jsonl",)
        elif f.format == "parquet":
            cols = _parquet_columns(f)
            key = ("parquet", cols) if cols is not None else ("alone", idx)
        else:
            line = _first_line(f)
            key = (
                (f.format, line.startswith(_BOM), line.removeprefix(_BOM).rstrip(b"\r\n"))
                if line is not None and line.count(b'"') % 2 == 0  # a whole record
                else ("alone", idx)
            )
        groups.setdefault(key, []).append((idx, f))
    return list(groups.values())


def probe_file(con: duckdb.DuckDBPyConnection, file: DeliveryFile) -> str | None:
    """Why `file` cannot be read at all (read on its own, outside any transaction), or None."""
    path = _paths([(0, file)])
    if file.format == "parquet":
        source = f"read_parquet({path})"
    elif file.format == "jsonl":
        source = f"read_csv({path}, {_JSONL_OPTIONS})"
    else:
        source = _csv_source(path) + ")"
    try:
        con.execute(f"SELECT count(*) FROM {source}").fetchall()
    except duckdb.Error as exc:
        return f"file {file.name} cannot be read: {str(exc).splitlines()[0]}"
    return None


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the staging view and every table behind it."""
    con.execute(f"DROP VIEW IF EXISTS {STAGE_TABLE}")
    tables = con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE temporary AND "
        "(table_name LIKE 'rw\\_g%' ESCAPE '\\' OR table_name LIKE 'rw\\_rej%' ESCAPE '\\' "
        f"OR table_name IN ('{_FILES}', '{_BAD}'))"
    ).fetchall()
    for (name,) in tables:
        con.execute(f"DROP TABLE IF EXISTS {_q(name)}")


def stage_feed(
    con: duckdb.DuckDBPyConnection,
    files: Sequence[tuple[int, DeliveryFile]],
    spec: FeedSpec,
    plan: ReadPlan,
) -> None:
    """(Re)create the staging view over one feed's `files` ((delivery index, file), in order).

    Raises FileReadError when a scan fails (the caller probes its files and retries).
    """
    drop_stage(con)
    con.execute(
        f"CREATE TEMP TABLE {_FILES} (rw_file_idx INTEGER, rw_delivery INTEGER, rw_name VARCHAR, "
        "rw_path VARCHAR)"
    )
    if files:
        con.executemany(
            f"INSERT INTO {_FILES} VALUES (?, ?, ?, ?)",
            [[i, d, f.name, str(f.path)] for i, (d, f) in enumerate(files)],
        )
    con.execute(
        f"CREATE TEMP TABLE {_BAD} (rw_delivery INTEGER, file_idx INTEGER, source_file VARCHAR, "
        "source_line BIGINT, unreadable VARCHAR, raw_text VARCHAR)"
    )
    readable = []
    for idx, (d, f) in enumerate(files):
        if f.path in plan.unreadable:
            con.execute(
                f"INSERT INTO {_BAD} VALUES (?, ?, ?, 0, ?, NULL)",
                [d, idx, f.name, plan.unreadable[f.path]],
            )
        else:
            readable.append((idx, f))
    cols = ", ".join(f"CAST(NULL AS VARCHAR) AS {_q(c)}" for c in spec.column_names)
    parts = [
        f"SELECT rw_delivery, file_idx, source_file, source_line, {cols}, "
        "CAST(NULL AS VARCHAR) AS extra, "
        f"unreadable, raw_text FROM {_BAD}"
    ]
    for n, group in enumerate(_group_files(readable, plan.alone)):
        try:
            parts.append(_read_group(con, n, group, spec))
        except duckdb.Error as exc:
            raise FileReadError([f for _, f in group], exc) from exc
    con.execute(f"CREATE TEMP VIEW {STAGE_TABLE} AS " + " UNION ALL ".join(parts))


def _values(spec: FeedSpec, columns: Sequence[str], cast: bool) -> tuple[list[str], str]:
    """SELECT items of the contract columns from a file's `columns` (matched after trimming
    blanks, NULL when missing), and the SQL of `extra`: a JSON object of the other columns."""
    by_name = {c.strip(): c for c in columns}
    items = []
    for c in spec.column_names:
        if c in by_name:
            v = _q(by_name[c])
            items.append(f"CAST({v} AS VARCHAR) AS {_q(c)}" if cast else f"{v} AS {_q(c)}")
        else:
            items.append(f"CAST(NULL AS VARCHAR) AS {_q(c)}")
    extra_cols = [c for c in columns if c.strip() not in spec.column_names]
    if not extra_cols:
        return items, "CAST(NULL AS VARCHAR)"
    pairs = ", ".join(f"{_lit(c)}, CAST({_q(c)} AS VARCHAR)" for c in extra_cols)
    return items, f"CAST(json_object({pairs}) AS VARCHAR)"


def _read_group(
    con: duckdb.DuckDBPyConnection,
    n: int,
    group: Sequence[tuple[int, DeliveryFile]],
    spec: FeedSpec,
) -> str:
    """Scan one group of files into temp tables; returns the SELECT of its rows in stage shape."""
    read = {"parquet": _read_parquet, "jsonl": _read_jsonl}.get(group[0][1].format, _read_csv)
    return read(con, f"rw_g{n}", _paths(group), spec)


def _scan_into(con: duckdb.DuckDBPyConnection, table: str, source: str) -> None:
    """CREATE `table` from a CSV-reader scan with its rejects, and the per-file first rowid and
    row count (`table`_rows); the rowids of one CTAS follow the scan's file and record order."""
    con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {source}")
    con.execute(
        f"CREATE TEMP TABLE {table}_rows AS SELECT f.rw_file_idx, min(g.rowid) AS rw_base "
        f"FROM {table} g JOIN {_FILES} f ON g.rw_filename = f.rw_path GROUP BY f.rw_file_idx"
    )


def _numbered(con: duckdb.DuckDBPyConnection, table: str, header_lines: int) -> str:
    """FROM clause of `table`'s rows with file_idx, source_file and rw_line (the record index
    within its file, counting the records the reader rejected), which also go to _BAD."""
    rej = f"{table}_rej"
    con.execute(
        f"CREATE TEMP TABLE {rej} AS SELECT f.rw_delivery, f.rw_file_idx AS file_idx, "
        "f.rw_name AS name, "
        f"CAST(r.line AS BIGINT) - {header_lines} AS rec, "
        "string_agg(DISTINCT CAST(r.error_type AS VARCHAR) || ': ' || r.error_message, '; ') AS why, "
        f"any_value(r.csv_line) AS csv_line FROM {table}_errors r "
        f"JOIN {table}_scans s USING (scan_id, file_id) JOIN {_FILES} f ON s.file_path = f.rw_path "
        "GROUP BY f.rw_delivery, f.rw_file_idx, f.rw_name, r.line"
    )
    con.execute(
        f"INSERT INTO {_BAD} SELECT rw_delivery, file_idx, name, rec, why, csv_line FROM {rej}"
    )
    ordinal = "(g.rowid - b.rw_base + 1)"
    base = (
        f"(SELECT g.*, f.rw_file_idx, f.rw_delivery, f.rw_name, {ordinal} AS rw_ord FROM {table} g "
        f"JOIN {_FILES} f ON g.rw_filename = f.rw_path "
        f"JOIN {table}_rows b ON b.rw_file_idx = f.rw_file_idx)"
    )
    rejected = con.execute(f"SELECT count(*) FROM {rej}").fetchone()
    if not rejected or rejected[0] == 0:  # the common case: records are numbered as read
        return f"(SELECT *, rw_ord AS rw_line FROM {base})"
    return (
        f"(SELECT n.*, n.rw_ord + coalesce(r.j, 0) AS rw_line FROM {base} n "
        "ASOF LEFT JOIN (SELECT file_idx, goodbefore, max(j) AS j FROM ("
        "SELECT file_idx, rec - row_number() OVER (PARTITION BY file_idx ORDER BY rec) AS goodbefore, "
        f"row_number() OVER (PARTITION BY file_idx ORDER BY rec) AS j FROM {rej}) "
        "GROUP BY file_idx, goodbefore) r ON n.rw_file_idx = r.file_idx AND n.rw_ord > r.goodbefore)"
    )


def _rejects_options(table: str) -> str:
    return (
        f", store_rejects = true, rejects_table = '{table}_errors', rejects_scan = '{table}_scans')"
    )


def _read_csv(con: duckdb.DuckDBPyConnection, table: str, paths: str, spec: FeedSpec) -> str:
    _scan_into(con, table, _csv_source(paths) + _rejects_options(table))
    columns = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall() if r[0] != "rw_filename"]
    items, extra = _values(spec, columns, cast=False)
    source = _numbered(con, table, header_lines=1)
    return (
        "SELECT rw_delivery, rw_file_idx AS file_idx, rw_name AS source_file, "
        "rw_line AS source_line, "
        f"{', '.join(items)}, {extra} AS extra, CAST(NULL AS VARCHAR) AS unreadable, "
        f"CAST(NULL AS VARCHAR) AS raw_text FROM {source}"
    )


def _read_jsonl(con: duckdb.DuckDBPyConnection, table: str, paths: str, spec: FeedSpec) -> str:
    _scan_into(con, table, f"read_csv({paths}, {_JSONL_OPTIONS}" + _rejects_options(table))
    source = _numbered(con, table, header_lines=0)
    # each JSON text is parsed a few times in all: validity, type, the values, the keys
    lines = f"{table}_lines"
    con.execute(
        f"CREATE TEMP TABLE {lines} AS SELECT rw_delivery, rw_file_idx AS file_idx, "
        "rw_name AS source_file, "
        "rw_line, rw_json, "
        "CASE WHEN json_valid(rw_json) THEN json_type(rw_json) END AS rw_type "
        f"FROM {source} WHERE rw_json IS NOT NULL AND trim(rw_json) <> ''"
    )
    con.execute(
        f"INSERT INTO {_BAD} SELECT rw_delivery, file_idx, source_file, rw_line, "
        "CASE WHEN rw_type IS NULL THEN 'not valid JSON' ELSE 'not a JSON object: ' || rw_type END, "
        f"rw_json FROM {lines} WHERE rw_type IS DISTINCT FROM 'OBJECT'"
    )
    paths = "[" + ", ".join(_lit("$." + c) for c in spec.column_names) + "]"
    known = "[" + ", ".join(_lit(c) for c in spec.column_names) + "]"
    extra_keys = f"list_filter(rw_keys, lambda k: NOT list_contains({known}, k))"
    extra = (
        f"CASE WHEN len({extra_keys}) > 0 THEN CAST(to_json(map_from_entries(list_transform("
        f"{extra_keys}, lambda k: {{'k': k, 'v': json_extract_string(rw_json, '$.\"' || k || '\"')}}))) "
        "AS VARCHAR) END"
    )
    values = ", ".join(f"rw_vals[{i + 1}] AS {_q(c)}" for i, c in enumerate(spec.column_names))
    parsed = f"{table}_parsed"
    con.execute(
        f"CREATE TEMP TABLE {parsed} AS SELECT rw_delivery, file_idx, source_file, "
        "rw_line AS source_line, "
        f"{values}, {extra} AS extra, CAST(NULL AS VARCHAR) AS unreadable, "
        "CAST(NULL AS VARCHAR) AS raw_text FROM ("
        f"SELECT *, json_extract_string(rw_json, {paths}) AS rw_vals, json_keys(rw_json) AS rw_keys "
        f"FROM {lines} WHERE rw_type = 'OBJECT')"
    )
    return f"SELECT * FROM {parsed}"


def _read_parquet(con: duckdb.DuckDBPyConnection, table: str, paths: str, spec: FeedSpec) -> str:
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT * FROM read_parquet({paths}, "
        "filename = 'rw_filename', file_row_number = true)"
    )
    columns = [
        r[0]
        for r in con.execute(f"DESCRIBE {table}").fetchall()
        if r[0] not in ("rw_filename", "file_row_number")
    ]
    items, extra = _values(spec, columns, cast=True)
    return (
        "SELECT f.rw_delivery, f.rw_file_idx AS file_idx, f.rw_name AS source_file, "
        f"g.file_row_number + 1 AS source_line, {', '.join(items)}, {extra} AS extra, "
        "CAST(NULL AS VARCHAR) AS unreadable, CAST(NULL AS VARCHAR) AS raw_text "
        f"FROM {table} g JOIN {_FILES} f ON g.rw_filename = f.rw_path"
    )
