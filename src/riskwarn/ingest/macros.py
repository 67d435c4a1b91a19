"""SQL macros ingest validates with: the USCC check character, mirroring contract/uscc.py.

`rw_uscc_problem(code)` returns the same text as `uscc_problem(code)` in Python (NULL when
valid), so row validation runs vectorised inside DuckDB and agrees with the Python rule.
"""

from __future__ import annotations

import duckdb

from riskwarn.contract.uscc import CHARSET, WEIGHTS

__all__ = ["USCC_PATTERN", "install_macros", "uscc_expected_sql"]

# the USCC character set as a regex class: 0-9 A-Y without I, O, S, V, Z
USCC_PATTERN = "[0-9A-HJ-NP-RTUWXY]"


def uscc_expected_sql(c: str) -> str:
    """SQL for the expected 18th character of the (18-character, valid-charset) code `c`."""
    terms = " + ".join(
        f"(strpos('{CHARSET}', substr({c}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS)
    )
    return f"substr('{CHARSET}', ((31 - ({terms}) % 31) % 31) + 1, 1)"


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the temporary SQL macros on this connection."""
    con.execute(f"CREATE OR REPLACE TEMP MACRO rw_uscc_expected(c) AS {uscc_expected_sql('c')}")
    con.execute(
        f"""CREATE OR REPLACE TEMP MACRO rw_uscc_problem(c) AS (
  CASE
    WHEN length(c) <> 18 THEN 'length ' || length(c) || ', expected 18'
    WHEN NOT regexp_full_match(c, '{USCC_PATTERN}{{18}}') THEN
      'characters ''' || array_to_string(list_sort(list_distinct(
        regexp_extract_all(c, '[^0-9A-HJ-NP-RTUWXY]'))), '') ||
      ''' outside 0-9A-Y without I,O,S,V,Z'
    WHEN substr(c, 18, 1) <> rw_uscc_expected(c) THEN
      'check character ''' || substr(c, 18, 1) || ''', expected ''' || rw_uscc_expected(c) || ''''
  END)"""
    )
