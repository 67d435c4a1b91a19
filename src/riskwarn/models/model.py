"""The trained risk model as one object: feature pipeline + LightGBM booster + calibrator.

This is what MLflow stores (wrapped by models/pyfunc.py) and what scoring runs, so
the probability served is exactly the one evaluated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskwarn.models.calibration import Calibrator
from riskwarn.models.pipeline import FeaturePipeline

__all__ = ["RiskModel"]


class RiskModel:
    """Calibrated probability that an inspection in the next H days finds a violation."""

    def __init__(
        self,
        pipeline: FeaturePipeline,
        booster: Any,
        calibrator: Calibrator,
        meta: dict[str, str],
    ):
        self.pipeline = pipeline
        self.booster = booster
        self.calibrator = calibrator
        self.meta = dict(meta)

    @property
    def catalog_version(self) -> str:
        return self.pipeline.catalog_version

    def raw_scores(self, frame: pd.DataFrame) -> np.ndarray:
        """Uncalibrated booster output for a feature frame (catalog columns by id)."""
        if len(frame) == 0:
            return np.zeros(0)
        return np.asarray(self.booster.predict(self.pipeline.transform(frame)), dtype=float)

    def predict_proba(self, frame: pd.DataFrame) -> np.ndarray:
        """Calibrated probabilities, one per row of `frame`."""
        if len(frame) == 0:
            return np.zeros(0)
        return self.calibrator.transform(self.raw_scores(frame))

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["booster"] = self.booster.model_to_string()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        import lightgbm as lgb

        state = dict(state)
        state["booster"] = lgb.Booster(model_str=state["booster"])
        self.__dict__.update(state)
