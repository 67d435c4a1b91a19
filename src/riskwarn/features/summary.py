"""Per-indicator summary of a feature matrix: coverage, missing share, moments, quantiles.

Two ways to the same table: `summarize_features` over a pandas frame (training's), and
`MatrixSummary`, fed the matrix batch by batch as it streams to its file (`features
build`), so a matrix too big for memory is summarised without being read again.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskwarn.features.catalog import Catalog, Indicator

__all__ = ["SUMMARY_SAMPLE_ROWS", "MatrixSummary", "summarize_features"]

SUMMARY_SAMPLE_ROWS = 100_000  # MatrixSummary: quantiles from at most this many rows (about
# 190 MB of RSS at 98 numeric columns, with candidates; 200,000 took 530)
_QUANTILES = [0.0, 0.25, 0.5, 0.75, 0.9, 0.99, 1.0]
_Q_NAMES = ["min", "p25", "p50", "p75", "p90", "p99", "max"]
_EPOCH = dt.date(1970, 1, 1)


def _head(ind: Indicator) -> dict[str, Any]:
    return {
        "id": ind.id, "label_zh": ind.label_zh, "label_en": ind.label_en,
        "family": ind.family, "kind": ind.kind,
    }  # fmt: skip


def _top_values(counts: Counter[Any]) -> str:
    """The five commonest values, ties in value order, as `value=count; …`."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:5]
    return "; ".join(f"{k}={v}" for k, v in top)


def summarize_features(df: pd.DataFrame, catalog: Catalog) -> pd.DataFrame:
    """One row per indicator: coverage (non-fill values), missing share, mean and quantiles."""
    rows = []
    n = max(len(df), 1)
    for ind in catalog.indicators:
        s = df[ind.id]
        row = _head(ind)
        row["missing_share"] = float(s.isna().sum()) / n
        present = s.notna() if ind.fill is None else s.notna() & (s != ind.fill)
        row["coverage"] = float(present.sum()) / n
        if ind.kind == "numeric":
            x = s.dropna().to_numpy(dtype="float64")
            qs = np.quantile(x, _QUANTILES) if len(x) else [np.nan] * len(_QUANTILES)
            row.update(
                mean=float(x.mean()) if len(x) else np.nan, std=float(x.std()) if len(x) else np.nan
            )
            row.update(dict(zip(_Q_NAMES, map(float, qs), strict=True)))
        else:
            row["top_values"] = _top_values(Counter(s.dropna().tolist()))
        rows.append(row)
    return pd.DataFrame(rows)


class _Moments:
    """Count, mean and sum of squared deviations of a stream of arrays, merged per batch
    (Chan et al.), plus min and max: as exact as numpy's over the whole column."""

    def __init__(self) -> None:
        self.n, self.mean, self.m2 = 0, 0.0, 0.0
        self.lo, self.hi = np.inf, -np.inf

    def add(self, x: np.ndarray) -> None:
        if not len(x):
            return
        m = float(x.mean())
        m2 = float(np.square(x - m).sum())
        n = self.n + len(x)
        delta = m - self.mean
        self.m2 += m2 + delta * delta * self.n * len(x) / n
        self.mean += delta * len(x) / n
        self.n = n
        self.lo, self.hi = min(self.lo, float(x.min())), max(self.hi, float(x.max()))


