"""Temporal splits never leak across time (property test) and refuse too little history."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.errors import ModelError
from riskwarn.models.splits import month_end, monthly_cohorts, temporal_splits


@given(
    start=st.dates(dt.date(2019, 1, 1), dt.date(2025, 12, 31)),
    months=st.integers(1, 48),
    horizon=st.integers(1, 400),
    cutoff_lag=st.integers(-60, 400),
    n_valid=st.integers(1, 4),
    n_test=st.integers(1, 4),
    folds=st.integers(1, 4),
    max_train=st.one_of(st.none(), st.integers(1, 24)),
    disjoint=st.booleans(),
)
@settings(max_examples=300, deadline=None)
def test_every_label_window_closes_before_the_cohorts_it_could_inform(
    start: dt.date,
    months: int,
    horizon: int,
    cutoff_lag: int,
    n_valid: int,
    n_test: int,
    folds: int,
    max_train: int | None,
    disjoint: bool,
) -> None:
    cohorts = monthly_cohorts(start, month_end(start) + dt.timedelta(days=31 * months))
    cutoff = cohorts[-1] + dt.timedelta(days=cutoff_lag)
    h = dt.timedelta(days=horizon)
    try:
        splits = temporal_splits(
            cohorts,
            horizon,
            cutoff,
            valid_cohorts=n_valid,
            test_cohorts=n_test,
            folds=folds,
            max_train_cohorts=max_train,
            disjoint=disjoint,
        )
    except ModelError:
        return
    assert 1 <= len(splits) <= folds
    for s in splits:
        assert s.train and len(s.valid) == n_valid and len(s.test) == n_test
        assert max(s.train) + h <= min(s.valid)  # training outcomes known before validation starts
        assert max(s.valid) + h <= min(s.test)  # nothing used for selection sees the test period
        assert max(s.test) + h <= cutoff  # test labels are final
        assert not set(s.train) & set(s.test) and not set(s.valid) & set(s.test)
        assert max_train is None or len(s.train) <= max_train
    tests = [s.test for s in splits]
    assert tests == sorted(tests)  # oldest origin first, most recent last
    for earlier, later in zip(tests, tests[1:], strict=False):
        assert max(earlier) < min(later)  # origins never share a test cohort
        assert not disjoint or max(earlier) + h <= min(later)  # nor, if disjoint, a label


def test_most_recent_split_for_three_years_of_monthly_cohorts() -> None:
    cohorts = monthly_cohorts(dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    split = temporal_splits(cohorts, 180, dt.date(2026, 1, 1), valid_cohorts=2, test_cohorts=1)[-1]
    assert split.test == (dt.date(2025, 6, 30),)
    assert split.valid == (dt.date(2024, 11, 30), dt.date(2024, 12, 31))
    assert split.train[-1] == dt.date(2024, 5, 31) and split.train[0] == dt.date(2023, 1, 31)


def test_too_little_history_is_a_clear_error() -> None:
    cohorts = monthly_cohorts(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    with pytest.raises(ModelError, match="shorten labels.horizon_days"):
        temporal_splits(cohorts, 180, dt.date(2024, 7, 1))


def test_monthly_cohorts_are_month_ends() -> None:
    assert monthly_cohorts(dt.date(2024, 1, 15), dt.date(2024, 3, 31)) == [
        dt.date(2024, 1, 31),
        dt.date(2024, 2, 29),
        dt.date(2024, 3, 31),
    ]


def test_disjoint_origins_step_back_a_whole_label_window() -> None:
    cohorts = monthly_cohorts(dt.date(2022, 1, 1), dt.date(2025, 12, 31))
    splits = temporal_splits(
        cohorts, 180, dt.date(2026, 1, 1), folds=3, max_train_cohorts=12, disjoint=True
    )
    assert [s.test for s in splits] == [
        (dt.date(2024, 6, 30),),
        (dt.date(2024, 12, 31),),
        (dt.date(2025, 6, 30),),
    ]
    consecutive = temporal_splits(cohorts, 180, dt.date(2026, 1, 1), folds=2)
    assert [s.test for s in consecutive] == [(dt.date(2025, 5, 31),), (dt.date(2025, 6, 30),)]
