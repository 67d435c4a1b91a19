"""Monthly as-of cohorts and rolling-origin temporal splits that never leak across time.

Rule: every label window used to train or select a model closes on or before the
first as-of date of the test period, so a subject's later snapshot can never train a
model that is tested on its earlier one (and no test outcome is ever seen in training).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from riskwarn.errors import ModelError

__all__ = ["Split", "month_end", "monthly_cohorts", "temporal_splits"]


@dataclass(frozen=True)
class Split:
    """One rolling origin: cohorts to train on, to validate (early stopping, calibration) and test."""

    train: tuple[dt.date, ...]
    valid: tuple[dt.date, ...]
    test: tuple[dt.date, ...]
    horizon_days: int
    label_cutoff: dt.date

    @property
    def all_cohorts(self) -> tuple[dt.date, ...]:
        return tuple(sorted({*self.train, *self.valid, *self.test}))

    def describe(self) -> dict[str, str]:
        """Data window, as strings for logging."""
        return {
            "train": f"{self.train[0]}..{self.train[-1]} ({len(self.train)} cohorts)",
            "valid": f"{self.valid[0]}..{self.valid[-1]} ({len(self.valid)} cohorts)",
            "test": f"{self.test[0]}..{self.test[-1]} ({len(self.test)} cohorts)",
            "horizon_days": str(self.horizon_days),
            "label_cutoff": str(self.label_cutoff),
        }


def month_end(day: dt.date) -> dt.date:
    """Last day of `day`'s month."""
    nxt = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return nxt - dt.timedelta(days=1)


def monthly_cohorts(start: dt.date, end: dt.date) -> list[dt.date]:
    """Month-end as-of dates d with start <= d <= end."""
    out: list[dt.date] = []
    d = month_end(start)
    while d <= end:
        out.append(d)
        d = month_end(d + dt.timedelta(days=1))
    return out


def _closes_by(cohort: dt.date, horizon: dt.timedelta, day: dt.date) -> bool:
    return cohort + horizon <= day


def temporal_splits(
    cohorts: Sequence[dt.date],
    horizon_days: int,
    label_cutoff: dt.date,
    *,
    valid_cohorts: int = 2,
    test_cohorts: int = 1,
    folds: int = 1,
    max_train_cohorts: int | None = None,
    disjoint: bool = False,
) -> list[Split]:
    """Rolling-origin splits, oldest origin first; the last one is the most recent.

    Test cohorts are the latest whose label windows have closed by `label_cutoff`;
    validation cohorts' windows close by the first test cohort; training cohorts'
    windows close by the first validation cohort. Earlier origins step back by
    `test_cohorts`; with `disjoint` they step back until their test cohorts' label
    windows close by the later origin's first test cohort, so no two origins share an
    inspection (consecutive monthly cohorts with a 180-day horizon share most of them).
    """
    if horizon_days <= 0 or valid_cohorts < 1 or test_cohorts < 1 or folds < 1:
        raise ModelError(
            "temporal_splits: horizon_days, valid_cohorts, test_cohorts and folds must be ≥ 1, got "
            f"{horizon_days}, {valid_cohorts}, {test_cohorts}, {folds}"
        )
    h = dt.timedelta(days=horizon_days)
    ordered = sorted(set(cohorts))
    closed = [c for c in ordered if _closes_by(c, h, label_cutoff)]
    splits: list[Split] = []
    end = len(closed)
    for _fold in range(folds):
        test = closed[max(end - test_cohorts, 0) : end]
        if len(test) < test_cohorts:
            break
        valid = [c for c in ordered if _closes_by(c, h, test[0])][-valid_cohorts:]
        if len(valid) < valid_cohorts:
            break
        train = [c for c in ordered if _closes_by(c, h, valid[0])]
        if max_train_cohorts:
            train = train[-max_train_cohorts:]
        if not train:
            break
        splits.append(Split(tuple(train), tuple(valid), tuple(test), horizon_days, label_cutoff))
        end = sum(_closes_by(c, h, test[0]) for c in closed) if disjoint else end - test_cohorts
    if not splits:
        span = f"{ordered[0]}..{ordered[-1]}" if ordered else "none"
        raise ModelError(
            f"not enough history for a temporal split: cohorts {span}, horizon {horizon_days} days, "
            f"label cutoff {label_cutoff}; need {valid_cohorts} validation and {test_cohorts} test "
            "cohorts whose windows close in order, plus at least one training cohort before them "
            "(shorten labels.horizon_days or supply more months)"
        )
    return splits[::-1]
