"""Probability calibration fitted on validation rows, so that a score of 0.3 means 30%."""

from __future__ import annotations

from typing import Literal

import numpy as np

from riskwarn.errors import ModelError

__all__ = ["Calibrator"]

TIE_BREAK = 1e-6  # far below any calibration error that matters

Method = Literal["isotonic", "platt"]


class Calibrator:
    """Monotone map from a raw model score to a probability (isotonic or Platt)."""

    def __init__(self, method: Method = "isotonic"):
        if method not in ("isotonic", "platt"):
            raise ModelError(f"calibration method must be 'isotonic' or 'platt', got {method!r}")
        self.method = method

    def fit(
        self, scores: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None
    ) -> Calibrator:
        """Fit on validation scores and 0/1 outcomes (optionally weighted, e.g. by 1/p)."""
        scores = np.asarray(scores, dtype=float)
        y = np.asarray(y, dtype=float)
        if len(scores) == 0 or len(np.unique(y)) < 2:
            raise ModelError(
                f"calibration needs validation rows with both outcomes; got {len(scores)} rows, "
                f"{int(y.sum()) if len(y) else 0} positives"
            )
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.model_.fit(scores, y, sample_weight=weight)
        else:
            from sklearn.linear_model import LogisticRegression

            self.model_ = LogisticRegression(C=1e6, max_iter=1000)
            self.model_.fit(scores.reshape(-1, 1), y, sample_weight=weight)
        return self

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        scores = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            # isotonic steps tie many subjects; a 1e-6 monotone nudge keeps the raw order
            nudge = 0.5 * (1.0 + scores / (1.0 + np.abs(scores)))
            return np.clip(self.model_.predict(scores) + TIE_BREAK * nudge, 0.0, 1.0)
        return self.model_.predict_proba(scores.reshape(-1, 1))[:, 1]
