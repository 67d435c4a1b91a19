"""Fault injection: real-world dirt in a file's rows, each fault logged with the code ingest must give.

A row gets at most one fault, so its expected code is unambiguous; rows marked `_protect`
(corrections, name-only mentions) stay clean. The dirt log's `line` is the 1-based record
index in the written file (header not counted), after duplicates have been inserted.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.contract.reasons import FLAGS, REJECT_REASONS
from riskwarn.contract.schema import FEEDS
from riskwarn.contract.uscc import CHARSET

__all__ = ["DIRT_KINDS", "inject"]

# kind → (expected code, relative weight); entity-only kinds apply to the registry feed
DIRT_KINDS: dict[str, tuple[str, float]] = {
    "bad_check_char": ("invalid_uscc", 0.16),
    "lower_case_id": ("accepted", 0.10),
    "missing_required": ("missing_required", 0.14),
    "future_date": ("future_date", 0.12),
    "bad_date_format": ("invalid_date", 0.07),  # invalid_time for time columns
    "invalid_enum": ("invalid_enum", 0.09),
    "duplicate_row": ("duplicate_row", 0.14),
    "invalid_number": ("invalid_number", 0.05),
    "region_outside_shaanxi": ("invalid_region", 0.05),
    "unknown_county": ("unknown_county", 0.05),
    "bad_industry": ("invalid_industry", 0.03),
}
for _code, _ in DIRT_KINDS.values():
    assert _code == "accepted" or _code in REJECT_REASONS or _code in FLAGS, _code

_ZH_ENUM = {
    "entity_type": ["个体户", "企业", "合作社"],
    "channel": ["12345热线", "网络", "来信"],
    "result": ["合格", "违法", "不合格"],
    "severity": ["罚款", "警告"],
    "list_type": ["经营异常", "黑名单"],
    "source": ["微博", "新闻"],
    "case_type": ["民事", "执行"],
    "inspection_type": ["双随机", "专项"],
    "status": ["存续", "注销"],
    "role": ["被告", "原告"],
}
_NUMBER_COLS = ("amount_yuan", "reach", "registered_capital_wan")
_OUTSIDE = [
    "620102",
    "110105",
    "410105",
    "140105",
    "500103",
]  # Gansu, Beijing, Henan, Shanxi, Chongqing
_UNKNOWN_COUNTY = ["610190", "610391", "610592", "610899", "611099"]
_BAD_INDUSTRY = ["6210", "H62-10", "XX99", "H621000"]


def _applicable(feed: str) -> list[str]:
    spec = FEEDS[feed]
    names = spec.column_names
    kinds = [
        "bad_check_char",
        "lower_case_id",
        "missing_required",
        "future_date",
        "bad_date_format",
        "duplicate_row",
    ]
    if any(c.type == "enum" for c in spec.columns):
        kinds.append("invalid_enum")
    if any(c in names for c in _NUMBER_COLS):
        kinds.append("invalid_number")
    if feed == "entities":
        kinds += ["region_outside_shaanxi", "unknown_county", "bad_industry"]
    return kinds


def _time_text(day: int, hour: int = 10) -> str:
    d = dt.date(1970, 1, 1) + dt.timedelta(days=int(day))
    return f"{d.isoformat()}T{hour:02d}:00:00+08:00"


def inject(
    rng: np.random.Generator, table: pa.Table, feed: str, delivered_day: int, rate: float
) -> tuple[pa.Table, list[dict]]:
    """Return the faulty table (row order final) and one log entry per fault.

    Entries hold line, record_id, kind, expected, column and source_row (the row's index in
    the table given).
    """
    n = table.num_rows
    if n == 0 or rate <= 0:
        return table, []
    spec = FEEDS[feed]
    protect = table["_protect"].to_numpy(zero_copy_only=False)
    faulty = np.flatnonzero((rng.random(n) < rate) & ~protect)
    if len(faulty) == 0:
        return table, []
    kinds = _applicable(feed)
    w = np.array([DIRT_KINDS[k][1] for k in kinds])
    chosen = np.asarray(kinds)[rng.choice(len(kinds), len(faulty), p=w / w.sum())]
    ids = table["entity_id"].take(pa.array(faulty)).to_pylist()
    # id faults need an id (with a letter, for lower case); otherwise the row is duplicated instead
    for j, k in enumerate(chosen):
        if k in ("bad_check_char", "lower_case_id") and (
            ids[j] is None or (k == "lower_case_id" and ids[j] == ids[j].lower())
        ):
            chosen[j] = "duplicate_row"
    cols = {name: table[name].combine_chunks() for name in spec.column_names}
    edits: dict[str, dict[int, str | None]] = {}
    log: list[dict] = []
    key = spec.key
    required = [c.name for c in spec.columns if c.required and c.name != key]
    enum_cols = [c.name for c in spec.columns if c.type == "enum"]
    num_cols = [c for c in _NUMBER_COLS if c in spec.column_names]
    event = spec.event_column
    event_is_time = spec.column(event).type == "time"
    for row, kind in zip(faulty.tolist(), chosen.tolist(), strict=True):
        expected = DIRT_KINDS[kind][0]
        col = ""
        if kind == "bad_check_char":
            col = "entity_id"
            v = cols[col][row].as_py()
            bad = CHARSET[(CHARSET.index(v[17]) + 1 + int(rng.integers(0, 29))) % 31]
            edits.setdefault(col, {})[row] = v[:17] + bad
        elif kind == "lower_case_id":
            col = "entity_id"
            edits.setdefault(col, {})[row] = cols[col][row].as_py().lower()
        elif kind == "missing_required":
            col = required[int(rng.integers(0, len(required)))]
            edits.setdefault(col, {})[row] = None
        elif kind == "future_date":
            col = event
            day = delivered_day + int(rng.integers(10, 300))
            edits.setdefault(col, {})[row] = (
                _time_text(day) if event_is_time else _time_text(day)[:10]
            )
        elif kind == "bad_date_format":
            col = event
            v = cols[col][row].as_py()
            y, m, d = v[:4], v[5:7], v[8:10]
            edits.setdefault(col, {})[row] = (
                f"{y}年{m}月{d}日 10:00" if event_is_time else f"{y}/{m}/{d}"
            )
            expected = "invalid_time" if event_is_time else "invalid_date"
        elif kind == "invalid_enum":
            col = enum_cols[int(rng.integers(0, len(enum_cols)))]
            opts = _ZH_ENUM[col]
            edits.setdefault(col, {})[row] = opts[int(rng.integers(0, len(opts)))]
        elif kind == "invalid_number":
            col = num_cols[int(rng.integers(0, len(num_cols)))]
            edits.setdefault(col, {})[row] = f"约{int(rng.integers(1, 99))}千"
        elif kind == "region_outside_shaanxi":
            col = "region_code"
            edits.setdefault(col, {})[row] = _OUTSIDE[int(rng.integers(0, len(_OUTSIDE)))]
        elif kind == "unknown_county":
            col = "region_code"
            edits.setdefault(col, {})[row] = _UNKNOWN_COUNTY[
                int(rng.integers(0, len(_UNKNOWN_COUNTY)))
            ]
        elif kind == "bad_industry":
            col = "industry_code"
            edits.setdefault(col, {})[row] = _BAD_INDUSTRY[int(rng.integers(0, len(_BAD_INDUSTRY)))]
        log.append({"row": row, "kind": kind, "expected": expected, "column": col})
    for col, changes in edits.items():
        rows = np.array(sorted(changes))
        mask = np.zeros(n, dtype=bool)
        mask[rows] = True
        new = pa.array([changes[r] for r in rows.tolist()], pa.string())
        arr = pc.replace_with_mask(cols[col], pa.array(mask), new)
        table = table.set_column(table.schema.get_field_index(col), col, arr)
    # duplicates: the copy of row i goes right after some row j >= i; the copy is the fault
    dup_src = np.array([e["row"] for e in log if e["kind"] == "duplicate_row"], dtype=np.int64)
    after = dup_src + (rng.random(len(dup_src)) * (n - dup_src)).astype(np.int64)
    sort_key = np.concatenate([np.arange(n) * 2, after * 2 + 1])
    source = np.concatenate([np.arange(n), dup_src])
    order = np.argsort(sort_key, kind="stable")
    table = table.take(pa.array(source[order]))
    position = np.empty(len(order), dtype=np.int64)
    position[order] = np.arange(len(order))
    copy_line = {int(s): int(position[n + k]) + 1 for k, s in enumerate(dup_src)}
    record_ids = table[key].combine_chunks()
    for e in log:
        line = copy_line[e["row"]] if e["kind"] == "duplicate_row" else int(position[e["row"]]) + 1
        e["line"] = line
        e["record_id"] = record_ids[line - 1].as_py()
        e["source_row"] = e.pop("row")
    return table, log
