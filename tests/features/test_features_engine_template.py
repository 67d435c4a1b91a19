"""The DuckDB adapter compiles a chunk expression once and fills in its parameters: the rows
must be those of the expression compiled with the same values."""

from __future__ import annotations

import duckdb
import ibis
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.features.engines import _SqlTemplate

ints = st.integers(-(2**31), 2**31 - 1)


@settings(max_examples=50, deadline=None)
@given(a=ints, b=ints, rows=st.lists(st.tuples(ints, ints), max_size=8))
def test_a_filled_in_template_selects_what_the_compiled_expression_selects(
    a: int, b: int, rows: list[tuple[int, int]]
) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (x BIGINT, y BIGINT)")
    con.executemany("INSERT INTO t VALUES (?, ?)", rows + [(a, b), (b, a)])
    t = ibis.table({"x": "int64", "y": "int64"}, name="t")
    lo, hi = ibis.param("int64"), ibis.param("int64")
    expr = t.filter((t.x == lo) | t.y.between(lo, hi) | (t.x - lo > hi)).order_by(["x", "y"])
    binding = {lo: a, hi: b}
    filled = _SqlTemplate(expr, [lo, hi]).sql(binding)
    compiled = ibis.to_sql(expr, dialect="duckdb", params=binding)
    assert con.sql(filled).fetchall() == con.sql(compiled).fetchall()
