"""`simulate()`: subjects in chunks → latent risk → events → contract files + ground truth.

Each chunk is independent (its own RNG stream from (seed, chunk)) and appends its own part
files (e.g. complaints_part0003.csv.gz) to every delivery folder, so memory stays bounded
and chunks can run in parallel processes; the parent writes the truth files in chunk order,
which keeps the output identical whatever the number of workers.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections import Counter
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from riskwarn.contract.schema import FEED_NAMES, FEEDS
from riskwarn.errors import ConfigError
from riskwarn.progress import NullProgress, RowProgress
from riskwarn.simulate.calendar import Calendar
from riskwarn.simulate.dirt import inject
from riskwarn.simulate.events import simulate_events
from riskwarn.simulate.population import make_population
from riskwarn.simulate.records import build_records
from riskwarn.simulate.risk import simulate_latent
from riskwarn.simulate.summary import SimulationSummary
from riskwarn.simulate.truth import (
    TruthWriter,
    add_expected_links,
    empty_dirt,
    entities_truth,
    entity_month_truth,
    write_summary_json,
)
from riskwarn.simulate.writer import file_format, write_feed_file, write_manifests

__all__ = ["simulate"]

CHUNK_SIZE = 100_000
# faults after which ingest still keeps the row (a duplicate's original is kept too)
_KEPT = ("accepted", "unknown_county", "duplicate_row")


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
    dirt = pa.concat_tables(dirt_parts) if dirt_parts else empty_dirt()
    names = np.array([cal.delivery_name(d) for d in range(cal.months + 1)])
    corr = pa.concat_tables(chunk.corrections)
    corr = _name_deliveries(corr, names, ("original_delivery", "correction_delivery"))
    mentions = pa.concat_tables(chunk.mentions)
    mentions = mentions.filter(pc.less_equal(mentions["delivery"], cal.months))
    mentions = _name_deliveries(mentions, names, ("delivery",))
    return _ChunkResult(
        index,
        entities_truth(pop, lat, cal).append_column("registry_row_rejected", pa.array(rejected)),
        entity_month_truth(pop, lat, cal),
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
    writer = TruthWriter(truth)
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

    with RowProgress("simulate subjects", total=entities) if progress else NullProgress() as bar:
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
    add_expected_links(truth)
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
    write_summary_json(truth / "summary.json", summary, cal, start, dirt_rate)
    summary.wall_s = time.monotonic() - t0
    return summary
