"""Row validation against the contract, generated from contract/schema.py and run as DuckDB SQL.

Every rule is derived from a column's declared type (no per-feed validators): required,
USCC check character, region and industry code shapes, enums, ISO dates and times, decimals,
integers, booleans, dates after the delivery, and duplicates within the delivery. Each row
gets every problem it has, as (reason code, text naming field and value), and its flags.
"""

from __future__ import annotations

from riskwarn.contract.regions import CITIES, COUNTIES, PROVINCE_CODE
from riskwarn.contract.schema import ColumnSpec, FeedSpec
from riskwarn.ingest.readers import STAGE_TABLE
from riskwarn.ingest.timeparse import cst_timestamp_sql
from riskwarn.store.schema import column_sql_type

__all__ = [
    "BOOL_FALSE",
    "BOOL_TRUE",
    "INDUSTRY_PATTERN",
    "duplicates_sql",
    "key_sql",
    "validation_sql",
]

BOOL_TRUE = ("true", "1", "是", "属实")
BOOL_FALSE = ("false", "0", "否", "不属实")
INDUSTRY_PATTERN = "[A-T][0-9]{0,4}"
_DECIMAL_RX = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _list(values: tuple[str, ...] | list[str]) -> str:
    return "(" + ", ".join(_lit(v) for v in values) + ")"


Problem = tuple[str, str, str]  # (SQL condition, reason code, SQL text naming field and value)


def _problem(cond: str, code: str, text: str) -> Problem:
    return (cond, code, text)


def _any_problem(problems: list[Problem]) -> str:
    """SQL: does the row have at least one of `problems`."""
    if not problems:
        return "FALSE"
    return "(" + " OR ".join(f"coalesce({c}, FALSE)" for c, _, _ in problems) + ")"


def _problem_list(problems: list[Problem]) -> str:
    """SQL list of {code, text} structs; built only for rows with at least one problem."""
    if not problems:
        return "[]"
    any_cond = _any_problem(problems)
    items = ", ".join(
        f"CASE WHEN {c} THEN {{'code': '{code}', 'text': {t}}} END" for c, code, t in problems
    )
    return f"CASE WHEN {any_cond} THEN list_filter([{items}], lambda x: x IS NOT NULL) ELSE [] END"


def _flag_list(flags: list[tuple[str, str]]) -> str:
    """SQL VARCHAR[] of flag codes whose condition holds."""
    if not flags:
        return "[]::VARCHAR[]"
    any_cond = " OR ".join(f"coalesce({c}, FALSE)" for c, _ in flags)
    items = ", ".join(f"CASE WHEN {c} THEN '{code}' END" for c, code in flags)
    return f"CASE WHEN {any_cond} THEN list_filter([{items}], lambda x: x IS NOT NULL) ELSE []::VARCHAR[] END"


def _shown(t: str) -> str:
    """SQL text showing a value the way Python's repr shows a plain string: quoted."""
    return f"'''' || {t} || ''''"


