"""Does LightGBM beat the baselines beyond noise? Paired bootstrap of metric differences.

Both scorers are judged on the same resample of subjects, so the interval is that of the
difference itself (much narrower than two overlapping per-model intervals). Resampling
is by subject: a subject drawn twice counts twice in every cohort it appears in, which
keeps a subject's repeated cohorts together. Done overall and per region; a region is
"large" when it has enough random-draw violations for its comparison to mean something.

Metrics (k = the largest inspection capacity):
- auc_random_draw: ROC-AUC over random-draw inspections, weighted by 1/draw_probability;
- capture_at_k_random_draw: share of the random-draw violations (same weights) that fall
  in the top k of each cohort by score — the violations a k-capacity plan would reach;
- capture_at_k_truth (simulated data): share of the expected violations Σ p_future in the
  top k.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from riskwarn.models.evaluate import inverse_draw_weights, top_flags

__all__ = ["Comparison", "compare_scorers", "weighted_auc"]


def weighted_auc(y: np.ndarray, p: np.ndarray, w: np.ndarray) -> float:
    """ROC-AUC with row weights (ties count one half), by one sort; NaN without both classes."""
    keep = w > 0
    y, p, w = y[keep], p[keep], w[keep]
    pos_w = float((w * y).sum())
    neg_w = float((w * (1 - y)).sum())
    if pos_w <= 0 or neg_w <= 0:
        return float("nan")
    order = np.argsort(p, kind="mergesort")
    p, y, w = p[order], y[order], w[order]
    # group tied scores: negatives below a positive count fully, tied ones by half
    bounds = np.flatnonzero(np.diff(p)) + 1
    starts = np.concatenate([[0], bounds])
    neg_in = np.add.reduceat(w * (1 - y), starts)
    pos_in = np.add.reduceat(w * y, starts)
    neg_below = np.concatenate([[0.0], np.cumsum(neg_in)[:-1]])
    return float(((neg_below + 0.5 * neg_in) * pos_in).sum() / (pos_w * neg_w))


@dataclass(frozen=True)
class _Inputs:
    """The arrays every resample reuses (per row of the test frame)."""

    codes: np.ndarray  # subject index, for resampling by subject
    rd: np.ndarray  # random-draw row
    y_rd: np.ndarray
    w_rd: np.ndarray
    truth: np.ndarray | None
    scores: dict[str, np.ndarray]
    tops: dict[str, np.ndarray]


def _metrics(inp: _Inputs, name: str, mult: np.ndarray, k_pct: str) -> dict[str, float]:
    """The compared metrics of scorer `name` with row multiplicities `mult`."""
    rd = inp.rd & (mult > 0)
    w = inp.w_rd[rd] * mult[rd]
    y = inp.y_rd[rd]
    top = inp.tops[name]
    out = {"auc_random_draw": weighted_auc(y, inp.scores[name][rd], w)}
    found = float((w * y).sum())
    out[f"capture_at_{k_pct}_random_draw"] = (
        float((w * y)[top[rd]].sum()) / found if found > 0 else float("nan")
    )
    if inp.truth is not None:
        t = inp.truth * mult
        total = float(t.sum())
        out[f"capture_at_{k_pct}_truth"] = float(t[top].sum()) / total if total > 0 else np.nan
    return out


@dataclass
class Comparison:
    """Paired differences (ours − baseline) with 95% intervals, overall and per region."""

    table: pd.DataFrame
    ours: str
    large_min_positives: int

    def verdicts(self) -> dict[str, bool]:
        """Per baseline: beats it on every metric overall and on every large region."""
        t = self.table[self.table["large"]]
        return {
            b: bool(len(g) > 0 and g["beats"].all()) for b, g in t.groupby("baseline", sort=False)
        }

    def verdict_text(self) -> str:
        """The verdicts as one line, e.g. `scorecard: beaten, logistic: not beaten`."""
        return ", ".join(
            f"{b}: {'beaten' if ok else 'not beaten'}" for b, ok in self.verdicts().items()
        )

    def flat(self) -> dict[str, float]:
        """Overall differences and their bounds, plus verdicts, as MLflow metrics."""
        out: dict[str, float] = {}
        overall = self.table[self.table["slice"] == "all"]
        for r in overall.itertuples():
            key = f"vs_{r.baseline}.{r.metric}"
            out |= {f"{key}.diff": r.diff, f"{key}.diff_lo": r.diff_lo, f"{key}.diff_hi": r.diff_hi}
        for b, ok in self.verdicts().items():
            out[f"vs_{b}.beats_everywhere"] = float(ok)
        return out


def compare_scorers(
    frame: pd.DataFrame,
    ours: str,
    baselines: Sequence[str],
    capacity: float,
    *,
    by: str = "slice_city",
    n_boot: int = 200,
    large_min_positives: int = 100,
    seed: int = 0,
) -> Comparison:
    """Paired bootstrap of `ours` against each baseline (names of `score_<name>` columns)."""
    names = [ours, *baselines]
    k_pct = f"{round(capacity * 100):d}pct"
    codes, _ = pd.factorize(frame["entity_id"])
    inp = _Inputs(
        codes=codes,
        rd=frame["any_random_draw"].to_numpy(bool),
        y_rd=frame["random_draw_label"].to_numpy("float64", na_value=np.nan),
        w_rd=inverse_draw_weights(frame),
        truth=frame["p_future"].to_numpy(float) if "p_future" in frame.columns else None,
        scores={n: frame[f"score_{n}"].to_numpy(float) for n in names},
        tops={n: top_flags(frame, f"score_{n}", capacity) for n in names},
    )
    groups: list[tuple[str, np.ndarray]] = [("all", np.ones(len(frame), bool))]
    if by in frame.columns:
        values = frame[by].astype(object).where(frame[by].notna(), "")
        groups += [(str(v), (values == v).to_numpy()) for v in sorted(values.unique())]
    rng = np.random.default_rng(seed)
    n_subjects = int(codes.max()) + 1 if len(codes) else 0
    # one set of subject multiplicities per resample, shared by every group and scorer
    draws = [np.bincount(rng.integers(0, n_subjects, n_subjects), minlength=n_subjects)[codes]
             for _ in range(n_boot)]  # fmt: skip
    rows = []
    for label, mask in groups:
        point = {n: _metrics(inp, n, mask.astype(float), k_pct) for n in names}
        boot = [
            {n: _metrics(inp, n, mask * m, k_pct) for n in names} for m in draws
        ]  # fmt: skip
        positives = int(np.nansum(inp.y_rd[inp.rd & mask]))
        for base in baselines:
            for metric, ours_v in point[ours].items():
                diffs = np.array([b[ours][metric] - b[base][metric] for b in boot], float)
                lo, hi = (
                    (float(np.nanpercentile(diffs, 2.5)), float(np.nanpercentile(diffs, 97.5)))
                    if np.isfinite(diffs).any()
                    else (np.nan, np.nan)
                )
                diff = ours_v - point[base][metric]
                rows.append(
                    {
                        "slice_by": "all" if label == "all" else by,
                        "slice": label,
                        "n_random_draw": int((inp.rd & mask).sum()),
                        "positives_random_draw": positives,
                        "large": label == "all" or positives >= large_min_positives,
                        "baseline": base,
                        "metric": metric,
                        ours: ours_v,
                        "baseline_value": point[base][metric],
                        "diff": diff,
                        "diff_lo": lo,
                        "diff_hi": hi,
                        "beats": bool(np.isfinite(lo) and lo > 0),
                    }
                )
    return Comparison(pd.DataFrame(rows), ours, large_min_positives)
