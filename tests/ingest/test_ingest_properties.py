"""Invariants of ingest, checked on generated deliveries (hypothesis):
- whatever order deliveries are ingested in, every record's current version is the one from
  the latest delivered_at, and the store's content is the same;
- ingesting everything again changes nothing;
- every injected dirty row ends in quarantine with the expected reason, flagged rows are
  accepted with their flag, and no clean row is lost (counts reconcile exactly)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ingest.conftest import query
from tests.ingest.factories import (
    FORMATS,
    DeliverySpec,
    Dirt,
    clean_row,
    inject,
    make_uscc,
    write_delivery,
)

from riskwarn.config import Settings, get_settings
from riskwarn.contract.schema import FEEDS
from riskwarn.ingest import ingest
from riskwarn.store.schema import version_table

FEEDS_USED = ("entities", "complaints", "penalties", "blacklist")
DIRT_KINDS = (
    "invalid_uscc",
    "normalised_id",
    "missing_required",
    "invalid_enum",
    "future_date",
    "invalid_date",
)
_SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _settings(tmp: Path) -> Settings:
    return get_settings(tmp / "home").model_copy(update={"threads": 2, "memory_limit": "1GB"})


def make_deliveries(seed: int, n_deliveries: int, dirt_rate: float) -> list[DeliverySpec]:
    """Monthly deliveries re-sending overlapping keys with changed content, some rows dirty."""
    rng = random.Random(seed)
    ids = [make_uscc(rng, rng.choice(["610103", "610403", "610802"])) for _ in range(8)]
    out = []
    for k in range(n_deliveries):
        at = dt.datetime(2024, 1 + k, 1, 2, 0)
        rows: dict[str, list] = {}
        dirt: list[Dirt] = []
        formats = {f: rng.choice(FORMATS) for f in FEEDS_USED}
        spec = DeliverySpec(f"d{k}", at, rows, formats=formats, dirt=dirt)
        for feed in FEEDS_USED:
            fs = FEEDS[feed]
            keys = (
                rng.sample(ids, 5)
                if feed == "entities"
                else [f"{feed[0]}{i}" for i in rng.sample(range(12), 6)]
            )
            feed_rows = [
                clean_row(fs, rng, key, at.date() - dt.timedelta(days=3), ids) for key in keys
            ]
            for i in range(len(feed_rows)):
                if rng.random() < dirt_rate:
                    code, col = inject(feed_rows, fs, rng, rng.choice(DIRT_KINDS), i)
                    dirt.append(Dirt(feed, spec.file_name(feed), i + 1, code, col))
            rows[feed] = feed_rows
        out.append(spec)
    return out


def snapshot(s: Settings) -> dict[str, list]:
    """Everything in the store that does not depend on when or in which order it was ingested."""
    sqls = {
        "quarantine": "SELECT * EXCLUDE (quarantined_at) FROM quarantine",
        # rows_replaced counts what a delivery superseded when it came, so it depends on order
        "deliveries": "SELECT * EXCLUDE (ingested_at, delivery_seq, folder, rows_replaced) FROM deliveries",
        "delivery_files": "SELECT * FROM delivery_files",
        "entity_names": "SELECT * FROM entity_names",
    }
    for feed in FEEDS:
        sqls[feed] = f"SELECT * EXCLUDE (delivery_seq) FROM {feed}"
        sqls["v_" + feed] = f"SELECT * EXCLUDE (delivery_seq) FROM {version_table(feed)}"
    con = duckdb.connect(str(s.store_path), read_only=True)
    try:
        return {name: con.execute(sql + " ORDER BY ALL").fetchall() for name, sql in sqls.items()}
    finally:
        con.close()


@_SETTINGS
@given(seed=st.integers(0, 10**6), n=st.integers(2, 3), data=st.data())
def test_any_ingest_order_gives_the_latest_version_and_the_same_store(
    tmp_path_factory, seed, n, data
) -> None:
    deliveries = make_deliveries(seed, n, dirt_rate=0.1)
    order = data.draw(st.permutations(range(n)))
    tmp = tmp_path_factory.mktemp("order")
    folders = [write_delivery(tmp / "in", d) for d in deliveries]
    s_sorted, s_perm = _settings(tmp / "a"), _settings(tmp / "b")
    ingest(folders, s_sorted, progress=False)
    for i in order:
        ingest([folders[i]], s_perm, progress=False)
    assert snapshot(s_perm) == snapshot(s_sorted)
    # the current version of every key comes from the latest delivery that accepted it
    for feed in FEEDS_USED:
        key = FEEDS[feed].key
        expected = dict(
            query(s_sorted, f"SELECT {key}, max(delivered_at) FROM v_{feed} GROUP BY 1")
        )
        current = dict(query(s_perm, f"SELECT {key}, delivered_at FROM {feed}"))
        assert current == expected
    # and ingesting everything again changes nothing
    before = snapshot(s_perm)
    reports = ingest(folders, s_perm, progress=False)
    assert {r.status for r in reports} == {"already_ingested"}
    assert snapshot(s_perm) == before


@_SETTINGS
@given(seed=st.integers(0, 10**6))
def test_every_dirty_row_is_quarantined_and_no_clean_row_is_lost(tmp_path_factory, seed) -> None:
    deliveries = make_deliveries(seed, 2, dirt_rate=0.25)
    tmp = tmp_path_factory.mktemp("dirt")
    s = _settings(tmp)
    reports = ingest([write_delivery(tmp / "in", d) for d in deliveries], s, progress=False)
    quarantined = {
        (d, f, ln): codes
        for d, f, ln, codes in query(
            s, "SELECT delivery_id, source_file, source_line, reason_codes FROM quarantine"
        )
    }
    accepted = {}
    for feed in FEEDS_USED:
        for d, f, ln, flags in query(
            s, f"SELECT delivery_id, source_file, source_line, flags FROM {version_table(feed)}"
        ):
            accepted[(d, f, ln)] = flags
    for spec, report in zip(deliveries, reports, strict=True):
        dirty = {(spec.delivery_id, x.file, x.line): x for x in spec.dirt}
        for x in spec.dirt:
            where = (spec.delivery_id, x.file, x.line)
            if x.expected in ("normalised_id", "accepted"):
                assert where in accepted and (
                    x.expected == "accepted" or x.expected in accepted[where]
                )
            else:
                assert x.expected in quarantined.get(where, []), (x, quarantined.get(where))
        for feed, rows in spec.rows.items():
            for i in range(1, len(rows) + 1):
                where = (spec.delivery_id, spec.file_name(feed), i)
                if where not in dirty:
                    assert where in accepted, where
        rejected = sum(1 for x in spec.dirt if x.expected not in ("normalised_id", "accepted"))
        total = sum(len(r) for r in spec.rows.values())
        assert report.rows_read == total
        assert report.rows_rejected == rejected
        assert report.rows_accepted == total - rejected
