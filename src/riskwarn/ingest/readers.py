"""Read feed files into the staging table: every column as text, plus its source_line.

All formats land in one shape (`rw_stage`): file_idx, source_file, source_line, one
VARCHAR per contract column (NULL when the file lacks it), `extra` (JSON of columns the
contract does not name), and for records that cannot be parsed `unreadable` (why) and
`raw_text` (the record as read). DuckDB does the reading; no Python loop touches rows.

source_line is the 1-based record index within the file, header not counted (a CSV
record with embedded newlines counts once). DuckDB's CSV reader skips records it cannot
parse and reports them, by record number, in a rejects table; good rows are numbered
around them.
"""

from __future__ import annotations

import duckdb

from riskwarn.contract.schema import FeedSpec
from riskwarn.ingest.delivery import DeliveryFile

__all__ = ["STAGE_TABLE", "create_stage", "stage_file"]

STAGE_TABLE = "rw_stage"
_FILE = "rw_file"
_REJ = "rw_rejects"
_REJ_SCAN = "rw_reject_scans"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_stage(con: duckdb.DuckDBPyConnection, spec: FeedSpec) -> None:
    """(Re)create the empty staging table for `spec`'s feed."""
    cols = ", ".join(f"{_q(c)} VARCHAR" for c in spec.column_names)
    con.execute(f"DROP TABLE IF EXISTS {STAGE_TABLE}")
    con.execute(
        f"CREATE TEMP TABLE {STAGE_TABLE} (file_idx INTEGER, source_file VARCHAR, "
        f"source_line BIGINT, {cols}, extra VARCHAR, unreadable VARCHAR, raw_text VARCHAR)"
    )


def stage_file(
    con: duckdb.DuckDBPyConnection, file: DeliveryFile, file_idx: int, spec: FeedSpec
) -> int:
    """Append `file`'s records to the staging table; returns the records read (bad ones included)."""
    before = _stage_count(con)
    try:
        if file.format in ("csv", "csv.gz"):
            _stage_csv(con, file, file_idx, spec)
        elif file.format == "jsonl":
            _stage_jsonl(con, file, file_idx, spec)
        else:
            _stage_parquet(con, file, file_idx, spec)
    except duckdb.Error as exc:  # the whole file is unreadable: one quarantined record says why
        con.execute(f"DELETE FROM {STAGE_TABLE} WHERE file_idx = ?", [file_idx])
        con.execute(
            f"INSERT INTO {STAGE_TABLE} (file_idx, source_file, source_line, unreadable, raw_text) "
            "VALUES (?, ?, 0, ?, NULL)",
            [file_idx, file.name, f"file {file.name} cannot be read: {str(exc).splitlines()[0]}"],
        )
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_FILE}")
        con.execute(f"DROP TABLE IF EXISTS {_REJ}")
        con.execute(f"DROP TABLE IF EXISTS {_REJ_SCAN}")
    return _stage_count(con) - before


def _stage_count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute(f"SELECT count(*) FROM {STAGE_TABLE}").fetchone()
    return int(row[0]) if row else 0


