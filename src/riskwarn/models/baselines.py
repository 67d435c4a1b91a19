"""Two honest baselines trained on the same splits: the catalog's rule scorecard and a logistic regression."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskwarn.models.pipeline import FeaturePipeline

__all__ = ["RuleScorecard", "logistic_pipeline"]


class RuleScorecard:
    """Score = Σ weight × hit over the catalog's directional indicators.

    A hit is the indicator crossing its catalog threshold in its risky direction; an
    indicator without a threshold contributes its training percentile in that direction.
    Nothing is learnt from labels: this is the rule book supervisors already use.
    """

    def __init__(self, catalog: Any):
        self.rules = [
            (i.id, float(i.weight), int(i.direction), i.threshold)
            for i in catalog.indicators
            if i.kind != "categorical" and int(i.direction) != 0 and float(i.weight) != 0.0
        ]

    def fit(self, frame: pd.DataFrame) -> RuleScorecard:
        """Store training percentiles for indicators that have no threshold."""
        self.quantiles_: dict[str, np.ndarray] = {}
        for col, _w, _d, thr in self.rules:
            if thr is None:
                values = pd.to_numeric(frame[col], errors="coerce").dropna().to_numpy(float)
                grid = np.linspace(0, 1, 101)
                self.quantiles_[col] = np.quantile(values, grid) if len(values) else np.zeros(101)
        return self

    def score(self, frame: pd.DataFrame) -> np.ndarray:
        """Raw scorecard points per row (higher = riskier); missing values score nothing."""
        total = np.zeros(len(frame))
        for col, weight, direction, thr in self.rules:
            x = pd.to_numeric(frame[col], errors="coerce").to_numpy(float)
            if thr is not None:
                hit = (x >= float(thr)) if direction > 0 else (x <= float(thr))
                part = hit.astype(float)
            else:
                q = self.quantiles_[col]
                pct = np.searchsorted(q, x, side="right") / len(q)
                part = pct if direction > 0 else 1.0 - pct
            total += weight * np.where(np.isnan(x), 0.0, part)
        return total


def logistic_pipeline(pipeline: FeaturePipeline, seed: int = 0) -> Any:
    """scikit-learn pipeline: signed log, median imputation with missing flags, scaling,
    one-hot categoricals, L2 logistic regression."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    numeric = make_pipeline(
        FunctionTransformer(_signed_log1p, feature_names_out="one-to-one"),
        SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True),
        StandardScaler(),
    )
    categorical = make_pipeline(
        SimpleImputer(strategy="constant", fill_value="__missing__"),
        OneHotEncoder(handle_unknown="ignore", min_frequency=20),
    )
    transformers: list[tuple[str, Any, list[str]]] = []
    if pipeline.numeric:
        transformers.append(("num", numeric, pipeline.numeric))
    if pipeline.categorical:
        transformers.append(("cat", categorical, pipeline.categorical))
    return Pipeline(
        [
            ("columns", ColumnTransformer(transformers)),
            ("lr", LogisticRegression(C=1.0, max_iter=2000, random_state=seed)),
        ]
    )


def _signed_log1p(x: Any) -> Any:
    arr = np.asarray(x, dtype=float)
    return np.sign(arr) * np.log1p(np.abs(arr))
