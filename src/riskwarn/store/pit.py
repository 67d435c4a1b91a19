"""Point-in-time reads: the version of every record as it was known at an as-of date.

Convention (shared by features and labels): "as of date D" means everything the
platform knew by the end of day D, i.e. known_at < D + 1 day. Events are likewise
counted when their own event time is before D + 1 day.
"""

from __future__ import annotations

import datetime as dt

from riskwarn.contract.schema import feed as feed_spec
from riskwarn.store.schema import version_table

__all__ = ["as_of_cutoff", "known_versions_sql"]


def as_of_cutoff(as_of: dt.date) -> dt.datetime:
    """The exclusive upper bound on known_at and event time for as-of date `as_of`."""
    return dt.datetime.combine(as_of + dt.timedelta(days=1), dt.time())


def known_versions_sql(feed: str, cutoff_sql: str) -> str:
    """SQL selecting, per record key, the latest version with known_at < `cutoff_sql`.

    `cutoff_sql` is a SQL expression (a literal, or a column of a joined as-of table).
    """
    spec = feed_spec(feed)
    return (
        f"SELECT * FROM {version_table(feed)} WHERE known_at < {cutoff_sql} "
        f"QUALIFY row_number() OVER (PARTITION BY {spec.key} "
        "ORDER BY delivered_at DESC, delivery_seq DESC, source_line DESC) = 1"
    )
