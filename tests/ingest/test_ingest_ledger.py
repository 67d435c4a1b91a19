"""The delivery ledger: re-ingesting is a no-op, changed content under a known id is refused,
folders of deliveries go in delivered_at order, a folder without manifest is named after itself."""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest
from tests.ingest.conftest import query
from tests.ingest.factories import DeliverySpec, clean_row, make_uscc, write_delivery

from riskwarn.contract.schema import FEEDS
from riskwarn.errors import DeliveryError
from riskwarn.ingest import ingest


def _delivery(rng: random.Random, delivery_id: str, at: dt.datetime, n: int = 20) -> DeliverySpec:
    ids = [make_uscc(rng) for _ in range(5)]
    rows = {
        "entities": [clean_row(FEEDS["entities"], rng, i, at.date(), ids) for i in ids],
        "penalties": [
            clean_row(FEEDS["penalties"], rng, f"p{k}", at.date(), ids) for k in range(n)
        ],
    }
    return DeliverySpec(delivery_id, at, rows, formats={"penalties": "jsonl"})


def test_ingesting_the_same_delivery_twice_changes_nothing(tmp_path, settings) -> None:
    folder = write_delivery(
        tmp_path / "in", _delivery(random.Random(1), "d1", dt.datetime(2024, 5, 1, 2))
    )
    [first] = ingest([folder], settings, progress=False)
    before = query(settings, "SELECT * FROM v_penalties ORDER BY ALL") + query(
        settings, "SELECT * FROM deliveries ORDER BY ALL"
    )
    [again] = ingest([folder], settings, progress=False)
    assert first.status == "ingested" and again.status == "already_ingested"
    assert again.rows_accepted == first.rows_accepted == 25
    after = query(settings, "SELECT * FROM v_penalties ORDER BY ALL") + query(
        settings, "SELECT * FROM deliveries ORDER BY ALL"
    )
    assert after == before


def test_same_delivery_id_with_different_content_names_the_files(tmp_path, settings) -> None:
    spec = _delivery(random.Random(1), "d1", dt.datetime(2024, 5, 1, 2))
    folder = write_delivery(tmp_path / "a", spec)
    ingest([folder], settings, progress=False)
    with open(folder / spec.file_name("penalties"), "a", encoding="utf-8") as fh:
        fh.write(json.dumps({"record_id": "late"}) + "\n")
    (folder / "judgments_new.csv").write_text("record_id\nj1\n", encoding="utf-8")
    with pytest.raises(DeliveryError) as err:
        ingest([folder], settings, progress=False)
    msg = str(err.value)
    assert (
        "'d1'" in msg and "penalties_d1.jsonl (changed)" in msg and "judgments_new.csv (new)" in msg
    )
    assert query(settings, "SELECT count(*) FROM deliveries") == [(1,)]


def test_a_folder_of_deliveries_is_ingested_in_delivered_at_order(tmp_path, settings) -> None:
    rng = random.Random(2)
    root = tmp_path / "deliveries"
    # folder names sort the other way round from their delivery times
    write_delivery(root, _delivery(rng, "b-first", dt.datetime(2024, 1, 1, 2)))
    write_delivery(root, _delivery(rng, "a-second", dt.datetime(2024, 2, 1, 2)))
    reports = ingest([root], settings, progress=False)
    assert [r.delivery_id for r in reports] == ["b-first", "a-second"]
    assert query(settings, "SELECT delivery_id, delivery_seq FROM deliveries ORDER BY 2") == [
        ("b-first", 1),
        ("a-second", 2),
    ]


def test_a_delivery_without_manifest_is_named_after_its_folder_and_delivered_now(
    tmp_path, settings
) -> None:
    spec = _delivery(random.Random(3), "loose-2024-06", dt.datetime(2024, 5, 1, 2))
    spec.manifest = False
    folder = write_delivery(tmp_path, spec)
    [report] = ingest([folder], settings, progress=False)
    now_cst = dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=8)
    assert report.delivery_id == "loose-2024-06"
    assert abs((report.delivered_at - now_cst).total_seconds()) < 120


def test_a_folder_without_deliveries_is_a_clear_error(tmp_path, settings) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DeliveryError, match="holds no delivery"):
        ingest([tmp_path / "empty"], settings, progress=False)


def test_a_bad_manifest_is_a_clear_error(tmp_path, settings) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "manifest.json").write_text('{"delivery_id": "d", "delivered_at": "May 1st"}')
    with pytest.raises(DeliveryError, match="delivered_at 'May 1st' is not an ISO 8601 time"):
        ingest([folder], settings, progress=False)


def test_replaced_counts_keys_delivered_before_whether_in_the_same_run_or_an_earlier_one(
    tmp_path, settings
) -> None:
    """rows_replaced: keys a delivery repeats that an earlier-delivered version has, stored
    by an earlier run or by an earlier delivery of the same run (the same batch)."""
    rng = random.Random(5)
    first = _delivery(rng, "d1", dt.datetime(2024, 5, 1, 2), n=6)  # p0..p5
    second = _delivery(rng, "d2", dt.datetime(2024, 6, 1, 2), n=8)  # p0..p5 again, p6, p7 new
    third = _delivery(rng, "d3", dt.datetime(2024, 7, 1, 2), n=9)  # p6, p7 from d2, p8 new
    ingest([write_delivery(tmp_path / "a", first)], settings, progress=False)
    root = tmp_path / "later"
    for spec in (second, third):
        write_delivery(root, spec)
    reports = ingest([root], settings, progress=False)
    assert [(r.delivery_id, r.rows_replaced) for r in reports] == [("d2", 6), ("d3", 8)]
    rows = query(
        settings, "SELECT delivery_id, rows_replaced FROM deliveries ORDER BY delivered_at"
    )
    assert rows == [("d1", 0), ("d2", 6), ("d3", 8)]
