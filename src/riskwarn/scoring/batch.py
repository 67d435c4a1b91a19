"""`riskwarn score`: every active subject at an as-of date, scored by the champion.

Features are built point-in-time for that date with the catalog the model was trained
on; a different catalog version is refused rather than silently scored.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from riskwarn.config import Settings
from riskwarn.errors import ModelError

__all__ = ["score_frame", "score_subjects", "write_scores"]


def score_frame(model: Any, features: pd.DataFrame, version: str) -> pd.DataFrame:
    """entity_id, as_of, score (calibrated probability), model_version for a feature frame."""
    out = pd.DataFrame(
        {
            "entity_id": features["entity_id"].to_numpy(),
            "as_of": features["as_of"].to_numpy(),
            "score": model.predict_proba(features),
            "model_version": str(version),
        }
    )
    return out.sort_values(["score", "entity_id"], ascending=[False, True], ignore_index=True)


def score_subjects(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    as_of: dt.date,
    *,
    model_uri: str | None = None,
    catalog: Any = None,
    feature_fn: Any = None,
) -> pd.DataFrame:
    """Score every subject build_features returns for `as_of` (registered, not deregistered
    or revoked) with the champion (or `model_uri`), riskiest first."""
    from riskwarn.models.registry import load_model

    model, version = load_model(settings, model_uri)
    if catalog is None:
        from riskwarn.features.catalog import load_catalog

        catalog = load_catalog()
    if str(catalog.version) != model.catalog_version:
        raise ModelError(
            f"model v{version} was trained with catalog {model.catalog_version}, but the catalog "
            f"in use is {catalog.version}; retrain (riskwarn train) before scoring"
        )
    if feature_fn is None:
        from riskwarn.features.build import build_features

        features = build_features(con, [as_of], catalog)
    else:
        features = feature_fn(con, [as_of], catalog)
    return score_frame(model, features, version)


def write_scores(scores: pd.DataFrame, out: Path) -> Path:
    """Write scores as .csv (UTF-8) or .parquet, chosen by the file suffix."""
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix == ".csv":
        scores.to_csv(out, index=False, encoding="utf-8")
    elif out.suffix == ".parquet":
        scores.to_parquet(out, index=False)
    else:
        raise ModelError(f"--out {out}: the file must end in .csv or .parquet")
    return out
