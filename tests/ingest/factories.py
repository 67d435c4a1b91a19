"""Small contract-format deliveries for ingest tests: clean rows from the feed specs, plus dirt.

Rows are generated from contract/schema.py (so every feed is covered the same way); dirt
functions change one row and say which reason code ingest must give it.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from riskwarn.contract.regions import COUNTIES
from riskwarn.contract.schema import FEEDS, ColumnSpec, FeedSpec
from riskwarn.contract.uscc import CHARSET, check_char

Row = dict[str, str | None]
FORMATS = ("csv", "csv.gz", "parquet", "jsonl")
_COUNTIES = sorted(COUNTIES)


def make_uscc(rng: random.Random, region: str = "610103") -> str:
    """A valid USCC of a Shaanxi enterprise."""
    body = "91" + region + "".join(rng.choice(CHARSET) for _ in range(9))
    return body + check_char(body)


def _value(
    col: ColumnSpec, rng: random.Random, day: dt.date, entity_ids: Sequence[str]
) -> str | None:
    if not col.required and rng.random() < 0.2:
        return None
    if col.type == "uscc":
        return rng.choice(entity_ids)
    if col.type == "enum":
        return rng.choice(col.values)
    if col.type == "region":
        return rng.choice(_COUNTIES)
    if col.type == "industry":
        return rng.choice(["H6210", "F5265", "C2710", "A01", "E"])
    if col.type == "date":
        return (day - dt.timedelta(days=rng.randrange(0, 30))).isoformat()
    if col.type == "time":
        t = dt.datetime.combine(
            day, dt.time(rng.randrange(24), rng.randrange(60), rng.randrange(60))
        )
        return t.isoformat()
    if col.type == "decimal":
        return (
            f"{rng.uniform(0, 1):.4f}"
            if col.name == "draw_probability"
            else f"{rng.uniform(0, 9e5):.2f}"
        )
    if col.type == "integer":
        return str(rng.randrange(10**6))
    if col.type == "bool":
        return rng.choice(["true", "false", "属实", "不属实", "1", "0"])
    text = rng.choice(['门店卫生差, 有"异味"', "价格\n不透明", "正常", "西安某公司", "预付卡 跑路"])
    return f"{col.name}-{rng.randrange(1000)} {text}"


def clean_row(
    spec: FeedSpec, rng: random.Random, key: str, day: dt.date, entity_ids: Sequence[str]
) -> Row:
    """A contract-valid row of `spec` with the given key, events on or before `day`."""
    row = {c.name: _value(c, rng, day, entity_ids) for c in spec.columns}
    row[spec.key] = key
    return row


@dataclass
class Dirt:
    """One injected fault: where it is and the reason (or flag, or 'accepted') ingest must give."""

    feed: str
    file: str
    line: int
    expected: str
    column: str | None = None


@dataclass
class DeliverySpec:
    """A delivery to write: id, time, rows per feed and the file format of each feed."""

    delivery_id: str
    delivered_at: dt.datetime  # naive CST
    rows: dict[str, list[Row]]
    formats: dict[str, str] = field(default_factory=dict)
    backfill: bool = False
    manifest: bool = True
    dirt: list[Dirt] = field(default_factory=list)

    def file_name(self, feed: str) -> str:
        return f"{feed}_{self.delivery_id}.{self.formats.get(feed, 'csv')}"


def write_file(
    path: Path, spec: FeedSpec, rows: Sequence[Row], fmt: str, extra: Sequence[str] = ()
) -> None:
    """Write `rows` in contract format `fmt` (CSV with a BOM, gzip CSV, Parquet of strings, JSONL)."""
    columns = list(spec.column_names) + list(extra)
    if fmt in ("csv", "csv.gz"):
        opener = gzip.open if fmt == "csv.gz" else open
        with opener(path, "wt", encoding="utf-8-sig", newline="") as fh:  # type: ignore[operator]
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(columns)
            for r in rows:
                w.writerow(["" if r.get(c) is None else r.get(c) for c in columns])
    elif fmt == "parquet":
        table = pa.table({c: pa.array([r.get(c) for r in rows], pa.string()) for c in columns})
        pq.write_table(table, path)
    elif fmt == "jsonl":
        with open(path, "w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({c: r.get(c) for c in columns}, ensure_ascii=False) + "\n")
    else:
        raise ValueError(fmt)


def write_delivery(root: Path, d: DeliverySpec) -> Path:
    """Write delivery `d` as a folder under `root`; returns the folder."""
    folder = root / d.delivery_id
    folder.mkdir(parents=True, exist_ok=True)
    if d.manifest:
        manifest: dict[str, object] = {
            "delivery_id": d.delivery_id,
            "delivered_at": d.delivered_at.isoformat() + "+08:00",
        }
        if d.backfill:
            manifest["backfill"] = True
        (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for feed, rows in d.rows.items():
        write_file(folder / d.file_name(feed), FEEDS[feed], rows, d.formats.get(feed, "csv"))
    return folder


def inject(
    rows: list[Row], spec: FeedSpec, rng: random.Random, kind: str, idx: int
) -> tuple[str, str | None]:
    """Make rows[idx] dirty in the way `kind` names; returns (expected code, column)."""
    row = rows[idx]
    cols = {c.type: c for c in spec.columns}
    if kind == "invalid_uscc" and "uscc" in cols and row.get(cols["uscc"].name):
        c = cols["uscc"].name
        v = row[c] or ""
        row[c] = v[:17] + next(ch for ch in CHARSET if ch != v[17])
        return "invalid_uscc", c
    if kind == "normalised_id" and "uscc" in cols and row.get(cols["uscc"].name):
        c = cols["uscc"].name
        v = row[c] or ""
        if v.lower() != v:
            row[c] = v.lower()
            return "normalised_id", c
    if kind == "missing_required":
        c = next(c.name for c in spec.columns if c.required and c.name != spec.key)
        row[c] = ""
        return "missing_required", c
    if kind == "invalid_enum":
        c = next(c.name for c in spec.columns if c.type == "enum")
        row[c] = "no_such_value"
        return "invalid_enum", c
    if kind == "future_date":
        c = spec.event_column
        row[c] = "2099-01-01"
        return "future_date", c
    if kind == "invalid_date":
        c = spec.event_column
        row[c] = "2024-13-45"
        return ("invalid_time" if spec.column(c).type == "time" else "invalid_date"), c
    return "accepted", None
