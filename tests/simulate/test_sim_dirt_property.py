"""Fault injection never loses a row, logs each fault once at a real line, and leaves protected rows alone."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.contract.schema import FEEDS
from riskwarn.simulate.dirt import inject


def _table(n: int, protect: list[bool]) -> pa.Table:
    cols = {c: pa.array([f"{c}-{i}" for i in range(n)]) for c in FEEDS["penalties"].column_names}
    cols["entity_id"] = pa.array(["91610000220522345A"] * n)
    cols["decided_on"] = pa.array([f"2023-05-0{1 + i % 9}" for i in range(n)])
    return pa.table({**cols, "_protect": pa.array(protect), "_deliv": pa.array([1] * n)})


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 60), rate=st.floats(0, 1), seed=st.integers(0, 2**32 - 1), data=st.data())
def test_inject_keeps_rows_and_logs_real_lines(n, rate, seed, data):
    protect = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    before = _table(n, protect)
    after, log = inject(np.random.default_rng(seed), before, "penalties", 19_500, rate)
    dups = sum(e["kind"] == "duplicate_row" for e in log)
    assert after.num_rows == n + dups
    lines = [e["line"] for e in log]
    assert len(set(lines)) == len(lines) and all(1 <= x <= after.num_rows for x in lines)
    ids = after["record_id"].to_pylist()
    assert sorted(set(ids)) == sorted(before["record_id"].to_pylist()), "no record is lost"
    untouched = {r for r, p in zip(before["record_id"].to_pylist(), protect, strict=True) if p}
    assert not untouched & {e["record_id"] for e in log}
    rows_after = after.drop_columns(["_protect", "_deliv"]).to_pylist()
    rows_before = {
        r["record_id"]: r for r in before.drop_columns(["_protect", "_deliv"]).to_pylist()
    }
    for rid in untouched:
        assert [r for r in rows_after if r["record_id"] == rid] == [rows_before[rid]]
