"""The numbers a supervisor cares about, overall and by slice, with bootstrap intervals.

Input is one frame per held-out period: every subject of the test cohorts with its
score; the label columns of labels.py; slice attributes (slice_city,
slice_industry_section, slice_entity_type); and, on simulated data, truth columns p_now / p_future.

Capacity k means inspecting the top k share of each cohort's subjects by score. On
labelled rows, precision@k is the violation rate among inspected subjects in the top k
and lift@k its ratio to the overall rate (what a uniform random draw finds). Random-draw
metrics weight each row by 1/draw_probability (unweighted when the feed gave none).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "SLICE_COLUMNS",
    "Evaluation",
    "binary_metrics",
    "capacity_metrics",
    "capture_of_truth",
    "evaluate_scores",
    "expected_calibration_error",
    "inverse_draw_weights",
    "schedule_metric",
    "slice_table",
    "top_flags",
]

SLICE_COLUMNS: dict[str, tuple[str, str]] = {
    "slice_city": ("地市", "city"),
    "slice_industry_section": ("行业门类", "industry section"),
    "slice_entity_type": ("主体类型", "subject type"),
}


def _pct(k: float) -> str:
    return f"{round(k * 100):d}pct"


def expected_calibration_error(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None, bins: int = 10
) -> float:
    """Σ_b (weight share of bin b) × |observed rate − mean score| over equal-width score bins."""
    if len(y) == 0:
        return float("nan")
    w = np.ones(len(y)) if weight is None else np.asarray(weight, float)
    idx = np.minimum((np.asarray(p, float) * bins).astype(int), bins - 1)
    total = w.sum()
    err = 0.0
    for b in np.unique(idx):
        m = idx == b
        wb = w[m].sum()
        err += wb / total * abs(np.average(y[m], weights=w[m]) - np.average(p[m], weights=w[m]))
    return float(err)


def binary_metrics(
    y: np.ndarray, p: np.ndarray, weight: np.ndarray | None = None, bins: int = 10
) -> dict[str, float]:
    """ROC-AUC, PR-AUC, Brier, ECE, count and base rate (NaN where undefined)."""
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    out = {"n": float(len(y)), "positives": float(y.sum())}
    if len(y) == 0:
        return out | {k: float("nan") for k in ("base_rate", "auc", "pr_auc", "brier", "ece")}
    out["base_rate"] = float(np.average(y, weights=weight))
    both = 0 < y.sum() < len(y)
    out["auc"] = float(roc_auc_score(y, p, sample_weight=weight)) if both else float("nan")
    out["pr_auc"] = (
        float(average_precision_score(y, p, sample_weight=weight)) if both else float("nan")
    )
    out["brier"] = float(brier_score_loss(y, p, sample_weight=weight))
    out["ece"] = expected_calibration_error(y, p, weight, bins)
    return out


def top_flags(frame: pd.DataFrame, score: str, k: float) -> np.ndarray:
    """True for rows within the top k share of their own as-of cohort by score
    (ties broken by row order, so exactly ceil(k × cohort size) rows per cohort)."""
    codes, _ = pd.factorize(frame["as_of"])
    scores = frame[score].to_numpy(float)
    order = np.lexsort((np.arange(len(scores)), -scores, codes))
    sizes = np.bincount(codes)
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    rank = np.empty(len(scores), dtype=np.int64)
    rank[order] = np.arange(len(scores)) - np.repeat(starts, sizes)
    return rank < np.ceil(k * sizes[codes])


def capacity_metrics(
    y: np.ndarray, top: np.ndarray, weight: np.ndarray | None = None
) -> dict[str, float]:
    """Precision, recall and lift of inspecting only the `top` rows among labelled rows."""
    y = np.asarray(y, float)
    w = np.ones(len(y)) if weight is None else np.asarray(weight, float)
    base = np.average(y, weights=w) if len(y) and w.sum() > 0 else float("nan")
    picked = w[top].sum()
    precision = float(np.average(y[top], weights=w[top])) if picked > 0 else float("nan")
    found = (w * y)[top].sum()
    recall = float(found / (w * y).sum()) if (w * y).sum() > 0 else float("nan")
    lift = precision / base if base and base > 0 and not np.isnan(precision) else float("nan")
    return {"precision": precision, "recall": recall, "lift": lift, "n_top": float(top.sum())}


def capture_of_truth(truth: np.ndarray, top: np.ndarray) -> float:
    """Share of the expected violations (Σ true probability) inside the top rows."""
    total = float(np.sum(truth))
    return float(np.sum(truth[top]) / total) if total > 0 else float("nan")


def schedule_metric(
    frame: pd.DataFrame, score: str, date_col: str = "first_inspected_on"
) -> dict[str, float]:
    """Chicago-style: reorder each period's actual inspections by score, on the same dates.

    Returns the share of violations found in the first half of inspections in the
    actual order and in score order, and the mean days earlier a violation is found.
    """
    rows = frame[frame["label"].notna() & frame[date_col].notna()]
    if rows.empty or rows["label"].sum() == 0:
        return {
            "first_half_actual": float("nan"),
            "first_half_model": float("nan"),
            "days_earlier": float("nan"),
        }
    actual_half, model_half, earlier = [], [], []
    for _as_of, g in rows.groupby("as_of"):
        dates = np.sort(g[date_col].to_numpy("datetime64[D]"))
        y_actual = g.sort_values(date_col)["label"].to_numpy(float)
        by_score = g.sort_values(score, ascending=False, kind="stable")
        y_model = by_score["label"].to_numpy(float)
        half = len(g) // 2 + len(g) % 2
        actual_half.append((y_actual[:half].sum(), y_actual.sum()))
        model_half.append((y_model[:half].sum(), y_model.sum()))
        viol = y_model == 1
        actual_dates = by_score[date_col].to_numpy("datetime64[D]")
        earlier.extend((actual_dates[viol] - dates[viol]).astype(float).tolist())
    found_a = sum(a for a, _ in actual_half) / max(sum(t for _, t in actual_half), 1)
    found_m = sum(a for a, _ in model_half) / max(sum(t for _, t in model_half), 1)
    return {
        "first_half_actual": float(found_a),
        "first_half_model": float(found_m),
        "days_earlier": float(np.mean(earlier)) if earlier else float("nan"),
    }


def inverse_draw_weights(frame: pd.DataFrame, clip: float = 1e6) -> np.ndarray:
    """1/draw_probability per row (1 where the feed gave none), what random-draw metrics weigh by."""
    p = frame["draw_probability"].to_numpy(float)
    return np.where(np.isfinite(p) & (p > 0), np.minimum(1.0 / np.where(p > 0, p, 1.0), clip), 1.0)


def _core(
    frame: pd.DataFrame, score: str, capacities: Sequence[float], bins: int
) -> dict[str, float]:
    out: dict[str, float] = {}
    tops = {k: top_flags(frame, score, k) for k in capacities}
    lab = frame["label"].notna().to_numpy()
    y = frame["label"].to_numpy("float64", na_value=np.nan)
    rd = frame["any_random_draw"].to_numpy(bool)
    y_rd = frame["random_draw_label"].to_numpy("float64", na_value=np.nan)
    w_rd = inverse_draw_weights(frame)
    p = frame[score].to_numpy(float)
    for name, mask, yy, w in (("labelled", lab, y, None), ("random_draw", rd, y_rd, w_rd)):
        ww = None if w is None else w[mask]
        for key, v in binary_metrics(yy[mask], p[mask], ww, bins).items():
            out[f"{key}_{name}"] = v
        for k, top in tops.items():
            for key, v in capacity_metrics(yy[mask], top[mask], ww).items():
                out[f"{key}_at_{_pct(k)}_{name}"] = v
    serious = frame["serious_event"].to_numpy(float)
    out["auc_serious"] = binary_metrics(serious, p, None, bins)["auc"]
    for k, top in tops.items():
        out[f"capture_at_{_pct(k)}_serious"] = capture_of_truth(serious, top)
    for key, v in schedule_metric(frame, score).items():
        out[f"schedule_{key}"] = v
    if "p_future" in frame.columns:
        truth = frame["p_future"].to_numpy(float)
        for k, top in tops.items():
            out[f"capture_at_{_pct(k)}_truth"] = capture_of_truth(truth, top)
    out["n_subjects"] = float(len(frame))
    return out


def _bootstrap(
    frame: pd.DataFrame,
    fn: Callable[[pd.DataFrame], dict[str, float]],
    keys: Sequence[str],
    n: int,
    seed: int,
) -> dict[str, tuple[float, float]]:
    """95% percentile intervals by resampling subjects (rows) with replacement."""
    rng = np.random.default_rng(seed)
    draws: dict[str, list[float]] = {k: [] for k in keys}
    for _ in range(n):
        idx = rng.integers(0, len(frame), len(frame))
        res = fn(frame.iloc[idx])
        for k in keys:
            draws[k].append(res.get(k, float("nan")))
    return {
        k: (float(np.nanpercentile(v, 2.5)), float(np.nanpercentile(v, 97.5)))
        for k, v in draws.items()
        if np.isfinite(v).any()
    }


def _boot_metrics(frame: pd.DataFrame, score: str, k: float) -> dict[str, float]:
    out: dict[str, float] = {}
    lab = frame["label"].notna().to_numpy()
    rd = frame["any_random_draw"].to_numpy(bool)
    p = frame[score].to_numpy(float)
    top = top_flags(frame, score, k)
    y = frame["label"].to_numpy("float64", na_value=np.nan)
    y_rd = frame["random_draw_label"].to_numpy("float64", na_value=np.nan)
    w = inverse_draw_weights(frame)
    from sklearn.metrics import roc_auc_score

    for name, mask, yy, ww in (("labelled", lab, y, None), ("random_draw", rd, y_rd, w)):
        ym = yy[mask]
        if 0 < ym.sum() < len(ym):
            out[f"auc_{name}"] = float(
                roc_auc_score(ym, p[mask], sample_weight=None if ww is None else ww[mask])
            )
        cm = capacity_metrics(ym, top[mask], None if ww is None else ww[mask])
        out[f"precision_at_{_pct(k)}_{name}"] = cm["precision"]
    if "p_future" in frame.columns:
        out[f"capture_at_{_pct(k)}_truth"] = capture_of_truth(
            frame["p_future"].to_numpy(float), top
        )
    return out


def slice_table(
    frame: pd.DataFrame,
    score: str,
    overall: dict[str, float],
    capacities: Sequence[float],
    bins: int,
    min_count: int,
    margin: float,
) -> pd.DataFrame:
    """Metrics per city, industry section and subject type, with counts and a worse-than-overall flag."""
    rows: list[dict[str, Any]] = []
    for col, (zh, en) in SLICE_COLUMNS.items():
        if col not in frame.columns:
            continue
        for value, g in frame.groupby(col, dropna=False):
            m = _core(g, score, capacities, bins)
            n_lab = int(m["n_labelled"])
            auc = m["auc_labelled"]
            flagged = bool(
                n_lab >= min_count and np.isfinite(auc) and auc < overall["auc_labelled"] - margin
            )
            rows.append(
                {
                    "slice_by": col,
                    "slice_by_label": f"{zh} / {en}",
                    "slice": "" if pd.isna(value) else str(value),
                    "n_subjects": int(len(g)),
                    "n_labelled": n_lab,
                    "positives_labelled": int(m["positives_labelled"]),
                    "n_random_draw": int(m["n_random_draw"]),
                    "auc_labelled": auc,
                    "auc_random_draw": m["auc_random_draw"],
                    "ece_labelled": m["ece_labelled"],
                    f"precision_at_{_pct(max(capacities))}_labelled": m[
                        f"precision_at_{_pct(max(capacities))}_labelled"
                    ],
                    "flagged_worse": flagged,
                }
            )
    return pd.DataFrame(rows)


@dataclass
class Evaluation:
    """Metrics of one score column on one held-out period."""

    metrics: dict[str, float]
    intervals: dict[str, tuple[float, float]] = field(default_factory=dict)
    slices: pd.DataFrame = field(default_factory=pd.DataFrame)

    def flat(self, prefix: str = "") -> dict[str, float]:
        """Metrics and interval bounds as one flat dict (for MLflow)."""
        out = {f"{prefix}{k}": v for k, v in self.metrics.items()}
        for k, (lo, hi) in self.intervals.items():
            out[f"{prefix}{k}_lo"] = lo
            out[f"{prefix}{k}_hi"] = hi
        return out


def evaluate_scores(
    frame: pd.DataFrame,
    score: str,
    capacities: Sequence[float] = (0.01, 0.05, 0.10),
    *,
    bins: int = 10,
    bootstrap: int = 0,
    slice_min_count: int = 100,
    slice_margin: float = 0.05,
    seed: int = 0,
    slices: bool = True,
) -> Evaluation:
    """Every metric of the module for `frame[score]`, with intervals and slices."""
    metrics = _core(frame, score, capacities, bins)
    intervals: dict[str, tuple[float, float]] = {}
    if bootstrap > 0 and len(frame) > 1:
        k = max(capacities)
        # resampling copies rows: carry only the columns the resampled metrics read
        cols = ["as_of", "label", "any_random_draw", "random_draw_label", "draw_probability"]
        cols += [c for c in ("p_future",) if c in frame.columns] + [score]
        narrow = frame[cols]
        keys = list(_boot_metrics(narrow, score, k))
        intervals = _bootstrap(narrow, lambda f: _boot_metrics(f, score, k), keys, bootstrap, seed)
    table = (
        slice_table(frame, score, metrics, capacities, bins, slice_min_count, slice_margin)
        if slices
        else pd.DataFrame()
    )
    return Evaluation(metrics, intervals, table)
