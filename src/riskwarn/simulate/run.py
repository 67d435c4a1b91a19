"""`simulate()`: subjects in chunks → latent risk → events → contract files + ground truth.

Each chunk is independent (its own RNG stream from (seed, chunk)) and appends its own part
files (e.g. complaints_part0003.csv.gz) to every delivery folder, so memory stays bounded
and chunks can run in parallel processes; the parent writes the truth files in chunk order,
which keeps the output identical whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from riskwarn.contract.schema import FEED_NAMES, FEEDS
from riskwarn.errors import ConfigError
from riskwarn.progress import RowProgress
from riskwarn.simulate.calendar import Calendar
from riskwarn.simulate.dirt import inject
from riskwarn.simulate.events import simulate_events
from riskwarn.simulate.population import make_population
from riskwarn.simulate.records import build_records
from riskwarn.simulate.risk import simulate_latent
from riskwarn.simulate.tables import ENTITY_TYPES, industry_arrays
from riskwarn.simulate.writer import file_format, write_feed_file, write_manifests

__all__ = ["SimulationSummary", "simulate"]

CHUNK_SIZE = 100_000
# faults after which ingest still keeps the row (a duplicate's original is kept too)
_KEPT = ("accepted", "unknown_county", "duplicate_row")


@dataclass
class SimulationSummary:
    """What a simulation wrote: sizes, rows per feed, faults by kind, corrections, timing."""

    out: Path
    entities: int
    months: int
    seed: int
    deliveries: int
    rows: dict[str, int] = field(default_factory=dict)
    dirt: dict[str, int] = field(default_factory=dict)
    corrections: int = 0
    wall_s: float = 0.0

    @property
    def events(self) -> int:
        """Rows of the event feeds (every feed but the registry), faults and corrections included."""
        return sum(v for k, v in self.rows.items() if k != "entities")

    def __str__(self) -> str:
        return (
            f"模拟完成 / simulated: {self.entities:,} subjects × {self.months} months, "
            f"{self.deliveries} deliveries, {sum(self.rows.values()):,} rows "
            f"({self.events:,} events), {sum(self.dirt.values()):,} injected faults, "
            f"{self.corrections:,} corrections, {self.wall_s:,.1f}s → {self.out}"
        )


@dataclass
class _ChunkResult:
    index: int
    entities: pa.Table
    entity_month: pa.Table
    dirt: pa.Table
    corrections: pa.Table
    mentions: pa.Table
    rows: dict[str, int]


def _chunk_rng(seed: int, chunk: int, *more: int) -> np.random.Generator:
    return np.random.default_rng([seed, chunk, *more])


def _run_chunk(
    out: str,
    index: int,
    offset: int,
    n: int,
    seed: int,
    start: dt.date,
    months: int,
    dirt_rate: float,
) -> _ChunkResult:
    """Simulate subjects offset..offset+n-1, write their part files, return their truth."""
    cal = Calendar(start, months)
    rng = _chunk_rng(seed, index)
    starts = cal.starts
    pop = make_population(rng, offset, n, cal.total)
    lat = simulate_latent(rng, pop, starts[:-1] - starts[0], cal.months_of_year)
    ev = simulate_events(rng, pop, lat, cal)
    chunk = build_records(rng, index, pop, lat, ev, cal)
    deliveries = Path(out) / "deliveries"
    rows: dict[str, int] = {}
    dirt_parts = []
    rejected = np.zeros(n, dtype=bool)
    for f_idx, feed in enumerate(FEED_NAMES):
        table = chunk.tables[feed]
        deliv = table["_deliv"].to_numpy()
        order = np.argsort(deliv, kind="stable")
        table = table.take(pa.array(order))
        bounds = np.searchsorted(deliv[order], np.arange(cal.months + 2))
        for d in range(cal.months + 1):
            part = table.slice(bounds[d], bounds[d + 1] - bounds[d])
            if part.num_rows == 0:
                continue
            delivered_day = int(cal.delivered_day(np.array([d]))[0])
            clean = part
            part, log = inject(
                _chunk_rng(seed, index, f_idx, d), part, feed, delivered_day, dirt_rate
            )
            if (
                feed == "entities"
            ):  # registry rows ingest will reject: their names are unknown to it
                gone = [e["source_row"] for e in log if e["expected"] not in _KEPT]
                rejected[clean["_ent"].take(pa.array(gone, pa.int64())).to_numpy()] = True
            ext, bom = file_format(seed, feed, d)
            name = f"{feed}_part{index:04d}.{ext}"
            write_feed_file(
                part.select(list(FEEDS[feed].column_names)),
                deliveries / cal.delivery_name(d) / name,
                ext,
                bom,
            )
            rows[feed] = rows.get(feed, 0) + part.num_rows
            if log:
                dirt_parts.append(
                    pa.table(
                        {
                            "delivery_id": [cal.delivery_name(d)] * len(log),
                            "file": [name] * len(log),
                            "line": pa.array([e["line"] for e in log], pa.int64()),
                            "feed": [feed] * len(log),
                            "record_id": pa.array([e["record_id"] for e in log], pa.string()),
                            "kind": [e["kind"] for e in log],
                            "expected": [e["expected"] for e in log],
                            "column": [e["column"] for e in log],
                        }
                    )
                )
    dirt = pa.concat_tables(dirt_parts) if dirt_parts else _empty_dirt()
    names = np.array([cal.delivery_name(d) for d in range(cal.months + 1)])
    corr = pa.concat_tables(chunk.corrections)
    corr = _name_deliveries(corr, names, ("original_delivery", "correction_delivery"))
    mentions = pa.concat_tables(chunk.mentions)
    mentions = mentions.filter(pc.less_equal(mentions["delivery"], cal.months))
    mentions = _name_deliveries(mentions, names, ("delivery",))
    return _ChunkResult(
        index,
        _entities_truth(pop, lat, cal).append_column("registry_row_rejected", pa.array(rejected)),
        _entity_month_truth(pop, lat, cal),
        dirt,
        corr,
        mentions,
        rows,
    )


def _name_deliveries(table: pa.Table, names: np.ndarray, cols: tuple[str, ...]) -> pa.Table:
    for c in cols:
        idx = table.schema.get_field_index(c)
        new = c.replace("delivery", "delivery_id") if c != "delivery" else "delivery_id"
        table = table.set_column(idx, new, pa.array(names[table[c].to_numpy()]))
    return table


def _empty_dirt() -> pa.Table:
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


def _month_dates(cal: Calendar, idx: np.ndarray) -> pa.Array:
    days = np.concatenate([cal.starts, [cal.starts[-1]]])[np.minimum(idx, cal.total + 1)]
    arr = pa.array(days.astype("datetime64[D]"))
    return pc.if_else(pa.array(idx >= cal.total), pa.nulls(len(idx), pa.date32()), arr)


def _entities_truth(pop, lat, cal: Calendar) -> pa.Table:
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


def _entity_month_truth(pop, lat, cal: Calendar) -> pa.Table:
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


class _TruthWriter:
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


def _normalise_names(names: pa.Array) -> pa.Array:
    """NFKC, no whitespace: how a name match should compare names (full-width and spaces ignored)."""
    return pc.replace_substring_regex(pc.utf8_normalize(names, form="NFKC"), r"\s+", "")


def _expected_links(truth: Path) -> None:
    """Add to name_mentions.parquet the link a unique-normalised-name match should make.

    Names are compared among registered subjects whose registry row ingest accepts.
    """
    reg = pq.read_table(truth / "entities.parquet", columns=["name", "registry_row_rejected"])
    names = reg.filter(pc.invert(reg["registry_row_rejected"]))["name"].combine_chunks()
    counts = (
        pa.table({"norm": _normalise_names(names)}).group_by("norm").aggregate([("norm", "count")])
    )
    mentions = pq.read_table(truth / "name_mentions.parquet")
    norm = _normalise_names(mentions["given_name"].combine_chunks())
    mentions = mentions.append_column("normalised_name", norm)
    joined = mentions.join(counts, "normalised_name", "norm", join_type="left outer")
    c = pc.fill_null(joined["norm_count"], 0)
    link = pc.if_else(
        pc.equal(c, 1), "name", pc.if_else(pc.equal(c, 0), "unknown_name", "ambiguous_name")
    )
    joined = joined.drop_columns(["norm_count"]).append_column("expected_link", link)
    joined = joined.sort_by([("feed", "ascending"), ("record_id", "ascending")])
    pq.write_table(joined, truth / "name_mentions.parquet", compression="zstd")


def simulate(
    out: Path,
    entities: int,
    months: int,
    seed: int = 0,
    start: dt.date = dt.date(2023, 1, 1),
    dirt_rate: float = 0.01,
    *,
    workers: int | None = None,
    chunk_size: int = CHUNK_SIZE,
    progress: bool = True,
) -> SimulationSummary:
    """Write a simulated province to `out`: deliveries/<delivery>/ in contract format and truth/."""
    if entities < 1:
        raise ConfigError(f"entities must be at least 1, got {entities}")
    if not 1 <= months <= 120:
        raise ConfigError(f"months must be between 1 and 120, got {months}")
    if not 0.0 <= dirt_rate <= 0.2:
        raise ConfigError(f"dirt_rate must be between 0 and 0.2, got {dirt_rate}")
    if start.day != 1:
        raise ConfigError(f"start must be the first day of a month, got {start.isoformat()}")
    out = Path(out)
    if (out / "deliveries").exists() or (out / "truth").exists():
        raise ConfigError(
            f"{out} already holds a simulation (deliveries/ or truth/); choose an empty folder"
        )
    t0 = time.monotonic()
    cal = Calendar(start, months)
    truth = out / "truth"
    truth.mkdir(parents=True)
    write_manifests(out / "deliveries", cal)
    plan = [
        (i, off, min(chunk_size, entities - off))
        for i, off in enumerate(range(0, entities, chunk_size))
    ]
    workers = workers or min(2, os.cpu_count() or 1, len(plan))
    args = (str(out),)
    rows: Counter[str] = Counter()
    dirt_kinds: Counter[str] = Counter()
    n_corr = 0
    writer = _TruthWriter(truth)
    dirt_tables = []

    def consume(res: _ChunkResult) -> None:
        nonlocal n_corr
        writer.write("entities", res.entities)
        writer.write("entity_month", res.entity_month)
        writer.write("corrections", res.corrections)
        writer.write("name_mentions", res.mentions)
        dirt_tables.append(res.dirt)
        rows.update(res.rows)
        dirt_kinds.update(res.dirt["kind"].to_pylist())
        n_corr += res.corrections.num_rows
        bar.advance(res.entities.num_rows)

    with RowProgress("simulate subjects", total=entities) if progress else _Quiet() as bar:
        if workers <= 1:
            for i, off, n in plan:
                consume(_run_chunk(*args, i, off, n, seed, start, months, dirt_rate))
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                pending: list[Future[_ChunkResult]] = []
                for i, off, n in plan:
                    pending.append(
                        pool.submit(_run_chunk, *args, i, off, n, seed, start, months, dirt_rate)
                    )
                    while len(pending) > workers:
                        consume(pending.pop(0).result())
                for fut in pending:
                    consume(fut.result())
    writer.close()
    pq.write_table(pa.concat_tables(dirt_tables), truth / "dirt.parquet", compression="zstd")
    _expected_links(truth)
    summary = SimulationSummary(
        out,
        entities,
        months,
        seed,
        months + 1,
        dict(sorted(rows.items())),
        dict(sorted(dirt_kinds.items())),
        n_corr,
    )
    _write_summary_json(truth / "summary.json", summary, cal, start, dirt_rate)
    summary.wall_s = time.monotonic() - t0
    return summary


def _write_summary_json(
    path: Path, s: SimulationSummary, cal: Calendar, start: dt.date, dirt_rate: float
) -> None:
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


class _Quiet:
    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def advance(self, rows: int) -> None:
        return None
