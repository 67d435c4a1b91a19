"""SQL macros ingest validates with: the USCC check character, mirroring contract/uscc.py.

`rw_uscc_problem(code)` returns the same text as `uscc_problem(code)` in Python (NULL when
valid), so row validation runs vectorised inside DuckDB and agrees with the Python rule.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import duckdb

from riskwarn.contract.uscc import CHARSET, WEIGHTS

__all__ = [
    "USCC_PATTERN",
    "install_arrow_function",
    "install_macros",
    "uscc_expected_sql",
    "uscc_ok_arrow",
]

# the USCC character set as a regex class: 0-9 A-Y without I, O, S, V, Z
USCC_PATTERN = "[0-9A-HJ-NP-RTUWXY]"


def uscc_expected_sql(c: str) -> str:
    """SQL for the expected 18th character of the (18-character, valid-charset) code `c`."""
    terms = " + ".join(
        f"(strpos('{CHARSET}', substr({c}, {i + 1}, 1)) - 1) * {w}" for i, w in enumerate(WEIGHTS)
    )
    return f"substr('{CHARSET}', ((31 - ({terms}) % 31) % 31) + 1, 1)"


def _uscc_lookup():  # type: ignore[no-untyped-def]
    import numpy as np

    values = np.full(256, -1, dtype=np.int64)  # byte -> value of the character, -1 outside
    for i, c in enumerate(CHARSET):
        values[ord(c)] = i
    return values, np.array(WEIGHTS, dtype=np.int64)


def uscc_ok_arrow(codes):  # type: ignore[no-untyped-def]
    """Arrow UDF body of rw_uscc_ok(code): true when `code` is 18 characters of the USCC set
    with the right check character (as `uscc_problem(code) is None`), NULL for NULL.

    The same rule as regexp_full_match(code, USCC_PATTERN{18}) AND the 18th character =
    uscc_expected_sql(code), computed over the Arrow buffers with numpy: the set is ASCII, so
    a valid code is 18 bytes, and a code whose bytes are not all in the set is invalid."""
    import numpy as np
    import pyarrow as pa

    if isinstance(codes, pa.ChunkedArray):
        codes = codes.combine_chunks()
    if not (pa.types.is_string(codes.type) or pa.types.is_large_string(codes.type)):
        codes = codes.cast(pa.large_string())
    width = np.int64 if pa.types.is_large_string(codes.type) else np.int32
    n = len(codes)
    offsets = np.frombuffer(codes.buffers()[1], dtype=width)[codes.offset : codes.offset + n + 1]
    offsets = offsets.astype(np.int64)
    data = codes.buffers()[2]
    data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    ok = np.zeros(n, dtype=bool)
    rows = np.nonzero(offsets[1:] - offsets[:-1] == 18)[0]
    if len(rows):
        lookup, weights = _uscc_lookup()
        chars = lookup[data[offsets[rows][:, None] + np.arange(18)]]
        expected = (31 - (chars[:, :17] @ weights) % 31) % 31
        ok[rows] = (chars >= 0).all(axis=1) & (chars[:, 17] == expected)
    return pa.array(ok, mask=codes.is_null().to_numpy(zero_copy_only=False))


def install_arrow_function(
    con: duckdb.DuckDBPyConnection, name: str, fn: Callable[..., Any], returns: str
) -> None:
    """Register `fn` (Arrow array of VARCHAR in, Arrow array out, NULLs its own business) as
    the SQL function `name` on `con`, unless it is already there."""
    try:
        con.create_function(  # type: ignore[call-overload]  # duckdb's stubs lag its API
            name, fn, ["VARCHAR"], returns, type="arrow", null_handling="special"
        )
    except (duckdb.CatalogException, duckdb.NotImplementedException) as exc:
        if "already" not in str(exc).lower():
            raise


def install_macros(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) the temporary SQL macros on this connection, and the function
    rw_uscc_ok (vectorised over Arrow)."""
    install_arrow_function(con, "rw_uscc_ok", uscc_ok_arrow, "BOOLEAN")
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
