"""Evaluation metrics mean what they say on cases small enough to check by hand."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.models.calibration import Calibrator
from riskwarn.models.evaluate import (
    capacity_metrics,
    evaluate_scores,
    expected_calibration_error,
    schedule_metric,
)


def _frame(n: int = 400, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    risk = rng.random(n)
    inspected = rng.random(n) < 0.5
    y = (rng.random(n) < risk).astype(float)
    rd = inspected & (rng.random(n) < 0.5)
    return pd.DataFrame(
        {
            "entity_id": [f"E{i}" for i in range(n)],
            "as_of": dt.date(2024, 1, 31),
            "score": risk,
            "label": pd.array(np.where(inspected, y, np.nan)).astype("Int8"),
            "any_random_draw": rd,
            "random_draw_label": pd.array(np.where(rd, y, np.nan)).astype("Int8"),
            "draw_probability": np.where(rd, 0.1, np.nan),
            "first_inspected_on": pd.to_datetime("2024-02-01")
            + pd.to_timedelta(rng.integers(0, 150, n), "D"),
            "serious_event": rng.random(n) < 0.05,
            "slice_city": rng.choice(["610100", "610300"], n),
        }
    )


@given(st.integers(0, 10_000))
@settings(max_examples=30, deadline=None)
def test_ece_is_small_for_calibrated_scores_and_large_for_shifted_ones(seed: int) -> None:
    rng = np.random.default_rng(seed)
    p = rng.random(20_000)
    y = (rng.random(20_000) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.03
    assert expected_calibration_error(y, np.clip(p + 0.3, 0, 1)) > 0.15


def test_capacity_metrics_on_a_hand_checked_case() -> None:
    y = np.array([1, 1, 0, 0, 1, 0, 0, 0], float)
    top = np.array([True, True, True, False, False, False, False, False])
    m = capacity_metrics(y, top)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(2 / 3)
    assert m["lift"] == pytest.approx((2 / 3) / (3 / 8))


def test_schedule_metric_rewards_finding_violations_early() -> None:
    days = pd.to_datetime(["2024-02-01", "2024-02-02", "2024-02-03", "2024-02-04"])
    frame = pd.DataFrame(
        {
            "as_of": dt.date(2024, 1, 31),
            "label": [0, 0, 0, 1],
            "first_inspected_on": days,
            "score": [0.1, 0.2, 0.3, 0.9],
        }
    )
    m = schedule_metric(frame, "score")
    assert m["first_half_actual"] == 0.0 and m["first_half_model"] == 1.0
    assert m["days_earlier"] == pytest.approx(3.0)


def test_a_perfect_ranking_beats_a_random_one_everywhere() -> None:
    frame = _frame()
    frame["noise"] = np.random.default_rng(1).random(len(frame))
    good = evaluate_scores(frame, "score", bootstrap=30, slice_min_count=10)
    bad = evaluate_scores(frame, "noise", bootstrap=0, slice_min_count=10)
    for key in (
        "auc_labelled",
        "auc_random_draw",
        "precision_at_10pct_labelled",
        "lift_at_10pct_random_draw",
    ):
        assert good.metrics[key] > bad.metrics[key], key
    lo, hi = good.intervals["auc_labelled"]
    assert lo <= good.metrics["auc_labelled"] <= hi
    assert set(good.slices["slice"]) == {"610100", "610300"}
    assert (good.slices["n_subjects"].sum()) == len(frame)


def test_slices_worse_than_overall_are_flagged() -> None:
    frame = _frame(2000)
    bad_city = frame["slice_city"] == "610300"
    frame.loc[bad_city, "score"] = np.random.default_rng(2).random(int(bad_city.sum()))
    ev = evaluate_scores(frame, "score", slice_min_count=50, slice_margin=0.05)
    flags = dict(zip(ev.slices["slice"], ev.slices["flagged_worse"], strict=True))
    assert flags == {"610100": False, "610300": True}


def test_isotonic_calibration_keeps_order_and_fixes_scale() -> None:
    rng = np.random.default_rng(3)
    p = rng.random(5000)
    y = (rng.random(5000) < p).astype(float)
    raw = p**3  # a miscalibrated but well-ordered score
    cal = Calibrator("isotonic").fit(raw, y)
    out = cal.transform(raw)
    assert expected_calibration_error(y, out) < expected_calibration_error(y, raw) / 3
    assert (np.diff(out[np.argsort(raw)]) >= 0).all()
    platt = Calibrator("platt").fit(raw, y).transform(raw)
    assert (np.diff(platt[np.argsort(raw)]) >= 0).all()


@given(
    scores=st.lists(st.floats(0, 1), min_size=1, max_size=60),
    cohorts=st.integers(1, 3),
    k=st.sampled_from([0.01, 0.05, 0.1, 0.5]),
)
@settings(max_examples=100, deadline=None)
def test_capacity_takes_the_top_share_of_each_cohort(
    scores: list[float], cohorts: int, k: float
) -> None:
    from riskwarn.models.evaluate import top_flags

    frame = pd.DataFrame({"score": scores, "as_of": [i % cohorts for i in range(len(scores))]})
    top = top_flags(frame, "score", k)
    for _, g in frame.assign(top=top).groupby("as_of"):
        assert g["top"].sum() == int(np.ceil(k * len(g)))
        if g["top"].any() and (~g["top"]).any():
            assert g.loc[g["top"], "score"].min() >= g.loc[~g["top"], "score"].max()
