"""The fitted feature pipeline that travels with a model: columns, category codes, catalog version.

Serving runs the same `transform` the model was trained with, so a category unseen in
training becomes missing rather than a new code, and a missing column is an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from riskwarn.errors import ModelError

__all__ = ["FeaturePipeline"]

MAX_CATEGORIES = 200  # rarer categories are folded into "missing"


class FeaturePipeline:
    """Select catalog columns in catalog order, coerce numerics, fix categorical levels.

    `fit` learns each categorical column's levels from training rows; `transform` returns
    float64 numerics and pandas categoricals with exactly those levels.
    """

    def __init__(self, numeric: Sequence[str], categorical: Sequence[str], catalog_version: str):
        self.numeric = list(numeric)
        self.categorical = list(categorical)
        self.catalog_version = catalog_version

    @classmethod
    def from_catalog(cls, catalog: Any) -> FeaturePipeline:
        """One column per indicator of the catalog, split by the indicator's kind."""
        numeric = [i.id for i in catalog.indicators if i.kind != "categorical"]
        categorical = [i.id for i in catalog.indicators if i.kind == "categorical"]
        return cls(numeric, categorical, str(catalog.version))

    @property
    def columns(self) -> list[str]:
        return self.numeric + self.categorical

    def _check(self, frame: pd.DataFrame) -> None:
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise ModelError(
                f"feature frame lacks {len(missing)} column(s) the model was trained with "
                f"(catalog {self.catalog_version}): {', '.join(missing[:10])}"
            )

    def fit(self, frame: pd.DataFrame) -> FeaturePipeline:
        """Learn categorical levels (most frequent first, at most MAX_CATEGORIES) from `frame`."""
        self._check(frame)
        self.categories_: dict[str, list[str]] = {}
        for col in self.categorical:
            counts = frame[col].dropna().astype(str).value_counts()
            self.categories_[col] = sorted(counts.index[:MAX_CATEGORIES].tolist())
        return self

    def transform(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Model inputs for `frame`: numerics as float64, categoricals with the fitted levels."""
        if not hasattr(self, "categories_"):
            raise ModelError("FeaturePipeline.transform called before fit")
        self._check(frame)
        out: dict[str, Any] = {}
        for col in self.numeric:
            values = pd.to_numeric(frame[col], errors="coerce")
            out[col] = values.astype("float64").to_numpy(na_value=np.nan)
        for col in self.categorical:
            levels = self.categories_[col]
            as_str = frame[col].astype("string").astype(object).where(frame[col].notna(), None)
            known = as_str.where(as_str.isin(levels), None)  # unseen levels become missing
            out[col] = pd.Categorical(known, categories=levels)
        return pd.DataFrame(out, index=frame.index)[self.columns]

    def input_example(self, frame: pd.DataFrame, rows: int = 5) -> pd.DataFrame:
        """The raw columns serving must send (numerics as float, categoricals as str)."""
        sample = frame[self.columns].head(rows).copy()
        for col in self.numeric:
            sample[col] = pd.to_numeric(sample[col], errors="coerce").astype("float64")
        for col in self.categorical:
            sample[col] = sample[col].astype(object).where(sample[col].notna(), None)
        return sample
