"""Training on the toy province: rolling origins, sample weights, truth comparisons, card."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from model_factories import ToyCatalog, fast_config, toy_features

from riskwarn.errors import ModelError
from riskwarn.models.card import model_card
from riskwarn.models.config import load_model_config
from riskwarn.models.gate import GateDecision
from riskwarn.models.train import train_models, training_weights

CFG = fast_config(splits={"folds": 2, "max_train_cohorts": 6})


def test_training_with_truth_reports_oracles_ceiling_and_earlier_origins(province: Path) -> None:
    con = duckdb.connect(str(province), read_only=True)
    result = train_models(
        con,
        CFG,
        catalog=ToyCatalog(),
        feature_fn=toy_features,
        label_cutoff=dt.date(2024, 5, 1),
        truth_dir=province.parent / "truth",
    )
    con.close()
    ours = result.evaluations["lightgbm"].metrics
    oracle = result.evaluations["oracle_future"].metrics
    assert oracle["capture_at_10pct_truth"] >= ours["capture_at_10pct_truth"]
    assert (
        oracle["capture_at_10pct_truth"]
        >= result.evaluations["ceiling"].metrics["capture_at_10pct_truth"]
    )
    assert 0 < result.comparisons["ratio_capture_at_10pct_truth_to_oracle_future"] <= 1
    linear = result.evaluations["linear_ceiling"].metrics["capture_at_10pct_truth"]
    assert oracle["capture_at_10pct_truth"] >= linear > 0.10
    assert np.isclose(
        result.comparisons["nonlinear_headroom_capture_at_10pct_truth"],
        result.evaluations["ceiling"].metrics["capture_at_10pct_truth"] - linear,
    )
    assert ours["capture_at_10pct_truth"] > 0.10  # better than inspecting at random
    assert len(result.folds) == 1 and result.folds[0]["test"] < result.split.describe()["test"]
    pooled, single = result.pooled_baselines.table, result.baselines.table
    overall = lambda t: int(t.loc[t["slice"] == "all", "positives_random_draw"].iloc[0])  # noqa: E731
    assert overall(pooled) > overall(single)  # the earlier origin adds its own inspections
    card = model_card(result, "7", GateDecision(False, "auc_labelled", 0.6, {}, ["test"]))
    assert (
        "滚动起点 / Earlier rolling origins" in card
        and "ratio_capture_at_10pct_truth_to_ceiling" in card
        and "Paired comparison pooled over the rolling origins" in card
    )
    assert result.model.catalog_version == "toy-v1"


def test_ipw_weights_reweight_only_random_draws_and_are_clipped() -> None:
    frame = pd.DataFrame(
        {"any_random_draw": [True, True, False, True], "draw_probability": [0.5, 0.01, np.nan, 0.1]}
    )
    w = training_weights(frame, "ipw", clip=20.0)
    inv = np.array([2.0, 100.0, 10.0])
    np.testing.assert_allclose(w[[0, 1, 3]], inv / inv.mean())
    assert w[2] == 1.0
    clipped = training_weights(frame, "ipw", clip=1.5)
    assert clipped[1] == clipped.max() and clipped[1] < w[1]
    assert clipped[[0, 1, 3]].mean() == pytest.approx(1.0)
    np.testing.assert_array_equal(training_weights(frame, "none", 20.0), np.ones(4))
    with pytest.raises(ModelError, match="training.ipw"):
        training_weights(frame, "sometimes", 20.0)


def test_too_short_history_names_the_fix(province: Path) -> None:
    con = duckdb.connect(str(province), read_only=True)
    with pytest.raises(ModelError, match="horizon_days"):
        train_models(
            con,
            load_model_config(),
            catalog=ToyCatalog(),
            feature_fn=toy_features,
            label_cutoff=dt.date(2024, 5, 1),
        )
    con.close()
