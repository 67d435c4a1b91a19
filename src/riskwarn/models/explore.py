"""Exploration helpers for notebooks: how each indicator relates to the label."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

__all__ = ["indicator_signal"]


def indicator_signal(frame: pd.DataFrame, catalog: Any, label: str = "label") -> pd.DataFrame:
    """Per indicator: labels (zh/en), missing share, and the AUC of the raw value against
    `label` on labelled rows (0.5 = no signal; < 0.5 = riskier when lower), largest effect first."""
    from sklearn.metrics import roc_auc_score

    rows = frame[frame[label].notna()]
    y = rows[label].astype(float).to_numpy()
    out = []
    for ind in catalog.indicators:
        if ind.id not in frame.columns:
            continue
        col = frame[ind.id]
        auc = np.nan
        if ind.kind != "categorical" and 0 < y.sum() < len(y):
            x = pd.to_numeric(rows[ind.id], errors="coerce").to_numpy(float)
            if np.isfinite(x).any():
                auc = roc_auc_score(
                    y, np.nan_to_num(x, nan=np.nanmin(x) - 1 if np.isfinite(x).any() else 0)
                )
        out.append(
            {
                "indicator": ind.id,
                "指标": ind.label_zh,
                "label_en": ind.label_en,
                "family": ind.family,
                "direction": ind.direction,
                "missing_share": float(col.isna().mean()),
                "auc_vs_label": auc,
                "direction_agrees": bool(
                    ind.direction == 0 or np.isnan(auc) or (auc - 0.5) * ind.direction >= 0
                ),
            }
        )
    table = pd.DataFrame(out)
    order = (table["auc_vs_label"] - 0.5).abs().fillna(-1).sort_values(ascending=False).index
    return table.loc[order].reset_index(drop=True)
