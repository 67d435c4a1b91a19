"""ISO 8601 → naive CST: the Python parser (manifests) and the SQL expression (rows) agree."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.ingest.timeparse import cst_timestamp_sql, parse_iso_to_cst


def sql_parse(text: str) -> dt.datetime | None:
    row = duckdb.connect().execute(f"SELECT {cst_timestamp_sql('$1')}", [text]).fetchone()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T02:00:00+08:00", dt.datetime(2024, 5, 1, 2)),
        ("2024-05-01T02:00:00Z", dt.datetime(2024, 5, 1, 10)),
        ("2024-05-01 02:00:00", dt.datetime(2024, 5, 1, 2)),
        ("2024-05-01", dt.datetime(2024, 5, 1)),
        ("2024-04-30T21:30-0500", dt.datetime(2024, 5, 1, 10, 30)),
        ("2024-05-01T02:00:00.250+09", dt.datetime(2024, 5, 1, 1, 0, 0, 250000)),
        ("2024-02-30", None),
        ("2024-05-01T24:00:00", dt.datetime(2024, 5, 2)),  # ISO 8601 end of day
        ("2024-05-01T24:30:00", None),
        ("01/05/2024", None),
        ("", None),
    ],
)
def test_iso_times_become_naive_china_standard_time(
    text: str, expected: dt.datetime | None
) -> None:
    assert parse_iso_to_cst(text) == expected
    assert sql_parse(text) == expected


@settings(max_examples=60, deadline=None)
@given(
    when=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2040, 1, 1)).map(
        lambda d: d.replace(microsecond=0)
    ),
    offset_min=st.integers(-12 * 60, 14 * 60).map(lambda m: m - m % 15),
    sep=st.sampled_from(["T", " "]),
)
def test_any_offset_lands_on_the_same_instant(when: dt.datetime, offset_min: int, sep: str) -> None:
    tz = dt.timezone(dt.timedelta(minutes=offset_min))
    text = when.replace(tzinfo=tz).isoformat(sep=sep)
    expected = (when - dt.timedelta(minutes=offset_min)) + dt.timedelta(hours=8)
    assert parse_iso_to_cst(text) == expected
    assert sql_parse(text) == expected
