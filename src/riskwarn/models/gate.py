"""The promotion gate: when a challenger may become champion, with every reason recorded."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from riskwarn.models.config import ModelConfig
from riskwarn.models.evaluate import Evaluation

__all__ = ["GateDecision", "gate_against_baselines", "gate_against_champion", "primary_metric"]


@dataclass
class GateDecision:
    """Whether to promote, the metric compared, and why not (empty when promoted)."""

    promote: bool
    metric: str
    challenger: float
    reference: dict[str, float] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def summary(self) -> str:
        if self.promote:
            refs = ", ".join(f"{k} {v:.4f}" for k, v in self.reference.items())
            return f"promoted: {self.metric} {self.challenger:.4f} beats {refs}"
        return "kept as challenger: " + "; ".join(self.reasons)


def primary_metric(ev: Evaluation, config: ModelConfig) -> str:
    """The configured primary metric, or auc_labelled when random draws are too few to judge."""
    name = str(config.get("gate", "primary_metric"))
    min_rd = int(config.get("labels", "min_random_draw_rows"))
    if name.endswith("_random_draw") and (
        ev.metrics.get("n_random_draw", 0) < min_rd or not np.isfinite(ev.metrics.get(name, np.nan))
    ):
        return name.replace("_random_draw", "_labelled")
    return name


def _ece_reason(ev: Evaluation, config: ModelConfig) -> str | None:
    bound = float(config.get("gate", "ece_bound"))
    min_rd = int(config.get("labels", "min_random_draw_rows"))
    key = "ece_random_draw" if ev.metrics.get("n_random_draw", 0) >= min_rd else "ece_labelled"
    ece = ev.metrics.get(key, np.nan)
    if not np.isfinite(ece) or ece > bound:
        return f"{key} {ece:.4f} exceeds the bound {bound:.4f}"
    return None


def gate_against_baselines(
    challenger: Evaluation, baselines: dict[str, Evaluation], config: ModelConfig
) -> GateDecision:
    """First model: must beat every baseline's primary metric by the baseline margin, calibrated."""
    metric = primary_metric(challenger, config)
    margin = float(config.get("gate", "baseline_margin"))
    ours = challenger.metrics[metric]
    refs = {name: ev.metrics.get(metric, np.nan) for name, ev in baselines.items()}
    reasons = [
        f"{metric} {ours:.4f} does not beat {name} {ref:.4f} by {margin:.4f}"
        for name, ref in refs.items()
        if not (np.isfinite(ours) and ours > ref + margin)
    ]
    if (ece := _ece_reason(challenger, config)) is not None:
        reasons.append(ece)
    return GateDecision(not reasons, metric, float(ours), refs, reasons)


def _slice_regressions(ours: pd.DataFrame, theirs: pd.DataFrame, config: ModelConfig) -> list[str]:
    min_n = int(config.get("gate", "large_slice_min_count"))
    margin = float(config.get("gate", "slice_margin"))
    if ours.empty or theirs.empty:
        return []
    joined = ours.merge(theirs, on=["slice_by", "slice"], suffixes=("", "_champion"))
    out = []
    for row in joined.itertuples():
        if row.n_labelled < min_n:
            continue
        if np.isfinite(row.auc_labelled) and np.isfinite(row.auc_labelled_champion):
            drop = row.auc_labelled_champion - row.auc_labelled
            if drop > margin:
                out.append(
                    f"slice {row.slice_by}={row.slice} (n={row.n_labelled}) auc_labelled "
                    f"{row.auc_labelled:.4f} is {drop:.4f} below the champion's"
                )
    return out


def gate_against_champion(
    challenger: Evaluation, champion: Evaluation, config: ModelConfig
) -> GateDecision:
    """On the same held-out rows: beat the champion's primary metric by the margin, stay
    calibrated, and let no large slice get worse beyond the slice margin."""
    metric = primary_metric(challenger, config)
    margin = float(config.get("gate", "margin"))
    ours = challenger.metrics[metric]
    ref = champion.metrics.get(metric, np.nan)
    reasons = []
    if not (np.isfinite(ours) and ours >= ref + margin):
        reasons.append(
            f"{metric} {ours:.4f} does not beat the champion's {ref:.4f} by {margin:.4f}"
        )
    if (ece := _ece_reason(challenger, config)) is not None:
        reasons.append(ece)
    reasons += _slice_regressions(challenger.slices, champion.slices, config)
    return GateDecision(not reasons, metric, float(ours), {"champion": float(ref)}, reasons)