def _file_columns(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE {_FILE}").fetchall()]


def _extra_sql(extra_cols: list[str], value: str = "CAST({c} AS VARCHAR)") -> str:
    if not extra_cols:
        return "CAST(NULL AS VARCHAR)"
    pairs = ", ".join(f"{_lit(c)}, {value.format(c=_q(c))}" for c in extra_cols)
    return f"CAST(json_object({pairs}) AS VARCHAR)"


def _insert_rows(
    con: duckdb.DuckDBPyConnection,
    spec: FeedSpec,
    file: DeliveryFile,
    file_idx: int,
    values: dict[str, str],
    extra: str,
    source: str,
    line_sql: str,
    where: str = "TRUE",
) -> None:
    cols = ", ".join(_q(c) for c in spec.column_names)
    exprs = ", ".join(values.get(c, "CAST(NULL AS VARCHAR)") for c in spec.column_names)
    con.execute(
        f"INSERT INTO {STAGE_TABLE} (file_idx, source_file, source_line, {cols}, extra) "
        f"SELECT {file_idx}, {_lit(file.name)}, {line_sql}, {exprs}, {extra} FROM {source} WHERE {where}"
    )


def _numbered_source(con: duckdb.DuckDBPyConnection, header_lines: int) -> str:
    """A FROM clause numbering good rows of rw_file around the rejected record numbers."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rw_rej_lines AS "
        f"SELECT CAST(line AS BIGINT) - {header_lines} AS rec, "
        "string_agg(DISTINCT CAST(error_type AS VARCHAR) || ': ' || error_message, '; ') AS why, "
        f"any_value(csv_line) AS csv_line FROM {_REJ} GROUP BY line"
    )
    # rowids of a table filled by one CTAS are consecutive in file order; temp tables do not
    # start them at 0, hence the offset
    row = con.execute(f"SELECT coalesce(min(rowid), 0) FROM {_FILE}").fetchone()
    base = int(row[0]) if row else 0
    ordinal = f"(f.rowid - {base} + 1)"
    rejected = con.execute("SELECT count(*) FROM rw_rej_lines").fetchone()
    if not rejected or rejected[0] == 0:  # the common case: records are numbered as read
        return f"(SELECT f.*, {ordinal} AS rw_line FROM {_FILE} f)"
    return (
        f"(SELECT f.*, {ordinal} + coalesce(r.j, 0) AS rw_line FROM {_FILE} f "
        "ASOF LEFT JOIN (SELECT goodbefore, max(j) AS j FROM ("
        "SELECT rec - row_number() OVER (ORDER BY rec) AS goodbefore, "
        "row_number() OVER (ORDER BY rec) AS j FROM rw_rej_lines) GROUP BY goodbefore) r "
        f"ON {ordinal} > r.goodbefore)"
    )


def _insert_rejects(con: duckdb.DuckDBPyConnection, file: DeliveryFile, file_idx: int) -> None:
    con.execute(
        f"INSERT INTO {STAGE_TABLE} (file_idx, source_file, source_line, unreadable, raw_text) "
        f"SELECT {file_idx}, {_lit(file.name)}, rec, why, csv_line FROM rw_rej_lines"
    )
    con.execute("DROP TABLE IF EXISTS rw_rej_lines")


def _stage_csv(
    con: duckdb.DuckDBPyConnection, file: DeliveryFile, file_idx: int, spec: FeedSpec
) -> None:
    con.execute(
        f"CREATE TEMP TABLE {_FILE} AS SELECT * FROM read_csv({_lit(str(file.path))}, header = true, "
        "all_varchar = true, delim = ',', quote = '\"', escape = '\"', ignore_errors = true, "
        f"store_rejects = true, rejects_table = '{_REJ}', rejects_scan = '{_REJ_SCAN}')"
    )
    columns = _file_columns(con)
    by_name = {c.strip(): c for c in columns}
    values = {c: _q(by_name[c]) for c in spec.column_names if c in by_name}
    extra = _extra_sql([c for c in columns if c.strip() not in spec.column_names])
    source = _numbered_source(con, header_lines=1)
    _insert_rows(con, spec, file, file_idx, values, extra, source, "rw_line")
    _insert_rejects(con, file, file_idx)


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, file: DeliveryFile, file_idx: int, spec: FeedSpec
) -> None:
    con.execute(
        f"CREATE TEMP TABLE {_FILE} AS SELECT * FROM read_csv({_lit(str(file.path))}, "
        "columns = {'rw_json': 'VARCHAR'}, header = false, delim = E'\\x01', quote = '', "
        "escape = '', auto_detect = false, ignore_errors = true, "
        f"store_rejects = true, rejects_table = '{_REJ}', rejects_scan = '{_REJ_SCAN}')"
    )
    source = _numbered_source(con, header_lines=0)
    # each JSON text is parsed a few times in all: validity, type, the values, the keys
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rw_jsonl AS SELECT rw_line, rw_json, "
        "CASE WHEN json_valid(rw_json) THEN json_type(rw_json) END AS rw_type "
        f"FROM {source} WHERE rw_json IS NOT NULL AND trim(rw_json) <> ''"
    )
    paths = "[" + ", ".join(_lit("$." + c) for c in spec.column_names) + "]"
    values = {c: f"rw_vals[{i + 1}]" for i, c in enumerate(spec.column_names)}
    known = "[" + ", ".join(_lit(c) for c in spec.column_names) + "]"
    extra_keys = f"list_filter(rw_keys, lambda k: NOT list_contains({known}, k))"
    extra = (
        f"CASE WHEN len({extra_keys}) > 0 THEN CAST(to_json(map_from_entries(list_transform("
        f"{extra_keys}, lambda k: {{'k': k, 'v': json_extract_string(rw_json, '$.\"' || k || '\"')}}))) "
        "AS VARCHAR) END"
    )
    parsed = (
        f"(SELECT rw_line, rw_json, json_extract_string(rw_json, {paths}) AS rw_vals, "
        "json_keys(rw_json) AS rw_keys FROM rw_jsonl WHERE rw_type = 'OBJECT')"
    )
    _insert_rows(con, spec, file, file_idx, values, extra, parsed, "rw_line")
    con.execute(
        f"INSERT INTO {STAGE_TABLE} (file_idx, source_file, source_line, unreadable, raw_text) "
        f"SELECT {file_idx}, {_lit(file.name)}, rw_line, "
        "CASE WHEN rw_type IS NULL THEN 'not valid JSON' ELSE 'not a JSON object: ' || rw_type END, "
        "rw_json FROM rw_jsonl WHERE rw_type IS DISTINCT FROM 'OBJECT'"
    )
    con.execute("DROP TABLE rw_jsonl")
    _insert_rejects(con, file, file_idx)


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, file: DeliveryFile, file_idx: int, spec: FeedSpec
) -> None:
    source = f"read_parquet({_lit(str(file.path))}, file_row_number = true)"
    columns = [
        r[0]
        for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()
        if r[0] != "file_row_number"
    ]
    by_name = {c.strip(): c for c in columns}
    values = {c: f"CAST({_q(by_name[c])} AS VARCHAR)" for c in spec.column_names if c in by_name}
    extra = _extra_sql([c for c in columns if c.strip() not in spec.column_names])
    _insert_rows(con, spec, file, file_idx, values, extra, source, "file_row_number + 1")
