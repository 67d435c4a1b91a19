"""The guarded registry on a real MLflow store in a temp folder: the gate, manual promote and
rollback with who/why, and the served champion scoring exactly like the in-process model."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pytest
from model_factories import ToyCatalog, fast_config, toy_features

from riskwarn.config import get_settings
from riskwarn.errors import ModelError
from riskwarn.models.registry import (
    MODEL_NAME,
    champion_uri,
    configure_mlflow,
    list_versions,
    log_training_run,
    promote,
    rollback,
    show_version,
)
from riskwarn.models.splits import monthly_cohorts, temporal_splits
from riskwarn.models.train import assemble_frame, fit_and_evaluate
from riskwarn.scoring.batch import score_subjects, write_scores

CUTOFF = dt.date(2024, 5, 1)
# the toy province is small: judge on all inspections, keep the ECE bound loose, and let the
# first model in regardless of baselines so the champion-vs-challenger rules are what is tested
CFG = fast_config(
    labels={"horizon_days": 60, "min_random_draw_rows": 100_000},
    gate={"baseline_margin": -1.0, "ece_bound": 1.0, "large_slice_min_count": 10**9},
)


@pytest.fixture(scope="module")
def trained(province: Path):  # type: ignore[no-untyped-def]
    """A real model and a worse one (trained on shuffled labels), on the same split."""
    con = duckdb.connect(str(province), read_only=True)
    cohorts = monthly_cohorts(dt.date(2023, 1, 1), CUTOFF)
    split = temporal_splits(cohorts, 60, CUTOFF, valid_cohorts=2, test_cohorts=1)[-1]
    frame = assemble_frame(con, ToyCatalog(), split, toy_features)
    con.close()
    good = fit_and_evaluate(frame, split, ToyCatalog(), CFG)
    shuffled = frame.copy()
    train = shuffled["role"] != "test"
    shuffled.loc[train, "label"] = (
        shuffled.loc[train, "label"].sample(frac=1, random_state=1).to_numpy()
    )
    worse = fit_and_evaluate(shuffled, split, ToyCatalog(), CFG)
    assert (
        good.evaluations["lightgbm"].metrics["auc_labelled"]
        > worse.evaluations["lightgbm"].metrics["auc_labelled"] + 0.05
    )
    return good, worse


def _aliases(settings) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    table = list_versions(settings)
    return {
        v: set(filter(None, a.split(",")))
        for v, a in zip(table["version"], table["aliases"], strict=True)
    }


def test_gate_promotes_better_keeps_worse_and_rollback_restores(trained, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    good, worse = trained
    settings = get_settings(tmp_path / "home")
    first = log_training_run(worse, settings, CFG, plots=False, cards_dir=tmp_path / "cards")
    assert first.decision.promote and _aliases(settings)[1] == {"champion", "challenger"}

    better = log_training_run(good, settings, CFG, plots=True, cards_dir=tmp_path / "cards")
    assert better.decision.promote, better.decision.summary
    assert _aliases(settings)[2] == {"champion", "challenger"}
    assert _aliases(settings)[1] == set()

    again = log_training_run(worse, settings, CFG, plots=False)
    assert not again.decision.promote
    aliases = _aliases(settings)
    assert aliases[2] == {"champion"} and aliases[3] == {"challenger"}
    shown = show_version(settings, "3")
    assert shown["tags"]["gate_decision"] == "challenger"
    assert "does not beat the champion" in shown["tags"]["gate_reason"]

    assert rollback(settings, who="张三", why="v2 误报过多") == "1"
    assert "champion" in _aliases(settings)[1]
    v1, v2 = show_version(settings, "1"), show_version(settings, "2")
    assert v1["tags"]["rollback_by"] == "张三" and v2["tags"]["rolled_back_reason"] == "v2 误报过多"
    assert v1["alias_log"][-1] | {"at": None} == {
        "action": "rollback",
        "version": "1",
        "from": "2",
        "who": "张三",
        "why": "v2 误报过多",
        "at": None,
    }

    promote(settings, "2", who="李四", why="复核后恢复")
    assert "champion" in _aliases(settings)[2]
    assert show_version(settings, "2")["tags"]["promote_by"] == "李四"
    with pytest.raises(ModelError, match="--who"):
        promote(settings, "3", who=" ", why="x")

    card = (tmp_path / "cards" / f"{MODEL_NAME}-v2.md").read_text(encoding="utf-8")
    assert "数据窗口 / Data window" in card and "promoted" in card
    client = configure_mlflow(settings)
    artifacts = {a.path for a in client.list_artifacts(better.run_id, "plots")}
    assert {"plots/roc.png", "plots/calibration.png", "plots/shap_summary.png"} <= artifacts


def test_served_champion_scores_exactly_like_the_in_process_model(
    trained, province: Path, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    import mlflow

    good, _ = trained
    settings = get_settings(tmp_path / "home")
    log_training_run(good, settings, CFG, plots=False)
    configure_mlflow(settings)
    served = mlflow.pyfunc.load_model(champion_uri())
    features = good.test_frame[good.model.pipeline.columns]
    np.testing.assert_array_equal(served.predict(features), good.model.predict_proba(features))
    np.testing.assert_array_equal(
        good.model.predict_proba(good.test_frame), good.test_frame["score_lightgbm"]
    )

    con = duckdb.connect(str(province), read_only=True)
    as_of = good.split.test[0]
    scores = score_subjects(con, settings, as_of, catalog=ToyCatalog(), feature_fn=toy_features)
    con.close()
    expected = good.test_frame.set_index("entity_id")["score_lightgbm"]
    np.testing.assert_array_equal(
        scores["score"].to_numpy(), expected.loc[scores["entity_id"]].to_numpy()
    )
    assert (scores["model_version"] == "1").all() and scores["score"].is_monotonic_decreasing
    out = write_scores(scores, tmp_path / "scores.parquet")
    assert out.exists()
    with pytest.raises(ModelError, match=r"\.csv or \.parquet"):
        write_scores(scores, tmp_path / "scores.xlsx")

    stale = ToyCatalog(version="toy-v2")
    con = duckdb.connect(str(province), read_only=True)
    with pytest.raises(ModelError, match="retrain"):
        score_subjects(con, settings, as_of, catalog=stale, feature_fn=toy_features)
    con.close()
