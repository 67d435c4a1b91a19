"""Point-in-time event rows: every record version as known at each as-of date, as Ibis.

One pass serves many as-of dates: each version gets its validity interval
[known_at, the smallest known_at among versions that would replace it), so the
version known at cutoff C is the one with known_at < C <= valid_to (store/pit.py
convention: cutoff = as_of + 1 day; later delivered_at wins). The as-of table is
tiny, so joining it to the versions costs one scan per feed, not one per date.

Subjects are keyed by `_sid`, a dense INTEGER given once per build by `subject_index`
(in entity_id order), so every later GROUP BY and join runs on (as_of_day, _sid)
integers instead of (DATE, VARCHAR); entity_id itself is carried only by the subjects.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import ibis
import ibis.expr.types as ir

from riskwarn.contract.schema import feed as feed_spec
from riskwarn.features.catalog import TEXT_FEEDS, TEXT_SCORE_COLUMNS
from riskwarn.features.engines import Engine
from riskwarn.features.expressions import KEYS, day_number
from riskwarn.store.schema import version_table

__all__ = [
    "TEXT_SCORES_TABLE",
    "event_rows",
    "prepared_versions",
    "registry_rows",
    "registry_versions",
    "subject_index",
    "versions_with_validity",
]


TEXT_SCORES_TABLE = "text_scores"
# the registry columns builders read (attributes, peer-group keys, status)
_REGISTRY_COLUMNS = (
    "entity_id",
    "name",
    "entity_type",
    "region_code",
    "industry_code",
    "established_on",
    "registered_capital_wan",
    "status",
    "tags",
)
_TEXT_SCORE_TYPES = {"is_spam": "boolean", "negativity": "float64", "risk_topics": "array<string>"}


def subject_index(engine: Engine, entity_ids: Sequence[str] | None = None) -> ir.Table:
    """entity_id → _sid: a dense INTEGER per registered subject, in entity_id order.

    Materialise it once per build. Ordering by entity_id means sorting rows by
    (as_of_day, _sid) sorts them by (as_of, entity_id) too. With `entity_ids`, only those.
    """
    v = engine.table(version_table("entities"))
    ids = v.select("entity_id").distinct()
    if entity_ids is not None:
        ids = ids.filter(ids.entity_id.isin(list(entity_ids)))
    return ids.mutate(_sid=ibis.row_number().over(order_by=ids.entity_id).cast("int32"))


def versions_with_validity(engine: Engine, feed: str, only: ir.Table | None = None) -> ir.Table:
    """Every version of `feed` with `_valid_to`: when a replacing version becomes known.

    `only` (a table of record keys) keeps just those records' versions, all of them,
    before the window, so a narrowed build sees the same validity intervals.

    Most records have one version (`_valid_to` NULL), so the window runs only over the
    versions of records with several, narrowed to the version's identity (record key and
    delivery: ingest rejects a key twice in one delivery, and text_scores is keyed the
    same way) and joined back; a window over every version would carry all its columns.
    """
    v = engine.table(version_table(feed))
    key = feed_spec(feed).key
    if only is not None:
        v = v.filter(v[key].isin(only[key]))
    return _join_validity(v, _validity_of_corrected(v, key), key)


def _validity_of_corrected(v: ir.Table, key: str) -> ir.Table:
    """(_vk, _vd, _valid_to) of the versions of records that have more than one version."""
    counts = v.group_by(key).aggregate(_n=v.count())
    m = v.filter(v[key].isin(counts.filter(counts._n > 1)[key]))
    w = ibis.window(
        group_by=m[key], order_by=[m.delivered_at, m.delivery_seq, m.source_line], rows=(1, None)
    )
    return m.select(_vk=m[key], _vd=m.delivery_id, _valid_to=m.known_at.min().over(w))


def _join_validity(v: ir.Table, validity: ir.Table, key: str) -> ir.Table:
    """`v` with `_valid_to` from `validity` (NULL for versions it lacks: never replaced)."""
    j = v.left_join(validity, [v[key] == validity._vk, v.delivery_id == validity._vd])
    return j.drop("_vk", "_vd")


def _known_at(v: ir.Table, as_of: ir.Table) -> ir.Table:
    """Join versions to as-of dates, keeping the version known at each cutoff."""
    preds = [
        v.known_at < as_of.cutoff,
        v._valid_to.isnull() | (as_of.cutoff <= v._valid_to),
    ]
    return v.join(as_of, preds)


def registry_versions(engine: Engine, index: ir.Table) -> ir.Table:
    """Every registry version of the indexed subjects, with `_sid` and `_valid_to`.

    Materialise it once per build; `registry_rows` picks the version known at each date.
    """
    v = versions_with_validity(engine, "entities", index)
    return v.join(index, "entity_id").select("_sid", "known_at", "_valid_to", *_REGISTRY_COLUMNS)


def registry_rows(versions: ir.Table, as_of: ir.Table) -> ir.Table:
    """The registry version (from `registry_versions`) known at each as-of date (any status)."""
    j = _known_at(versions, as_of)
    return j.select("as_of", "as_of_day", "_sid", *_REGISTRY_COLUMNS)


def _with_text_scores(engine: Engine, feed: str, v: ir.Table) -> ir.Table:
    """Join text scores (spam flag, negativity, topics) to complaint/sentiment versions."""
    if engine.has_table(TEXT_SCORES_TABLE):
        s = engine.table(TEXT_SCORES_TABLE)
        s = s.filter(s.feed == feed).select(
            _ts_record_id=s.record_id,
            _ts_delivery_id=s.delivery_id,
            **{c: s[c] for c in TEXT_SCORE_COLUMNS},
        )
        j = v.left_join(s, [v.record_id == s._ts_record_id, v.delivery_id == s._ts_delivery_id])
        return j.drop("_ts_record_id", "_ts_delivery_id")
    return v.mutate(**{c: ibis.null(t) for c, t in _TEXT_SCORE_TYPES.items()})


def _records_of(engine: Engine, feed: str, entity_ids: Sequence[str]) -> ir.Table:
    """Record keys of `feed` that any version links to one of `entity_ids`."""
    v = engine.table(version_table(feed))
    who = v.linked_entity_id if feed in TEXT_FEEDS else v.entity_id
    key = feed_spec(feed).key
    return v.filter(who.isin(list(entity_ids))).select(key).distinct()


def prepared_versions(
    engine: Engine,
    feed: str,
    columns: Iterable[str],
    index: ir.Table,
    last_cutoff: Any = None,
    entity_ids: Sequence[str] | None = None,
) -> ir.Table:
    """The versions of `feed` that some as-of date can see, narrowed to what builders read.

    Columns: _sid (from `index`; NULL for subjects it lacks), known_at, _valid_to,
    _event_day (days since 1970-01-01) and `columns` (record_id only when asked for);
    text feeds add _unlinked (no linked_entity_id). Versions replaced before they became
    known are dropped, and so is anything known only after `last_cutoff`. With
    `entity_ids`, only records some version of which names one of them (every version
    of such a record is kept, so validity is unchanged). Materialise it once per build
    and pass it to `event_rows` for every step.
    """
    spec = feed_spec(feed)
    only = _records_of(engine, feed, entity_ids) if entity_ids is not None else None
    v = versions_with_validity(engine, feed, only)
    if feed in TEXT_FEEDS:
        v = _with_text_scores(engine, feed, v)
        v = v.drop("entity_id").rename(entity_id="linked_entity_id")
    wanted = [c for c in dict.fromkeys(columns) if c not in ("entity_id", "_sid")]
    cond = v._valid_to.isnull() | (v._valid_to > v.known_at)
    if last_cutoff is not None:
        cond = cond & (v.known_at < last_cutoff)
    v = v.filter(cond)
    extra = {"_unlinked": v.entity_id.isnull()} if feed in TEXT_FEEDS else {}
    j = v.left_join(index, v.entity_id == index.entity_id)
    return j.select(
        "_sid", "known_at", "_valid_to", *wanted,
        _event_day=day_number(j[spec.event_column]), **extra,
    )  # fmt: skip


def event_rows(
    prepared: ir.Table,
    as_of: ir.Table,
    columns: Iterable[str],
    max_days: int | None,
    linked_only: bool = True,
) -> ir.Table:
    """(as_of_day, _sid, d, columns…) for events known at each as-of date.

    `prepared` comes from `prepared_versions`. d is the event's age in days
    (as_of_day − event day) and is always >= 0: events after the as-of date are
    dropped; with `linked_only`, so are events of no indexed subject (complaints/posts
    not linked to a subject, or naming one the registry lacks).
    """
    j = _known_at(prepared, as_of)
    wanted = [c for c in dict.fromkeys(columns) if c not in ("entity_id", "_sid")]
    rows = j.select(*KEYS, *wanted, d=j.as_of_day - j._event_day)
    cond = rows.d >= 0
    if linked_only:
        cond = cond & rows._sid.notnull()
    if max_days is not None:
        cond = cond & (rows.d < max_days)
    return rows.filter(cond)
