"""Probability calibration fitted on validation rows, so that a score of 0.3 means 30%."""

from __future__ import annotations

from typing import Literal

import numpy as np

from riskwarn.errors import ModelError

__all__ = ["Calibrator"]

TIE_BREAK = 1e-6  # far below any calibration error that matters

Method = Literal["isotonic", "platt", "auto"]


class Calibrator:
    """Monotone map from a raw model score to a probability (isotonic or Platt).

    'auto' uses isotonic with at least `isotonic_min_rows` calibration rows and Platt below
    that: isotonic on a few hundred rows puts whole steps at 0 or 1, which no subject deserves.
    """

    def __init__(self, method: Method | str = "isotonic", isotonic_min_rows: int = 5000):
        if method not in ("isotonic", "platt", "auto"):
            raise ModelError(
                f"calibration method must be 'isotonic', 'platt' or 'auto', got {method!r}"
            )
        self.method = method
        self.isotonic_min_rows = isotonic_min_rows

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
        if self.method == "auto":
            self.method = "isotonic" if len(scores) >= self.isotonic_min_rows else "platt"
        if self.method == "isotonic":
            from sklearn.isotonic import IsotonicRegression

            self.model_ = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip")
            self.model_.fit(scores, y, sample_weight=weight)
        else:
            from sklearn.linear_model import LogisticRegression

            # probabilities are fitted on their log-odds, other scores as they are
            self.logit_ = bool(scores.min() >= 0.0 and scores.max() <= 1.0)
            self.model_ = LogisticRegression(C=1e6, max_iter=1000)
            self.model_.fit(self._platt_x(scores), y, sample_weight=weight)
        return self

    def _platt_x(self, scores: np.ndarray) -> np.ndarray:
        if self.logit_:
            s = np.clip(scores, 1e-6, 1 - 1e-6)
            return np.log(s / (1 - s)).reshape(-1, 1)
        return scores.reshape(-1, 1)

    def transform(self, scores: np.ndarray) -> np.ndarray:
        """Calibrated probabilities for raw scores."""
        scores = np.asarray(scores, dtype=float)
        if self.method == "isotonic":
            # isotonic steps tie many subjects; a 1e-6 monotone nudge keeps the raw order
            nudge = 0.5 * (1.0 + scores / (1.0 + np.abs(scores)))
            return np.clip(self.model_.predict(scores) + TIE_BREAK * nudge, 0.0, 1.0)
        return self.model_.predict_proba(self._platt_x(scores))[:, 1]
