"""The simulation's months and deliveries: which delivery carries an event, and when it arrived."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

__all__ = ["Calendar", "HISTORY_MONTHS"]

HISTORY_MONTHS = 12  # months before `start` simulated and delivered as one backfill


@dataclass(frozen=True)
class Calendar:
    """H history months then M monthly deliveries; month t starts at day `starts[t]` (epoch days).

    Delivery 0 is the backfill (events of history months), delivered at `start` 02:00 CST;
    delivery d ≥ 1 carries month H+d-1 and arrives on the 1st of the next month ~02:00 CST.
    """

    start: dt.date
    months: int
    history: int = HISTORY_MONTHS

    @property
    def total(self) -> int:
        return self.history + self.months

    def month_date(self, t: int) -> dt.date:
        """First day of month index t (t = 0 is the first history month)."""
        k = self.start.year * 12 + self.start.month - 1 - self.history + t
        return dt.date(k // 12, k % 12 + 1, 1)

    @property
    def starts(self) -> np.ndarray:
        """Epoch days of the first day of months 0..T (T+1 entries)."""
        return np.array(
            [(self.month_date(t) - dt.date(1970, 1, 1)).days for t in range(self.total + 1)]
        )

    @property
    def months_of_year(self) -> np.ndarray:
        return np.array([self.month_date(t).month for t in range(self.total)])

    def delivery_of(self, month: np.ndarray, lag: np.ndarray | int = 0) -> np.ndarray:
        """Delivery index carrying an event of month index `month` reported `lag` months late."""
        return np.maximum(0, np.asarray(month) + lag - self.history + 1)

    def delivery_name(self, d: int) -> str:
        if d == 0:
            return f"backfill-{self.month_date(self.history - 1):%Y-%m}"
        return f"{self.month_date(self.history + d - 1):%Y-%m}"

    def delivered_at(self, d: int) -> dt.datetime:
        """Naive CST time the delivery arrived (backfill: `start` 02:00)."""
        day = self.month_date(self.history + d)
        minute = (d * 7) % 20
        return dt.datetime(day.year, day.month, day.day, 2, minute)

    def delivered_day(self, d: np.ndarray) -> np.ndarray:
        """Epoch day of each delivery index's arrival."""
        return self.starts[self.history + np.asarray(d)]