class _Column:
    """SQL pieces for one contract column: its normalised value, problems and flags."""

    def __init__(self, col: ColumnSpec, tolerance_h: float) -> None:
        self.col = col
        self.raw = _q(col.name)
        self.t = _q("t_" + col.name)  # trimmed, NULL when blank
        self.tolerance_h = tolerance_h
        self.label = _lit(col.name + ": ")

    def value(self) -> str:
        """The stored (typed, normalised) value; NULL when absent or invalid."""
        c, t = self.col, self.t
        kind = c.type
        if kind == "text":
            return f"CASE WHEN {t} IS NOT NULL THEN {self.raw} END"
        if kind == "uscc":
            return f"upper({t})"
        if kind in ("enum", "region", "industry"):
            return t
        if kind == "date":
            return f"CASE WHEN regexp_full_match({t}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') THEN TRY_CAST({t} AS DATE) END"
        if kind == "time":
            return cst_timestamp_sql(t)
        if kind == "decimal":
            return f"CASE WHEN regexp_full_match({t}, '{_DECIMAL_RX}') THEN TRY_CAST({t} AS {column_sql_type(c)}) END"
        if kind == "integer":
            return (
                f"CASE WHEN regexp_full_match({t}, '[+-]?[0-9]+') THEN TRY_CAST({t} AS BIGINT) END"
            )
        if kind == "bool":
            return (
                f"CASE WHEN lower({t}) IN {_list(BOOL_TRUE)} THEN TRUE "
                f"WHEN lower({t}) IN {_list(BOOL_FALSE)} THEN FALSE END"
            )
        raise ValueError(f"column {c.name!r}: unknown contract type {kind!r}")

    def problems(self, v: str) -> list[Problem]:
        """Problems given `v`, the SQL of this column's parsed value."""
        c, t, label = self.col, self.t, self.label
        out: list[Problem] = []
        if c.required:
            out.append(
                _problem(
                    f"{t} IS NULL", "missing_required", f"{label} || 'required field is empty'"
                )
            )
        present = f"{t} IS NOT NULL"
        kind = c.type
        if kind == "uscc":
            # a fast test on every row (vectorised, macros.uscc_ok_arrow); the macro spells
            # the reason out only for bad ones
            ok = f"rw_uscc_ok({v})"
            out.append(
                _problem(
                    f"{present} AND NOT {ok}", "invalid_uscc", f"{label} || rw_uscc_problem({v})"
                )
            )
        elif kind == "enum":
            out.append(
                _problem(
                    f"{present} AND {t} NOT IN {_list(c.values)}",
                    "invalid_enum",
                    f"{label} || {_shown(t)} || ' is not one of {', '.join(c.values)}'",
                )
            )
        elif kind == "region":
            out.append(
                _problem(
                    f"{present} AND {self._region_invalid()}",
                    "invalid_region",
                    f"{label} || {self._region_reason()}",
                )
            )
        elif kind == "industry":
            out.append(
                _problem(
                    f"{present} AND NOT regexp_full_match({t}, '{INDUSTRY_PATTERN}')",
                    "invalid_industry",
                    f"{label} || {_shown(t)} || ' is not a section letter A-T followed by up to 4 digits'",
                )
            )
        elif kind in ("date", "time", "decimal", "integer", "bool"):
            code, what = {
                "date": ("invalid_date", "is not a YYYY-MM-DD date"),
                "time": ("invalid_time", "is not an ISO 8601 time"),
                "decimal": ("invalid_number", "is not a decimal number in range"),
                "integer": ("invalid_number", "is not an integer"),
                "bool": ("invalid_bool", "is not one of " + "/".join(BOOL_TRUE + BOOL_FALSE)),
            }[kind]
            out.append(
                _problem(f"{present} AND {v} IS NULL", code, f"{label} || {_shown(t)} || ' {what}'")
            )
        if kind in ("date", "time"):  # the delivery's limit and time come from the batch table
            out.append(
                _problem(
                    f"CAST({v} AS TIMESTAMP) > rw_limit",
                    "future_date",
                    f"{label} || CAST({v} AS VARCHAR) || "
                    "' is later than the delivery''s delivered_at ' || "
                    f"strftime(rw_delivered_at, '%Y-%m-%d %H:%M:%S') || ' + {self.tolerance_h:g}h'",
                )
            )
        return out

    def flags(self, v: str) -> list[tuple[str, str]]:
        """(SQL condition, flag code) pairs of this column."""
        if self.col.type == "uscc":
            return [(f"{v} IS NOT NULL AND {v} <> {self.raw}", "normalised_id")]
        if self.col.type == "region":
            return [(f"{self.t} IS NOT NULL AND {self._region_unknown_county()}", "unknown_county")]
        return []

    # region rules mirror contract/regions.py judge_region
    def _region_known(self) -> str:
        known = (PROVINCE_CODE, *CITIES, *COUNTIES)
        return f"{self.t} IN {_list(known)}"

    def _region_city_known(self) -> str:
        return f"(substr({self.t}, 1, 4) || '00') IN {_list(tuple(CITIES))}"

    def _region_unknown_county(self) -> str:
        t = self.t
        return (
            f"(NOT {self._region_known()} AND regexp_full_match({t}, '61[0-9]{{4}}') "
            f"AND {self._region_city_known()})"
        )

    def _region_invalid(self) -> str:
        return f"(NOT {self._region_known()} AND NOT {self._region_unknown_county()})"

    def _region_reason(self) -> str:
        t = self.t
        return (
            f"CASE WHEN NOT regexp_full_match({t}, '[0-9]{{6}}') THEN {_shown(t)} || ' is not a 6-digit division code' "
            f"WHEN left({t}, 2) <> '61' THEN {_shown(t)} || ' is outside Shaanxi (61xxxx)' "
            f"ELSE {_shown(t)} || ' is under no Shaanxi prefecture city' END"
        )


def key_sql(spec: FeedSpec, raw: str | None = None) -> str:
    """SQL of a row's normalised record key (upper-cased for USCC keys), NULL when blank."""
    col = spec.column(spec.key)
    t = f"nullif(trim({raw or _q(col.name)}), '')"
    return f"upper({t})" if col.type == "uscc" else t


