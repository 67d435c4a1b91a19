"""ISO 8601 times to naive China Standard Time, in Python (manifests) and SQL (rows) alike.

Accepted: `YYYY-MM-DD`, `YYYY-MM-DD[T| ]hh:mm[:ss[.fff]]` with an optional offset `Z`,
`±hh`, `±hhmm` or `±hh:mm`. No offset means the time is already CST (UTC+08:00); `24:00:00` is the end of the day.
"""

from __future__ import annotations

import datetime as dt
import re

__all__ = ["ISO_TIME_REGEX", "cst_timestamp_sql", "parse_iso_to_cst"]

ISO_TIME_REGEX = (
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?))?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?"
)
_ISO = re.compile(ISO_TIME_REGEX)
_CST_MINUTES = 480


def _offset_minutes(offset: str | None) -> int:
    if not offset or offset in ("Z", "z"):
        return 0 if offset else _CST_MINUTES
    sign = -1 if offset[0] == "-" else 1
    digits = offset[1:].replace(":", "")
    return sign * (int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0))


def parse_iso_to_cst(text: str) -> dt.datetime | None:
    """Naive CST datetime for an ISO 8601 string, or None when it is not one."""
    m = _ISO.fullmatch(text.strip())
    if m is None:
        return None
    day, clock, offset = m.groups()
    clock = clock or "00:00:00"
    end_of_day = clock.startswith("24:") and not clock[3:].strip("0:.")  # ISO 8601 "24:00"
    try:
        local = dt.datetime.fromisoformat(f"{day}T{'00:00:00' if end_of_day else clock}")
    except ValueError:
        return None
    if end_of_day:
        local += dt.timedelta(days=1)
    return local + dt.timedelta(minutes=_CST_MINUTES - _offset_minutes(offset))


def cst_timestamp_sql(v: str) -> str:
    """SQL expression: the trimmed VARCHAR expression `v` as naive CST TIMESTAMP, NULL if not ISO 8601."""
    rx = f"'^{ISO_TIME_REGEX}$'"
    day = f"regexp_extract({v}, {rx}, 1)"
    clock = f"regexp_extract({v}, {rx}, 2)"
    off = f"regexp_extract({v}, {rx}, 3)"
    digits = f"replace(substr({off}, 2), ':', '')"
    off_min = (
        f"(CASE WHEN {off} = '' THEN {_CST_MINUTES} WHEN upper({off}) = 'Z' THEN 0 "
        f"ELSE (CASE WHEN left({off}, 1) = '-' THEN -1 ELSE 1 END) * "
        f"(CAST(substr({digits}, 1, 2) AS INTEGER) * 60 + "
        f"coalesce(TRY_CAST(nullif(substr({digits}, 3, 2), '') AS INTEGER), 0)) END)"
    )
    local = f"TRY_CAST({day} || ' ' || CASE WHEN {clock} = '' THEN '00:00:00' ELSE {clock} END AS TIMESTAMP)"
    # fast path for the common shapes: seconds precision, no offset or +08:00
    fast = r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\+08:00)?"
    return (
        f"(CASE WHEN regexp_full_match({v}, '{fast}') "
        f"THEN TRY_CAST(replace(left({v}, 19), 'T', ' ') AS TIMESTAMP) "
        f"WHEN regexp_full_match({v}, '{ISO_TIME_REGEX}') THEN "
        f"{local} + to_minutes(CAST({_CST_MINUTES} - {off_min} AS BIGINT)) END)"
    )
