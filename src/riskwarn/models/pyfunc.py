"""The MLflow pyfunc wrapper: returns calibrated probabilities, never 0/1 labels.

Imports mlflow at module level, so only registry functions import this module.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel

from riskwarn.models.model import RiskModel

__all__ = ["RiskPyfunc", "model_signature", "pip_requirements"]


class RiskPyfunc(PythonModel):
    """Feature pipeline + booster + calibrator as one MLflow model."""

    def __init__(self, model: RiskModel):
        self.model = model

    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # MLflow reads hints
        """Calibrated probability of a violation per row of `model_input` (raw catalog columns)."""
        return self.model.predict_proba(pd.DataFrame(model_input))


def model_signature(model: RiskModel) -> Any:
    """Input: one column per catalog indicator (numeric = double, categorical = optional string);
    output: one double, the calibrated probability."""
    from mlflow.models import ModelSignature
    from mlflow.types import ColSpec, Schema, TensorSpec

    cols: list[ColSpec | TensorSpec] = [
        ColSpec("double", c, required=False) for c in model.pipeline.numeric
    ]
    cols += [ColSpec("string", c, required=False) for c in model.pipeline.categorical]
    out = Schema([TensorSpec(np.dtype("float64"), (-1,), "score")])
    return ModelSignature(inputs=Schema(cols), outputs=out)


def pip_requirements() -> list[str]:
    """Pinned requirements of the logged model (given explicitly: inference costs seconds)."""
    from importlib.metadata import version

    names = ("lightgbm", "scikit-learn", "pandas", "numpy", "cloudpickle", "mlflow")
    return [f"{n}=={version(n)}" for n in names]
