"""Ground truth files: subjects and their latent traits, subject-months, name links, summary.

Written apart from the deliveries, so a model can be measured against what really was.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from riskwarn.simulate.calendar import Calendar
from riskwarn.simulate.population import Population
from riskwarn.simulate.risk import Latent
from riskwarn.simulate.tables import ENTITY_TYPES, industry_arrays

if TYPE_CHECKING:
    from riskwarn.simulate.summary import SimulationSummary

__all__ = [
    "TruthWriter",
    "add_expected_links",
    "empty_dirt",
    "entities_truth",
    "entity_month_truth",
    "normalise_names",
    "write_summary_json",
]


def _month_dates(cal: Calendar, idx: np.ndarray) -> pa.Array:
    """First day of each month index as dates; null for 'never' (index >= T)."""
    days = np.concatenate([cal.starts, [cal.starts[-1]]])[np.minimum(idx, cal.total + 1)]
    arr = pa.array(days.astype("datetime64[D]"))
    return pc.if_else(pa.array(idx >= cal.total), pa.nulls(len(idx), pa.date32()), arr)


def entities_truth(pop: Population, lat: Latent, cal: Calendar) -> pa.Table:
    """One row per subject: its registry attributes and static latent traits."""
    ind = industry_arrays()
    est = (cal.starts[0] + pop.established_day).astype("datetime64[D]")
    return pa.table(
        {
            "entity_id": pop.entity_id,
            "name": pop.name,
            "entity_type": pa.array(np.asarray(ENTITY_TYPES)[pop.type_idx]),
            "region_code": pa.array(pop.region_code),
            "industry_code": pa.array(ind["code"][pop.industry_idx]),
            "industry_group": pa.array(ind["group"][pop.industry_idx]),
            "established_on": pa.array(est),
            "base_p": pa.array(ind["p_base"][pop.industry_idx]),
            "negligence": pa.array(pop.negligence),
            "size": pa.array(pop.size),
            "is_chain": pa.array(pop.is_chain),
            "competitor_target": pa.array(pop.competitor_target),
            "drift_slope": pa.array(pop.drift_slope),
            "drift_start": _month_dates(cal, pop.drift_start),
            "vanished_month": _month_dates(cal, lat.vanish_month),
            "exit_month": _month_dates(cal, lat.exit_month),
            "exit_kind": pa.array(np.asarray(["", "deregistered", "revoked"])[lat.exit_kind]),
        }
    )


def entity_month_truth(pop: Population, lat: Latent, cal: Calendar) -> pa.Table:
    """One row per subject and month: p_violation and the latent state behind it."""
    n, T = lat.p.shape
    months = np.tile(cal.starts[:-1].astype("datetime64[D]"), n)
    return pa.table(
        {
            "entity_id": pop.entity_id.take(pa.array(np.repeat(np.arange(n), T))),
            "month": pa.array(months),
            "p_violation": pa.array(lat.p.reshape(-1)),
            "registered": pa.array(lat.registered.reshape(-1)),
            "operating": pa.array(lat.operating.reshape(-1)),
            "crisis_month": pa.array(lat.crisis_month.reshape(-1)),
            "drift": pa.array(lat.drift.reshape(-1)),
            "transient": pa.array(lat.transient.reshape(-1)),
        }
    )


class TruthWriter:
    """Streams truth tables to Parquet files in chunk order."""

    def __init__(self, truth: Path) -> None:
        self.truth = truth
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, name: str, table: pa.Table) -> None:
        if name not in self.writers:
            self.writers[name] = pq.ParquetWriter(
                self.truth / f"{name}.parquet", table.schema, compression="zstd"
            )
        self.writers[name].write_table(table, row_group_size=1_000_000)

    def close(self) -> None:
        for w in self.writers.values():
            w.close()


def normalise_names(names: pa.Array) -> pa.Array:
    """NFKC, no whitespace: how a name match should compare names (full-width and spaces ignored)."""
    return pc.replace_substring_regex(pc.utf8_normalize(names, form="NFKC"), r"\s+", "")


def add_expected_links(truth: Path, batch_rows: int = 1_000_000) -> None:
    """Add to name_mentions.parquet the link a unique-normalised-name match should make.

    Names are compared among registered subjects whose registry row ingest accepts. The
    mentions are rewritten a batch at a time, in their order, so memory stays bounded by
    the registry's name counts (tens of millions of mentions at province scale).
    """
    reg = pq.read_table(truth / "entities.parquet", columns=["name", "registry_row_rejected"])
    names = reg.filter(pc.invert(reg["registry_row_rejected"]))["name"].combine_chunks()
    del reg
    counts = (
        pa.table({"norm": normalise_names(names)}).group_by("norm").aggregate([("norm", "count")])
    )
    del names
    keys, n_per_key = counts["norm"].combine_chunks(), counts["norm_count"].combine_chunks()
    src = truth / "name_mentions.parquet"
    tmp = truth / "name_mentions.parquet.tmp"
    mentions = pq.ParquetFile(src)
    schema = mentions.schema_arrow.append(pa.field("normalised_name", pa.string()))
    schema = schema.append(pa.field("expected_link", pa.string()))
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for batch in mentions.iter_batches(batch_size=batch_rows):
            norm = normalise_names(batch.column("given_name"))
            c = pc.fill_null(pc.take(n_per_key, pc.index_in(norm, value_set=keys)), 0)
            link = pc.if_else(
                pc.equal(c, 1), "name", pc.if_else(pc.equal(c, 0), "unknown_name", "ambiguous_name")
            )
            columns = [*batch.columns, norm, link]
            writer.write_table(pa.Table.from_arrays(columns, schema=schema))
    tmp.replace(src)


def write_summary_json(
    path: Path, s: SimulationSummary, cal: Calendar, start: dt.date, dirt_rate: float
) -> None:
    """summary.json: parameters, deliveries, rows per feed, faults by kind."""
    doc = {
        "entities": s.entities,
        "months": s.months,
        "seed": s.seed,
        "start": start.isoformat(),
        "history_months": cal.history,
        "dirt_rate": dirt_rate,
        "deliveries": [
            {
                "delivery_id": cal.delivery_name(d),
                "delivered_at": cal.delivered_at(d).isoformat(timespec="seconds") + "+08:00",
                "backfill": d == 0,
            }
            for d in range(cal.months + 1)
        ],
        "rows": s.rows,
        "events": s.events,
        "dirt": s.dirt,
        "corrections": s.corrections,
    }
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def empty_dirt() -> pa.Table:
    """An empty dirt log with its columns (for a run without faults)."""
    return pa.table(
        {
            "delivery_id": pa.array([], pa.string()),
            "file": pa.array([], pa.string()),
            "line": pa.array([], pa.int64()),
            "feed": pa.array([], pa.string()),
            "record_id": pa.array([], pa.string()),
            "kind": pa.array([], pa.string()),
            "expected": pa.array([], pa.string()),
            "column": pa.array([], pa.string()),
        }
    )
