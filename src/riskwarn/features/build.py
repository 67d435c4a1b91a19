"""Build the subject × as-of feature matrix from the store, point-in-time correct.

One code path for training, nightly scoring and on-demand scoring of one subject:
`build_features(con, as_of=[...], entity_ids=[...])`. Work is shared across as-of
dates: each feed is scanned once, joined to the small as-of table, and aggregated
per (as_of, subject); the engine does all of it (see pit_sources.py, expressions.py).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from riskwarn.config import Settings
from riskwarn.contract.schema import FEEDS
from riskwarn.errors import StoreError
from riskwarn.features.catalog import TEXT_FEEDS, Catalog, Indicator, load_catalog
from riskwarn.features.engines import Chunks, DuckDBEngine, Engine
from riskwarn.features.expressions import (
    KEYS,
    aggregate_expr,
    attribute_expr,
    derived_expr,
    distinct_parts,
    filter_expr,
)
from riskwarn.features.matrix_files import read_spool, write_parquet, write_spool
from riskwarn.features.pit_sources import (
    event_rows,
    prepared_versions,
    registry_rows,
    registry_versions,
    subject_index,
)
from riskwarn.features.summary import MatrixSummary, summarize_features
from riskwarn.progress import NullProgress, RowProgress

__all__ = [
    "BATCH_ROWS",
    "INACTIVE_STATUSES",
    "BUILD_ATTR",
    "build_feature_file",
    "build_features",
    "build_with_engine",
    "write_feature_matrix",
]

INACTIVE_STATUSES = ("revoked", "deregistered")
BUILD_ATTR = "riskwarn_build"  # key in DataFrame.attrs holding the build report
_EPOCH = dt.date(1970, 1, 1)
_CHUNK_ROWS = 1_000_000  # subject rows the assembly joins per engine query
# subject × as-of rows built at once: one date at 6M subjects, all twelve at 500k
BATCH_ROWS = 6_000_000
_GROUP_KEY_SOURCES = {
    "industry_section": lambda r: r.industry_code.substr(0, 1),
    "industry_code": lambda r: r.industry_code,
    "city": lambda r: r.region_code.substr(0, 4) + "00",
    "entity_type": lambda r: r.entity_type,
}


def build_features(
    con: duckdb.DuckDBPyConnection,
    as_of: Sequence[dt.date],
    catalog: Catalog | None = None,
    entity_ids: Sequence[str] | None = None,
    progress: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> pd.DataFrame:
    """The feature matrix: entity_id, as_of, then one column per indicator in catalog order.

    Rows are the subjects registered (established_on <= as_of, registry version known
    by then) and not revoked/deregistered at that date, in (as_of, entity_id) order. The
    build report (unlinked and unscored texts, row counts, timings) is in
    `df.attrs["riskwarn_build"]`. `batch_rows` bounds the subject × date rows built at once.
    """
    engine = DuckDBEngine(con)
    try:
        return build_with_engine(engine, as_of, catalog, entity_ids, progress, batch_rows)
    finally:
        engine.close()


def build_with_engine(
    engine: Engine,
    as_of: Sequence[dt.date],
    catalog: Catalog | None = None,
    entity_ids: Sequence[str] | None = None,
    progress: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> pd.DataFrame:
    """`build_features` on any engine adapter (the seam for the Spark backend).

    The matrix is spooled to an Arrow file in the engine's scratch directory and the
    engine closed before pandas reads it, so the engine's tables and the frame are never
    in memory together (at 6M subjects that was 12 GiB at peak instead of about 7).
    """
    catalog = catalog or load_catalog()
    keys = _KeyOrder()
    report: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="riskwarn_matrix_", dir=engine.scratch_dir()) as tmp:
        path = Path(tmp) / "matrix.arrow"
        _write_matrix(
            engine, as_of, catalog, entity_ids, progress, batch_rows, report,
            lambda readers: write_spool(readers, path, on_batch=keys.add),
        )  # fmt: skip
        engine.close()  # frees the engine's tables before pandas
        step_t = time.monotonic()
        df = read_spool(path, catalog, keys.order(), drop=KEYS)
    report["step_seconds"]["fetch"] = round(time.monotonic() - step_t, 3)
    report["rows"] = len(df)
    report["rows_per_as_of"] = {
        d.isoformat(): int(n) for d, n in df.groupby("as_of").size().items()
    }
    report["seconds"] = round(time.monotonic() - report.pop("_t0"), 3)
    df.attrs[BUILD_ATTR] = report
    return df


def build_feature_file(
    con: duckdb.DuckDBPyConnection,
    as_of: Sequence[dt.date],
    settings: Settings,
    catalog: Catalog | None = None,
    path: Path | None = None,
    progress: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> Path:
    """Build the matrix and stream it to Parquet (plus summaries) without pandas in between.

    The same builders as `build_features`; meant for many as-of dates over the whole
    province, where the matrix would not fit in Python memory. Rows are not sorted.
    """
    catalog = catalog or load_catalog()
    engine = DuckDBEngine(con)
    try:
        dates = _as_of_dates(as_of)
        path = path or _default_path(settings, catalog, [d.isoformat() for d in dates])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".parquet.tmp")
        summary = MatrixSummary(catalog)
        report: dict[str, Any] = {}

        def write(readers: Iterable[pa.RecordBatchReader]) -> None:
            meta = _metadata(catalog, [d.isoformat() for d in dates])
            write_parquet(readers, tmp, meta, lambda: _report_metadata(report), KEYS, summary.add)

        _write_matrix(engine, dates, catalog, None, progress, batch_rows, report, write)
        tmp.replace(path)
        report.update(rows=summary.rows, rows_per_as_of=summary.rows_per_as_of())
        step_t = time.monotonic()
        table = summary.frame()
        # most of it ran beside assemble_write, on a second thread
        report["step_seconds"]["summary"] = round(summary.seconds + time.monotonic() - step_t, 3)
        report["seconds"] = round(time.monotonic() - report.pop("_t0"), 3)
        _write_summary(path, table, catalog, report)
        return path
    finally:
        engine.close()


class _KeyOrder:
    """Collects the keys of the spooled rows; `order()` lists the file's rows in (as_of,
    entity_id) order (the subject index follows entity_id, so the keys sort it).
    """

    def __init__(self) -> None:
        self.days: list[np.ndarray] = []
        self.sids: list[np.ndarray] = []

    def add(self, batch: pa.RecordBatch) -> None:
        # copies: a view would keep the engine's whole batch alive (5 GB at 6M subjects)
        self.days.append(batch.column("as_of_day").to_numpy().copy())
        self.sids.append(batch.column("_sid").to_numpy().copy())

    def order(self) -> np.ndarray:
        if not self.days:
            return np.empty(0, "int64")
        return np.lexsort((np.concatenate(self.sids), np.concatenate(self.days)))


def _write_matrix(
    engine: Engine,
    as_of: Sequence[dt.date],
    catalog: Catalog,
    entity_ids: Sequence[str] | None,
    progress: bool,
    batch_rows: int,
    report: dict[str, Any],
    write: Callable[[Iterable[pa.RecordBatchReader]], None],
) -> None:
    """Build every batch of as-of dates and hand its chunks, as Arrow readers with the keys
    (as_of_day, _sid), to `write`; `report` fills in with the build report.
    """
    batches = _build(engine, as_of, catalog, entity_ids, progress, report, batch_rows)
    step_t = time.monotonic()
    write(engine.arrow_readers(batches))
    # every step ran inside the write: a batch is built when the writer reaches it
    steps = report["step_seconds"]
    steps["assemble_write"] = round(time.monotonic() - step_t - sum(steps.values()), 3)


def _build(
    engine: Engine,
    as_of: Sequence[dt.date],
    catalog: Catalog,
    entity_ids: Sequence[str] | None,
    progress: bool,
    report: dict[str, Any],
    batch_rows: int = BATCH_ROWS,
) -> Iterator[Chunks]:
    """Yield the matrix as unexecuted chunks (see `_assembled_chunks`), one per batch of dates.

    What every date reads (subject index, registry and feed versions) is materialised once;
    each batch of dates (about `batch_rows` subject rows) then runs every step, and its
    tables are freed when the consumer asks for the next batch, so memory and spill stay
    those of one batch however many dates there are. `report` fills in as it goes.
    """
    dates = _as_of_dates(as_of)
    if batch_rows < 1:
        raise ValueError(f"batch_rows: {batch_rows} must be at least 1")
    for feed in FEEDS:
        if not engine.has_table(f"v_{feed}"):
            raise StoreError(f"the store has no table v_{feed}; run `riskwarn ingest` first")
    t0 = time.monotonic()
    timings: dict[str, float] = {}
    report.update(
        catalog_version=catalog.version,
        as_of=[d.isoformat() for d in dates],
        step_seconds=timings,
        _t0=t0,
    )
    ctx = _Context(engine, catalog, entity_ids)
    needed = _columns_by_feed(catalog)
    steps = _steps(catalog)
    with (
        RowProgress("features (steps)", total=len(needed) + 3, unit="steps")
        if progress
        else (NullProgress()) as bar
    ):

        def timed(name: str, fn: Any) -> Any:
            step_t = time.monotonic()
            out = fn()
            timings[name] = round(timings.get(name, 0.0) + time.monotonic() - step_t, 3)
            bar.advance(1)
            return out

        ctx.index = timed(
            "subject_index",
            lambda: engine.materialize(subject_index(engine, entity_ids), "subject_index"),
        )
        ctx.registry_versions = timed(
            "registry_versions",
            lambda: engine.materialize(registry_versions(engine, ctx.index), "registry_versions"),
        )
        ctx.last_cutoff = ibis.timestamp(
            dt.datetime.combine(dates[-1] + dt.timedelta(days=1), dt.time())
        )
        for feed, cols in needed.items():
            ctx.prepared[feed] = timed(
                f"versions_{feed}",
                lambda f=feed, c=cols: engine.materialize(
                    prepared_versions(engine, f, c, ctx.index, ctx.last_cutoff, entity_ids),
                    f"versions_{f}",
                ),
            )
        all_dates = engine.as_of_table(dates)
        report.update(timed("text_report", lambda: _text_report(ctx, all_dates)))
        [(subjects,)] = engine.scalar_rows(ctx.index.aggregate(n=ctx.index.count()))
        batches = _date_batches(dates, int(subjects), batch_rows)
        bar.add_total(len(batches) * (len(steps) + 1))
        report["batches"] = len(batches)
        shared = [ctx.index, ctx.registry_versions, *ctx.prepared.values()]
        for n, batch in enumerate(batches):
            days = [(d - _EPOCH).days for d in batch]
            ctx.as_of = all_dates.filter(all_dates.as_of_day.isin(days))
            ctx.registry = registry_rows(ctx.registry_versions, ctx.as_of)
            ctx.subjects = timed(
                "subjects",
                lambda: engine.materialize(
                    _subject_attributes(_subjects(ctx.registry), catalog).order_by(list(KEYS)),
                    "subjects",
                ),
            )
            ctx.chunks = _chunk_ranges(engine, ctx.subjects)
            parts: list[ir.Table] = []
            for name, build_step in steps:
                parts += timed(name, lambda b=build_step, n=name: _materialize_step(ctx, b, n))
            if n == len(batches) - 1:  # the last batch's assembly reads only its parts
                for table in [*shared, *ctx.kept]:
                    engine.release(table)
            yield _assembled_chunks(ctx.subjects, parts, catalog, ctx.chunks)
            for table in [ctx.subjects, *parts, *ctx.scratch]:
                engine.release(table)
            ctx.end_batch()


def _date_batches(dates: list[dt.date], subjects: int, batch_rows: int) -> list[list[dt.date]]:
    """Consecutive as-of dates in groups of about `batch_rows` subject rows (at least one date)."""
    per = max(1, batch_rows // max(subjects, 1))
    return [dates[i : i + per] for i in range(0, len(dates), per)]


def _as_of_dates(as_of: Sequence[Any]) -> list[dt.date]:
    """The distinct as-of dates in order; at least one."""
    dates = sorted({_as_date(d) for d in as_of})
    if not dates:
        raise ValueError("as_of: give at least one as-of date")
    return dates


def _as_date(d: Any) -> dt.date:
    if isinstance(d, dt.datetime):
        raise ValueError(f"as_of: {d!r} is a time; give dates (YYYY-MM-DD)")
    if isinstance(d, dt.date):
        return d
    try:
        return dt.date.fromisoformat(str(d))
    except ValueError:
        raise ValueError(f"as_of: {d!r} is not a YYYY-MM-DD date") from None


def _subjects(registry: ir.Table) -> ir.Table:
    """Subjects in the matrix: established by the as-of date and not revoked/deregistered."""
    r = registry
    cond = (r.established_on.epoch_days() <= r.as_of_day).fill_null(False) & ~r.status.isin(
        list(INACTIVE_STATUSES)
    ).fill_null(False)
    return r.filter(cond)


def _group_keys(catalog: Catalog) -> list[str]:
    """The peer-group keys some group-rate indicator uses."""
    used = {k for i in catalog.indicators if i.agg == "group_rate" for k in i.group_by}
    return [k for k in _GROUP_KEY_SOURCES if k in used]


def _peer_key_columns(t: ir.Table, keys: Sequence[str]) -> dict[str, ir.Value]:
    """The peer-group key columns `_key_<k>` of registry rows."""
    return {f"_key_{k}": _GROUP_KEY_SOURCES[k](t) for k in keys}


def _subject_attributes(subjects: ir.Table, catalog: Catalog) -> ir.Table:
    """One row per (as-of, subject): keys, entity_id, attribute indicators, peer-group keys."""
    attrs = {i.id: attribute_expr(subjects, i) for i in catalog.indicators if i.agg == "attribute"}
    keys = _peer_key_columns(subjects, _group_keys(catalog))
    return subjects.select("as_of", *KEYS, "entity_id", **keys, **attrs)


def _peer_keys(ctx: _Context, registry: ir.Table, label: str) -> ir.Table:
    """(as_of_day, _sid, every peer-group key) of all registry rows (any status), materialised
    once: each group-rate indicator reads it (the registry rows are a window over versions).
    """
    keys = registry.select(*KEYS, **_peer_key_columns(registry, _group_keys(ctx.catalog)))
    table = ctx.engine.materialize(keys, label)
    ctx.scratch.append(table)
    return table


@dataclass
class _Context:
    """What every build step reads: the engine, the as-of dates of the current batch and the
    materialised inputs (shared by every batch, or the batch's own).
    """

    engine: Engine
    catalog: Catalog
    entity_ids: Sequence[str] | None
    # shared by every batch
    index: Any = None
    registry_versions: Any = None
    last_cutoff: Any = None
    prepared: dict[str, Any] = field(default_factory=dict)
    kept: list[Any] = field(default_factory=list)  # more shared tables, made on first use
    province: _Province | None = None  # see _province_rate_counts
    # the current batch's
    as_of: Any = None
    registry: Any = None
    subjects: Any = None
    chunks: list[tuple[int, int, int]] = field(default_factory=list)  # see _chunk_ranges
    peers: Any = None  # see _peer_keys
    rate_counts: dict[Any, Any] = field(default_factory=dict)  # see _rate_counts
    scratch: list[Any] = field(default_factory=list)  # tables to free after the batch

    def end_batch(self) -> None:
        """Forget the batch's tables (the caller has released them)."""
        self.as_of = self.registry = self.subjects = self.peers = None
        self.chunks, self.scratch, self.rate_counts = [], [], {}
        if self.province is not None:
            self.province.peers = None


def _feed_columns(inds: Sequence[Indicator]) -> list[str]:
    """The columns these indicators read (record_id only for `latest`, its tie-breaker)."""
    cols: list[str] = []
    for i in inds:
        cols += [c.column for c in i.filter + i.numerator]
        cols += [c for c in (i.column, i.weight_column, i.event_column) if c]
        cols += ["record_id"] if i.agg == "latest" else []
    return cols


def _columns_by_feed(catalog: Catalog) -> dict[str, list[str]]:
    """Every column any step reads, per event feed (text feeds always get is_spam for the report)."""
    out: dict[str, list[str]] = {f: [] for f in FEEDS if f != "entities"}
    for ind in catalog.indicators:
        if ind.feed in out:
            out[ind.feed] += _feed_columns([ind])
    for src in catalog.sources.values():
        for part in src.parts:
            out[part.feed] += [c.column for c in part.filter]
            out[part.feed] += [part.department] if part.department else []
    for feed in TEXT_FEEDS:
        out[feed].append("is_spam")
    return {f: list(dict.fromkeys(c)) for f, c in out.items()}


def _max_days(inds: Sequence[Indicator]) -> int | None:
    if any(i.max_days is None or i.event_column is not None for i in inds):
        return None
    return max(i.max_days for i in inds)  # type: ignore[type-var,return-value]


def _feed_step(feed: str):  # type: ignore[no-untyped-def]
    def step(ctx: _Context) -> list[ir.Table] | None:
        inds = [
            i for i in ctx.catalog.indicators
            if i.feed == feed and i.agg not in ("attribute", "group_rate")
        ]  # fmt: skip
        if not inds:
            return None
        rows = event_rows(ctx.prepared[feed], ctx.as_of, _feed_columns(inds), _max_days(inds))
        return _aggregate_parts(rows, inds)

    return step


def _aggregate_parts(rows: ir.Table, inds: list[Indicator]) -> list[ir.Table]:
    """One GROUP BY for most indicators, cheaper two-level ones for `distinct` counts."""
    plain = [i for i in inds if i.agg != "distinct"]
    parts = distinct_parts(rows, [i for i in inds if i.agg == "distinct"])
    if plain:
        parts.insert(
            0,
            rows.group_by(list(KEYS)).aggregate(**{i.id: aggregate_expr(rows, i) for i in plain}),
        )
    return parts


def _union_rows(ctx: _Context, source: str, max_days: int | None) -> ir.Table:
    pieces = []
    for part in ctx.catalog.sources[source].parts:
        cols = [c.column for c in part.filter] + ([part.department] if part.department else [])
        rows = event_rows(ctx.prepared[part.feed], ctx.as_of, cols, max_days)
        rows = rows.filter(filter_expr(rows, part.filter))
        dept = (
            rows[part.department]
            if part.department
            else ibis.literal(part.department_literal, "string")
        )
        pieces.append(
            rows.select(*KEYS, "d", feed=ibis.literal(part.feed), department=dept.cast("string"))
        )
    out = pieces[0]
    for p in pieces[1:]:
        out = out.union(p, distinct=False)
    return out


def _source_step(source: str):  # type: ignore[no-untyped-def]
    def step(ctx: _Context) -> list[ir.Table] | None:
        inds = [i for i in ctx.catalog.indicators if i.feed == source]
        if not inds:
            return None
        # made once: each `distinct` group and the other indicators read the union
        rows = ctx.engine.materialize(_union_rows(ctx, source, _max_days(inds)), f"rows_{source}")
        ctx.scratch.append(rows)
        return _aggregate_parts(rows, inds)

    return step


def _rate_counts(
    ctx: _Context, scope: str, versions: ir.Table, peers: ir.Table, ind: Indicator
) -> ir.Table:
    """Per (as-of, subject) with its peer-group keys: events (_n) and numerator events (_v).

    The counts per subject do not depend on the peer groups, so they are counted first and
    materialised once per batch for every group rate that shares feed, filter, numerator
    and window (industry and industry × city), then joined to each one's keys, instead of
    joining every event row to the registry once per indicator. `scope` names whose
    `versions` they are (the build's own, or the whole province's).
    """
    signature = (scope, ind.feed, ind.filter, ind.numerator, ind.max_days)
    if signature not in ctx.rate_counts:
        rows = event_rows(versions, ctx.as_of, _feed_columns([ind]), ind.max_days)
        rows = rows.filter(filter_expr(rows, ind.filter))
        counts = rows.group_by(list(KEYS)).aggregate(
            _n=rows.count(), _v=rows.count(where=filter_expr(rows, ind.numerator))
        )
        label = f"rate_counts_{len(ctx.rate_counts)}"
        ctx.rate_counts[signature] = ctx.engine.materialize(counts, label)
        ctx.scratch.append(ctx.rate_counts[signature])
    counts = ctx.rate_counts[signature]
    keys = [f"_key_{k}" for k in ind.group_by]
    return counts.join(peers.select(*KEYS, *keys), list(KEYS))


@dataclass
class _Province:
    """The whole province's inputs to a narrowed build's group rates: index and registry
    versions (made once per build), feed versions per (feed, columns), the batch's peer keys.
    """

    index: Any
    registry: Any
    versions: dict[tuple[str, tuple[str, ...]], Any] = field(default_factory=dict)
    peers: Any = None  # the current batch's; see _peer_keys


def _province_rate_counts(ctx: _Context, ind: Indicator, cols: list[str]) -> ir.Table:
    """`_rate_counts` over every subject, also when the build is narrowed to `entity_ids`.

    A narrowed build's own index and versions see only its subjects, so peer groups
    need the whole registry and feed, keyed by an index of their own (made once per
    build and shared by every group-rate indicator).
    """
    engine = ctx.engine
    if ctx.province is None:
        index = engine.materialize(subject_index(engine), "rate_index")
        registry = engine.materialize(registry_versions(engine, index), "rate_registry")
        ctx.province = _Province(index, registry)
        ctx.kept += [index, registry]
    province = ctx.province
    key = (ind.feed, tuple(sorted(cols)))
    if key not in province.versions:
        versions = prepared_versions(engine, ind.feed, cols, province.index, ctx.last_cutoff)
        label = f"rate_{ind.feed}_{len(province.versions)}"
        province.versions[key] = engine.materialize(versions, label)
        ctx.kept.append(province.versions[key])
    if province.peers is None:
        registry = registry_rows(province.registry, ctx.as_of)
        province.peers = _peer_keys(ctx, registry, "rate_peers")
    return _rate_counts(ctx, "province", province.versions[key], province.peers, ind)


def _group_rate_step(ind: Indicator):  # type: ignore[no-untyped-def]
    def step(ctx: _Context) -> ir.Table:
        cols = _feed_columns([ind])
        keys = [f"_key_{k}" for k in ind.group_by]
        if ctx.peers is None:
            ctx.peers = _peer_keys(ctx, ctx.registry, "peers")
        per = _rate_counts(ctx, "own", ctx.prepared[ind.feed], ctx.peers, ind)
        everyone = per if ctx.entity_ids is None else _province_rate_counts(ctx, ind, cols)
        cell = everyone.group_by(["as_of_day", *keys]).aggregate(
            _cn=everyone._n.sum(), _cv=everyone._v.sum()
        )
        prov = everyone.group_by("as_of_day").aggregate(
            _pn=everyone._n.sum(), _pv=everyone._v.sum()
        )
        s = ctx.subjects.select(*KEYS, *keys)
        s = s.left_join(cell, ["as_of_day", *keys]).drop(
            *[f"{k}_right" for k in ["as_of_day", *keys]]
        )
        s = s.left_join(prov, "as_of_day").drop("as_of_day_right")
        s = s.left_join(per.select(*KEYS, "_n", "_v"), list(KEYS))
        s = s.drop(*[f"{k}_right" for k in KEYS])
        n = s._cn.fill_null(0).cast("float64")
        v = s._cv.fill_null(0).cast("float64")
        if ind.exclude_self:
            n = n - s._n.fill_null(0).cast("float64")
            v = v - s._v.fill_null(0).cast("float64")
        prior_rate = ibis.ifelse(
            s._pn > 0, s._pv.cast("float64") / s._pn.cast("float64"), ibis.null("float64")
        )
        den = n + ind.prior
        rate = ibis.ifelse(
            den > 0, (v + ind.prior * prior_rate.fill_null(0.0)) / den, ibis.null("float64")
        )
        rate = ibis.ifelse(prior_rate.isnull() & (n <= 0), ibis.null("float64"), rate)
        return s.select(*KEYS, **{ind.id: rate})

    return step


def _materialize_step(ctx: _Context, build_step: Any, name: str) -> list[ir.Table]:
    """Materialise a step's parts; in key order when the assembly runs in several chunks,
    so a chunk's key range skips most of each part (one chunk reads them whole: no sort).
    """
    out = build_step(ctx)
    exprs = [] if out is None else out if isinstance(out, list) else [out]
    if len(ctx.chunks) > 1:
        exprs = [e.order_by(list(KEYS)) for e in exprs]
    return [ctx.engine.materialize(e, f"{name}_{n}") for n, e in enumerate(exprs)]


def _steps(catalog: Catalog) -> list[tuple[str, Any]]:
    steps: list[tuple[str, Any]] = []
    feeds = dict.fromkeys(i.feed for i in catalog.indicators if i.feed in FEEDS)
    for feed in feeds:
        if feed != "entities":
            steps.append((f"feed_{feed}", _feed_step(feed)))
    for source in catalog.sources:
        steps.append((f"source_{source}", _source_step(source)))
    for ind in catalog.indicators:
        if ind.agg == "group_rate":
            steps.append((f"rate_{ind.id}", _group_rate_step(ind)))
    return steps


def _chunk_ranges(engine: Engine, subjects: ir.Table) -> list[tuple[int, int, int]]:
    """(as_of_day, first _sid, last _sid) ranges of about `_CHUNK_ROWS` subjects each."""
    per_day = subjects.group_by("as_of_day").aggregate(
        n=subjects.count(), lo=subjects._sid.min(), hi=subjects._sid.max()
    )
    out = []
    for day, n, lo, hi in engine.scalar_rows(per_day.order_by("as_of_day")):
        k = max(1, -(-int(n) // _CHUNK_ROWS))
        step = -(-(hi - lo + 1) // k)
        out += [(day, a, min(a + step - 1, hi)) for a in range(lo, hi + 1, step)]
    return out


def _assembled_chunks(
    subjects: ir.Table,
    parts: list[ir.Table],
    catalog: Catalog,
    ranges: list[tuple[int, int, int]],
) -> Chunks:
    """The matrix as chunks of one as-of date and a _sid range each, to run one by one: one
    expression with the range as parameters, and each chunk's values for them.

    Joining every part at once makes the engine hold a hash table of each part, in all
    about the size of the whole matrix (it spilled many GB at 12 dates × 1M subjects);
    a chunk's tables are a chunk's size, and key-ordered parts let its scans skip.
    """
    if not ranges:
        return _assemble(subjects, parts, catalog), [{}]
    day, lo, hi = ibis.param("int64"), ibis.param("int64"), ibis.param("int64")

    def within(t: ir.Table) -> ir.Table:
        return t.filter((t.as_of_day == day) & t._sid.between(lo, hi))

    expr = _assemble(within(subjects), [within(p) for p in parts], catalog)
    return expr, [{day: d, lo: a, hi: b} for d, a, b in ranges]


def _assemble(subj_t: ir.Table, parts: list[ir.Table], catalog: Catalog) -> ir.Table:
    """Left-join every part onto the subjects, apply fills, then derived indicators."""
    t = subj_t
    for p in parts:
        t = t.left_join(p, list(KEYS)).drop(*[f"{k}_right" for k in KEYS])
    values: dict[str, ir.Value] = {}
    for ind in catalog.indicators:
        if ind.feed == "derived":
            continue
        col = t[ind.id]
        if ind.kind == "numeric":
            col = col.cast("float64")
            if ind.fill is not None:
                col = col.fill_null(float(ind.fill))
        else:
            col = col.cast("string").fill_null(ind.fill)
        values[ind.id] = col
    t = t.select("entity_id", "as_of", *KEYS, **values)
    derived = {
        i.id: derived_expr(t, i).cast("float64") for i in catalog.indicators if i.feed == "derived"
    }
    if derived:
        t = t.mutate(**derived)
    return t.select("entity_id", "as_of", *catalog.ids, *KEYS)


def _text_report(ctx: _Context, dates: ir.Table) -> dict[str, Any]:
    """Per as-of date: texts known but not linked to a subject, and texts not yet scored."""
    out: dict[str, Any] = {"unlinked": {}, "unscored": {}}
    for feed in TEXT_FEEDS:
        rows = event_rows(
            ctx.prepared[feed], dates, ["is_spam", "_unlinked"], None, linked_only=False
        )
        agg = rows.group_by("as_of_day").aggregate(
            unlinked=rows.count(where=rows._unlinked),
            unscored=rows.count(where=rows.is_spam.isnull()),
        )
        for day, unlinked, unscored in ctx.engine.scalar_rows(agg.order_by("as_of_day")):
            as_of = (_EPOCH + dt.timedelta(days=day)).isoformat()
            if ctx.entity_ids is None:  # a narrowed build never sees unlinked texts
                out["unlinked"].setdefault(as_of, {})[feed] = int(unlinked)
            out["unscored"].setdefault(as_of, {})[feed] = int(unscored)
    return out


def _default_path(settings: Settings, catalog: Catalog, dates: list[str]) -> Path:
    span = f"{dates[0]}_{dates[-1]}_{len(dates)}d" if dates else "empty"
    return settings.features_dir / f"features_{span}_{catalog.version}.parquet"


def _metadata(catalog: Catalog, dates: list[str]) -> dict[str, str]:
    return {
        "riskwarn.catalog_version": catalog.version,
        "riskwarn.as_of": json.dumps(dates),
        "riskwarn.indicators": json.dumps(catalog.ids),
    }


def _report_metadata(build: dict[str, Any]) -> dict[str, str]:
    """The build report as Parquet key/value metadata (private keys, such as _t0, left out)."""
    report = {k: v for k, v in build.items() if not k.startswith("_")}
    return {"riskwarn.build": json.dumps(report, ensure_ascii=False, default=str)}


def _write_summary(
    path: Path, summary: pd.DataFrame, catalog: Catalog, build: dict[str, Any]
) -> None:
    stem = path.with_suffix("")
    summary.to_csv(f"{stem}.summary.csv", index=False)
    doc = {
        "catalog_version": catalog.version,
        "as_of": build.get("as_of", []),
        "rows": build.get("rows"),
        "build": build,
        "indicators": json.loads(summary.to_json(orient="records", force_ascii=False)),
    }
    Path(f"{stem}.summary.json").write_text(
        json.dumps(doc, ensure_ascii=False, indent=1, default=str)
    )


def write_feature_matrix(
    df: pd.DataFrame, settings: Settings, catalog: Catalog, path: Path | None = None
) -> Path:
    """Write the matrix as Parquet under settings.features_dir (or `path`), summary beside it.

    The Parquet metadata records the catalog version, the as-of dates and the
    indicator ids; `<name>.summary.json` and `.summary.csv` hold the per-indicator summary.
    """
    missing = [c for c in ["entity_id", "as_of", *catalog.ids] if c not in df.columns]
    if missing:
        raise ValueError(f"feature matrix lacks columns {missing[:5]} of catalog {catalog.version}")
    dates = sorted({d.isoformat() for d in df["as_of"]})
    path = path or _default_path(settings, catalog, dates)
    path.parent.mkdir(parents=True, exist_ok=True)
    build = dict(df.attrs.get(BUILD_ATTR, {}))
    build.setdefault("as_of", dates)
    build.setdefault("rows", len(df))
    table = pa.Table.from_pandas(df, preserve_index=False)
    meta = dict(table.schema.metadata or {})
    meta.update(
        {
            k.encode(): v.encode()
            for k, v in {**_metadata(catalog, dates), **_report_metadata(build)}.items()
        }
    )
    tmp = path.with_suffix(".parquet.tmp")
    pq.write_table(table.replace_schema_metadata(meta), tmp)
    tmp.replace(path)
    _write_summary(path, summarize_features(df, catalog), catalog, build)
    return path
