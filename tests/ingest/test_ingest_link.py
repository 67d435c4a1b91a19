"""Name linking of complaints and posts without an entity_id: unique normalised-name matches link,
ambiguous and unknown names stay unlinked but counted, and ingestion order does not matter."""

from __future__ import annotations

import datetime as dt
import random

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.ingest.conftest import query
from tests.ingest.factories import DeliverySpec, clean_row, make_uscc, write_delivery

from riskwarn.contract.schema import FEEDS
from riskwarn.ingest import ingest
from riskwarn.ingest.link import install_name_key, normalise_name


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("西安市某某餐饮有限公司", "西安市 某某餐饮有限公司"),
        ("陕西（西安）某某公司", "陕西(西安)某某公司"),
        ("陕西【西安】某某公司", "陕西[西安]某某公司"),
        ("ＡＢＣ超市", "abc超市"),
        ("某某公司。", "某某公司"),
    ],
)
def test_names_that_differ_only_in_form_share_a_key(a: str, b: str) -> None:
    assert normalise_name(a) == normalise_name(b)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("西安某（）() 【】[]ＡＢａb12１２,，.。-_\u3000公司"),
            max_size=12,
        ),
        max_size=20,
    )
)
def test_sql_name_key_agrees_with_python(names: list[str]) -> None:
    con = duckdb.connect()
    install_name_key(con)
    got = [
        r[0]
        for r in con.execute(
            "SELECT rw_name_key(n) FROM unnest(?::VARCHAR[]) WITH ORDINALITY t(n, i) ORDER BY i",
            [names],
        ).fetchall()
    ]
    assert got == [normalise_name(n) for n in names]


def _deliveries() -> tuple[list[DeliverySpec], tuple[str, str, str]]:
    rng = random.Random(5)
    a, b, c = (make_uscc(rng) for _ in range(3))
    day = dt.date(2024, 1, 20)
    ents = [clean_row(FEEDS["entities"], rng, i, day, [i]) for i in (a, b, c)]
    ents[0]["name"] = "西安甲餐饮有限公司"
    ents[1]["name"] = "西安乙商贸（有限）公司"
    ents[2]["name"] = "西安乙商贸(有限)公司"  # same key as b: ambiguous
    complaints = []
    for rid, eid, name in [
        ("c1", None, "西安 甲餐饮有限公司"),
        ("c2", None, "西安乙商贸有限公司"),
        ("c3", None, "不存在的公司"),
        ("c4", None, None),
        ("c5", a, "随便"),
    ]:
        row = clean_row(FEEDS["complaints"], rng, rid, day, [a])
        row.update(entity_id=eid, entity_name=name)
        complaints.append(row)
    # the complaints arrive a month before the registry that names their subjects
    return [
        DeliverySpec("m1", dt.datetime(2024, 2, 1, 2), {"complaints": complaints}),
        DeliverySpec("m2", dt.datetime(2024, 3, 1, 2), {"entities": ents}),
    ], (a, b, c)


@pytest.mark.parametrize("reverse", [False, True])
def test_names_link_whatever_the_order_of_deliveries(tmp_path, settings, reverse: bool) -> None:
    specs, (a, _, _) = _deliveries()
    folders = [write_delivery(tmp_path / "in", d) for d in specs]
    for f in reversed(folders) if reverse else folders:
        ingest([f], settings, progress=False)
    got = query(
        settings, "SELECT record_id, linked_entity_id, link_method FROM complaints ORDER BY 1"
    )
    assert got == [
        ("c1", a, "name"),
        ("c2", None, "ambiguous_name"),
        ("c3", None, "unknown_name"),
        ("c4", None, "no_name"),
        ("c5", a, "id"),
    ]


def test_a_renamed_subject_is_relinked(tmp_path, settings) -> None:
    specs, (a, _, _) = _deliveries()
    rename = clean_row(FEEDS["entities"], random.Random(1), a, dt.date(2024, 3, 10), [a])
    rename["name"] = "西安丙火锅店"
    specs.append(DeliverySpec("m3", dt.datetime(2024, 4, 1, 2), {"entities": [rename]}))
    ingest([write_delivery(tmp_path / "in", d) for d in specs], settings, progress=False)
    got = query(
        settings, "SELECT linked_entity_id, link_method FROM complaints WHERE record_id = 'c1'"
    )
    assert got == [(None, "unknown_name")]


def test_keys_left_pending_by_an_interrupted_run_are_relinked_by_the_next(
    tmp_path, settings
) -> None:
    specs, (a, _, _) = _deliveries()
    folders = [write_delivery(tmp_path / "in", d) for d in specs]
    ingest(folders, settings, progress=False)
    assert query(settings, "SELECT count(*) FROM relink_pending") == [(0,)]
    # what a run killed after a delivery's COMMIT and before its final re-link leaves behind
    con = duckdb.connect(str(settings.store_path))
    key = con.execute("SELECT name_key FROM complaints WHERE record_id = 'c1'").fetchone()[0]
    con.execute(
        "UPDATE v_complaints SET linked_entity_id = NULL, link_method = 'unknown_name' "
        "WHERE record_id = 'c1'"
    )
    con.execute("INSERT INTO relink_pending VALUES (?)", [key])
    con.close()
    reports = ingest(folders, settings, progress=False)  # nothing new to ingest
    assert {r.status for r in reports} == {"already_ingested"}
    got = query(
        settings, "SELECT linked_entity_id, link_method FROM complaints WHERE record_id = 'c1'"
    )
    assert got == [(a, "name")]
    assert query(settings, "SELECT count(*) FROM relink_pending") == [(0,)]