def duplicates_sql(spec: FeedSpec) -> str:
    """SELECT of the staged rows whose key occurs more than once in their delivery, with their
    rank among exact copies (dup_row) and among rows of the same key (dup_key), file order.

    Only the key column is grouped over every row; the windows over whole rows run on the
    (few) rows whose key repeats, since an exact copy always repeats its key."""
    raw_cols = ", ".join(_q(c) for c in spec.column_names)
    order = "ORDER BY file_idx, source_line"
    by_row = f"PARTITION BY rw_delivery, {raw_cols}, extra {order}"
    by_key = f"PARTITION BY rw_delivery, rw_key {order}"
    key = key_sql(spec)
    return f"""
WITH dk AS (SELECT rw_delivery, rw_key FROM (
              SELECT rw_delivery, {key} AS rw_key FROM {STAGE_TABLE} WHERE unreadable IS NULL)
            WHERE rw_key IS NOT NULL GROUP BY ALL HAVING count(*) > 1),
k AS (SELECT s.*, dk.rw_key FROM {STAGE_TABLE} s JOIN dk
      ON s.rw_delivery = dk.rw_delivery AND {key} = dk.rw_key WHERE s.unreadable IS NULL)
SELECT file_idx, source_line,
  row_number() OVER ({by_row}) AS rw_dup_row,
  first_value(source_file) OVER ({by_row}) AS rw_first_file,
  first_value(source_line) OVER ({by_row}) AS rw_first_line,
  row_number() OVER ({by_key}) AS rw_dup_key,
  first_value(source_file) OVER ({by_key}) AS rw_key_file,
  first_value(source_line) OVER ({by_key}) AS rw_key_line
FROM k
"""


def validation_sql(
    spec: FeedSpec, tolerance_hours: float, batch_table: str, duplicates_table: str
) -> str:
    """SELECT over the staging table giving each row's typed values, problems, flags and known_at.

    The staged rows may come from several deliveries (`rw_delivery`); `batch_table` gives
    each delivery's rw_delivered_at, rw_limit (delivered_at + tolerance: later dates are in
    the future) and rw_backfill. `duplicates_table` holds duplicates_sql(spec)'s result.
    Output columns: rw_delivery, file_idx, source_file, source_line, the contract columns
    (typed), extra, flags (VARCHAR[]), problems (list of {code, text}), known_at, and for
    rejected rows only rw_raw (the raw record as JSON, as quarantine keeps it).
    """
    cols = [_Column(c, tolerance_hours) for c in spec.columns]
    trimmed = ", ".join(f"nullif(trim({x.raw}), '') AS {x.t}" for x in cols)
    values = ", ".join(f"{x.value()} AS {_q('v_' + x.col.name)}" for x in cols)
    problems: list[Problem] = []
    flags: list[tuple[str, str]] = []
    for x in cols:
        v = _q("v_" + x.col.name)
        problems += x.problems(v)
        flags += x.flags(v)
    key_v = _q("v_" + spec.key)
    problems.append(
        _problem(
            "rw_dup_row > 1",
            "duplicate_row",
            "'row: exact duplicate of ' || rw_first_file || ' record ' || rw_first_line || ' in this delivery'",
        )
    )
    problems.append(
        _problem(
            "rw_dup_row = 1 AND rw_dup_key > 1",
            "duplicate_key",
            f"{_lit(spec.key + ': ')} || {_shown(key_v)} || ' already delivered in ' || rw_key_file || "
            "' record ' || rw_key_line || ' of this delivery, with different content'",
        )
    )
    # each condition is computed once, as a column, and read twice (any-problem test, list item)
    conds = [f"{c} AS rw_p{i}" for i, (c, _, _) in enumerate(problems)]
    conds += [f"{c} AS rw_f{i}" for i, (c, _) in enumerate(flags)]
    problems = [(f"rw_p{i}", code, text) for i, (_, code, text) in enumerate(problems)]
    flags = [(f"rw_f{i}", code) for i, (_, code) in enumerate(flags)]
    unreadable = (
        "[{'code': 'unreadable_row', 'text': 'record ' || source_line || ': ' || unreadable}]"
    )
    event = _q("v_" + spec.event_column)
    known_at = f"CASE WHEN rw_backfill THEN CAST({event} AS TIMESTAMP) ELSE rw_delivered_at END"
    out_values = ", ".join(f"{_q('v_' + c)} AS {_q(c)}" for c in spec.column_names)
    raw_cols = ", ".join(f"{_lit(c)}, {_q(c)}" for c in spec.column_names)
    raw = (
        "CASE WHEN unreadable IS NOT NULL THEN json_object('record', raw_text, 'error', unreadable) "
        f"WHEN {_any_problem(problems)} THEN "
        f"json_merge_patch(json_object({raw_cols}), coalesce(extra, '{{}}')) END"
    )
    return f"""
WITH t AS (SELECT s.*, {trimmed}, b.* EXCLUDE (rw_delivery), d.* EXCLUDE (file_idx, source_line)
           FROM {STAGE_TABLE} s JOIN {batch_table} b USING (rw_delivery)
           LEFT JOIN {duplicates_table} d USING (file_idx, source_line)),
v AS (SELECT *, {values} FROM t),
p AS (SELECT *, {", ".join(conds)} FROM v)
SELECT rw_delivery, file_idx, source_file, source_line, {out_values}, extra,
  CASE WHEN unreadable IS NOT NULL THEN []::VARCHAR[] ELSE {_flag_list(flags)} END AS flags,
  CASE WHEN unreadable IS NOT NULL THEN {unreadable} ELSE {_problem_list(problems)} END AS problems,
  {known_at} AS known_at,
  {raw} AS rw_raw
FROM p
"""
