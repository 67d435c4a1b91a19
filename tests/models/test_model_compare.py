"""The paired comparison with the baselines: its AUC is sklearn's, and it claims a win only
when the difference is beyond the bootstrap noise."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from riskwarn.models.compare import compare_scorers, weighted_auc


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 1), st.integers(0, 5), st.floats(0.1, 5.0)),
        min_size=2,
        max_size=60,
    )
)
def test_weighted_auc_equals_sklearn_with_ties_and_weights(
    rows: list[tuple[int, int, float]],
) -> None:
    y = np.array([r[0] for r in rows], float)
    p = np.array([r[1] for r in rows], float) / 5  # few distinct scores: many ties
    w = np.array([r[2] for r in rows], float)
    ours = weighted_auc(y, p, w)
    if 0 < y.sum() < len(y):
        assert np.isclose(ours, roc_auc_score(y, p, sample_weight=w))
    else:
        assert np.isnan(ours)


def _test_frame(n: int, seed: int) -> pd.DataFrame:
    """One cohort of subjects in two cities: truth risk, a random draw of a fifth of them."""
    rng = np.random.default_rng(seed)
    risk = rng.beta(1, 6, n)
    drawn = rng.random(n) < 0.2
    label = np.where(drawn, (rng.random(n) < risk).astype(float), np.nan)
    return pd.DataFrame(
        {
            "entity_id": [f"E{i:06d}" for i in range(n)],
            "as_of": dt.date(2024, 6, 30),
            "slice_city": np.where(rng.random(n) < 0.7, "610100", "610300"),
            "any_random_draw": drawn,
            "random_draw_label": label,
            "draw_probability": 0.2,
            "p_future": risk,
            "score_good": risk + rng.normal(0, 0.02, n),
            "score_noisy": risk + rng.normal(0, 0.3, n),
        }
    )


def test_a_clearly_better_scorer_beats_overall_and_in_large_regions() -> None:
    frame = _test_frame(20_000, seed=1)
    cmp = compare_scorers(frame, "good", ["noisy"], 0.10, n_boot=100, large_min_positives=50)
    overall = cmp.table[cmp.table["slice"] == "all"].set_index("metric")
    for metric in ("auc_random_draw", "capture_at_10pct_random_draw", "capture_at_10pct_truth"):
        assert overall.loc[metric, "diff"] > 0
        assert overall.loc[metric, "diff_lo"] > 0, metric
    assert set(cmp.table["slice"]) == {"all", "610100", "610300"}
    assert cmp.verdicts() == {"noisy": True}
    assert cmp.flat()["vs_noisy.beats_everywhere"] == 1.0


def test_the_same_scorer_twice_is_never_called_better() -> None:
    frame = _test_frame(5_000, seed=2)
    frame["score_copy"] = frame["score_noisy"]
    cmp = compare_scorers(frame, "noisy", ["copy"], 0.10, n_boot=50)
    assert (cmp.table["diff"] == 0).all()
    assert not cmp.table["beats"].any()
    assert cmp.verdicts() == {"copy": False}


def test_small_regions_are_reported_but_not_judged() -> None:
    frame = _test_frame(3_000, seed=3)
    cmp = compare_scorers(frame, "good", ["noisy"], 0.10, n_boot=30, large_min_positives=10_000)
    regions = cmp.table[cmp.table["slice"] != "all"]
    assert len(regions) > 0 and not regions["large"].any()
    assert cmp.table[cmp.table["slice"] == "all"]["large"].all()