class MatrixSummary:
    """`summarize_features`, accumulated over the matrix's Arrow batches as they stream.

    Missing and present counts, mean, std, min and max are exact over every row; the
    quantiles come from a sample of at most `sample_rows` rows, all of them when the matrix
    is that small (then the table equals `summarize_features` of the same rows). The
    sample is the rows with the smallest hash of their keys (as_of_day, _sid), so it is
    uniform and the same whatever order the rows arrive in. Also counts rows per as-of date.
    """

    def __init__(self, catalog: Catalog, sample_rows: int = SUMMARY_SAMPLE_ROWS) -> None:
        self.catalog = catalog
        self.sample_rows = sample_rows
        self.rows = 0
        self.seconds = 0.0  # spent in `add`
        self.per_day: Counter[int] = Counter()
        self._missing: Counter[str] = Counter()
        self._present: Counter[str] = Counter()
        self._moments = {i.id: _Moments() for i in catalog.indicators if i.kind == "numeric"}
        self._counts: dict[str, Counter[Any]] = {
            i.id: Counter() for i in catalog.indicators if i.kind != "numeric"
        }
        # the quantile sample: candidate rows, trimmed to the smallest hashes by _compact
        self._pending: dict[str, list[np.ndarray]] = {k: [np.empty(0)] for k in self._moments}
        self._pending_hash: list[np.ndarray] = [np.empty(0, dtype=np.uint64)]
        self._pending_rows = 0
        self._threshold = np.uint64(np.iinfo(np.uint64).max)  # hashes below it may get in

    def add(self, batch: pa.RecordBatch) -> None:
        """Fold one batch (keys, as_of, entity_id and every indicator column) in."""
        t0 = time.monotonic()
        self.rows += batch.num_rows
        days, sids = batch.column("as_of_day"), batch.column("_sid")
        for item in pc.value_counts(days).to_pylist():
            self.per_day[int(item["values"])] += int(item["counts"])
        for ind in self.catalog.indicators:
            col = batch.column(ind.id)
            if ind.kind == "numeric":
                self._add_numeric(ind, col)
            else:
                self._add_text(ind, col)
        self._add_sample(batch, _key_hash(days.to_numpy(), sids.to_numpy()))
        self.seconds += time.monotonic() - t0

    def _add_numeric(self, ind: Indicator, col: pa.Array) -> None:
        x = col.to_numpy(zero_copy_only=False).astype("float64", copy=False)
        known = x[~np.isnan(x)]
        self._missing[ind.id] += len(x) - len(known)
        fill = ind.fill
        self._present[ind.id] += len(known) - (
            int(np.count_nonzero(known == float(fill))) if fill is not None else 0
        )
        self._moments[ind.id].add(known)

    def _add_text(self, ind: Indicator, col: pa.Array) -> None:
        counts = self._counts[ind.id]
        for item in pc.value_counts(col.drop_null()).to_pylist():
            counts[item["values"]] += int(item["counts"])
        self._missing[ind.id] += col.null_count
        self._present[ind.id] += len(col) - col.null_count - _count_of(col, ind.fill)

    def _add_sample(self, batch: pa.RecordBatch, hashes: np.ndarray) -> None:
        """Keep the batch's rows that may be among the `sample_rows` smallest hashes so far
        (at most that many); `_compact` trims the candidates once they are twice as many."""
        take = np.flatnonzero(hashes < self._threshold)
        if len(take) > self.sample_rows:
            take = take[np.argpartition(hashes[take], self.sample_rows)[: self.sample_rows]]
        if not len(take):
            return
        self._pending_hash.append(hashes[take])
        index = pa.array(take)
        for name, parts in self._pending.items():
            parts.append(batch.column(name).take(index).to_numpy(zero_copy_only=False))
        self._pending_rows += len(take)
        if self._pending_rows > 2 * self.sample_rows:
            self._compact()

    def _compact(self) -> None:
        if len(self._pending_hash) == 1 and self._pending_rows <= self.sample_rows:
            return  # already compact
        merged = np.concatenate(self._pending_hash)
        keep = (
            np.argpartition(merged, self.sample_rows)[: self.sample_rows]
            if len(merged) > self.sample_rows
            else np.arange(len(merged))
        )
        self._pending_hash = [merged[keep]]
        for name, parts in self._pending.items():
            self._pending[name] = [np.concatenate(parts).astype("float64", copy=False)[keep]]
        self._pending_rows = len(keep)
        if len(keep) >= self.sample_rows:  # full: only smaller hashes can still get in
            self._threshold = self._pending_hash[0].max()

    @property
    def sampled(self) -> int:
        """Rows in the quantile sample: min(rows, sample_rows)."""
        self._compact()
        return self._pending_rows

    def _sample(self, name: str) -> np.ndarray:
        self._compact()
        return self._pending[name][0]

    def rows_per_as_of(self) -> dict[str, int]:
        """Rows per as-of date (ISO), in date order."""
        return {
            (_EPOCH + dt.timedelta(days=d)).isoformat(): n for d, n in sorted(self.per_day.items())
        }

    def frame(self) -> pd.DataFrame:
        """The summary table, one row per indicator, columns as `summarize_features`."""
        n = max(self.rows, 1)
        rows = []
        for ind in self.catalog.indicators:
            row = _head(ind)
            row["missing_share"] = self._missing[ind.id] / n
            row["coverage"] = self._present[ind.id] / n
            if ind.kind == "numeric":
                m = self._moments[ind.id]
                x = self._sample(ind.id)
                x = x[~np.isnan(x)]
                qs = np.quantile(x, _QUANTILES) if len(x) else [np.nan] * len(_QUANTILES)
                row.update(dict(zip(_Q_NAMES, map(float, qs), strict=True)))
                row.update(
                    mean=m.mean if m.n else np.nan,
                    std=float(np.sqrt(m.m2 / m.n)) if m.n else np.nan,
                    min=m.lo if m.n else np.nan,
                    max=m.hi if m.n else np.nan,
                )
            else:
                row["top_values"] = _top_values(self._counts[ind.id])
            rows.append(row)
        return pd.DataFrame(rows)


def _count_of(col: pa.Array, value: Any) -> int:
    """How many entries of `col` equal `value` (0 for a None value)."""
    if value is None:
        return 0
    return int(pc.sum(pc.equal(col, pa.scalar(value, col.type))).as_py() or 0)


def _key_hash(days: np.ndarray, sids: np.ndarray) -> np.ndarray:
    """A well-mixed 64-bit hash of (as_of_day, _sid) (splitmix64's finaliser)."""
    z = (days.astype(np.uint64) << np.uint64(32)) | sids.astype(np.uint32).astype(np.uint64)
    with np.errstate(over="ignore"):
        z = z + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))
