"""update_text_scores fills text_scores once per stored version, on a real DuckDB file."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from riskwarn.errors import StoreError
from riskwarn.features.text import scorer_version, update_text_scores
from riskwarn.features.text.scores import has_pending_texts
from riskwarn.store.schema import create_schema
from riskwarn.store.text_scores import create_text_scores

T0 = dt.datetime(2024, 5, 1, 2, 0)


_COMPLAINT_COLUMNS = (
    "record_id, entity_id, entity_name, received_at, channel, category, text, substantiated, "
    "department, delivery_id, delivered_at, known_at, delivery_seq, source_file, source_line, "
    "flags, extra, linked_entity_id, link_method"
)
_POST_COLUMNS = (
    "record_id, entity_id, entity_name, published_at, source, title, text, reach, "
    "delivery_id, delivered_at, known_at, delivery_seq, source_file, source_line, "
    "flags, extra, linked_entity_id, link_method"
)
INSERT_COMPLAINT = (
    f"INSERT INTO v_complaints ({_COMPLAINT_COLUMNS}) VALUES ({', '.join(['?'] * 19)})"
)
INSERT_POST = f"INSERT INTO v_sentiment ({_POST_COLUMNS}) VALUES ({', '.join(['?'] * 18)})"


def _complaint(record_id: str, delivery: str, text: str | None, line: int) -> tuple:
    return (
        record_id, None, "某饭店", T0, "hotline_12345", "食品安全", text, None, "SAMR",
        delivery, T0, T0, 1, "complaints.csv", line, None, None, None, "unknown_name",
    )  # fmt: skip


def _post(record_id: str, delivery: str, title: str | None, text: str, line: int) -> tuple:
    return (
        record_id, None, "某公司", T0, "weibo", title, text, 100,
        delivery, T0, T0, 1, "sentiment.jsonl", line, None, None, None, "unknown_name",
    )  # fmt: skip


@pytest.fixture
def store(tmp_path):
    con = duckdb.connect(str(tmp_path / "riskwarn.duckdb"))
    create_schema(con)
    con.executemany(
        INSERT_COMPLAINT,
        [
            _complaint("C1", "2024-04", "饭店卖变质食品，吃完拉肚子", 1),
            _complaint("C2", "2024-04", "下载APP领取红包 http://t.cn/abc 加微信abc12345", 2),
            _complaint("C3", "2024-04", None, 3),
        ],
    )
    con.executemany(
        INSERT_POST,
        [
            _post("S1", "2024-04", "曝光", "某公司拖欠工资，工人讨薪无门", 1),
            _post("S2", "2024-04", None, "新店开业，环境不错，服务热情", 2),
        ],
    )
    yield con
    con.close()


def _rows(con):
    return con.execute(
        "SELECT feed, record_id, delivery_id, is_spam, negativity, risk_topics, scorer_version "
        "FROM text_scores ORDER BY feed, record_id, delivery_id"
    ).fetchall()


def test_update_scores_every_version_once_and_is_idempotent(model, store):
    assert update_text_scores(store, progress=False) == 5
    first = _rows(store)
    assert update_text_scores(store, progress=False) == 0
    assert _rows(store) == first
    by_id = {r[1]: r for r in first}
    assert by_id["C1"][4] > 0.5 and by_id["C1"][5] == ["food_safety"]
    assert by_id["C2"][3] is True and by_id["C2"][4] == 0.0 and by_id["C2"][5] == []
    assert by_id["C3"][4] is None  # no text: no evidence either way
    assert by_id["S1"][5] == ["wage_arrears"] and by_id["S1"][4] > 0.5
    assert by_id["S2"][4] < 0.5
    assert {r[6] for r in first} == {scorer_version()}


def test_a_later_version_of_a_record_is_scored_as_its_own_row(model, store):
    update_text_scores(store, progress=False)
    store.execute(
        INSERT_COMPLAINT,
        _complaint("C1", "2024-05", "经核实不属实，商家已整改到位", 1),
    )
    assert update_text_scores(store, progress=False) == 1
    versions = store.execute(
        "SELECT delivery_id, negativity FROM text_scores WHERE record_id = 'C1' ORDER BY 1"
    ).fetchall()
    assert [v[0] for v in versions] == ["2024-04", "2024-05"]
    assert versions[1][1] < versions[0][1]
    joined = store.execute(
        "SELECT count(*) FROM v_complaints v JOIN text_scores s ON s.feed = 'complaints' "
        "AND s.record_id = v.record_id AND s.delivery_id = v.delivery_id"
    ).fetchall()[0][0]
    assert joined == 4


def test_stale_scores_are_rescored_only_when_asked(model, store):
    update_text_scores(store, progress=False)
    store.execute("UPDATE text_scores SET scorer_version = 'old' WHERE record_id = 'C1'")
    assert update_text_scores(store, progress=False) == 0
    assert update_text_scores(store, progress=False, rescore_stale=True) == 1
    assert {r[6] for r in _rows(store)} == {scorer_version()}


def test_small_batches_give_the_same_rows(model, store, tmp_path):
    update_text_scores(store, progress=False, batch_size=2)
    small = _rows(store)
    store.execute("DELETE FROM text_scores")
    update_text_scores(store, progress=False)
    assert _rows(store) == small


def test_a_store_without_feed_tables_is_refused(tmp_path):
    con = duckdb.connect(str(tmp_path / "empty.duckdb"))
    create_text_scores(con)
    with pytest.raises(StoreError, match="v_complaints"):
        update_text_scores(con, progress=False)


def test_pending_texts_are_seen_until_scored_also_on_a_read_only_connection(model, store, tmp_path):
    assert has_pending_texts(store)  # versions, and no text_scores table yet
    update_text_scores(store, progress=False)
    assert not has_pending_texts(store)
    store.execute(INSERT_POST, _post("S1", "2024-05", None, "工资已补发", 1))
    assert has_pending_texts(store)  # a later delivery's version of a scored record
    assert update_text_scores(store, progress=False) == 1
    store.execute(INSERT_COMPLAINT, _complaint("C4", "2024-04", "又是变质食品", 4))
    store.close()
    read_only = duckdb.connect(str(tmp_path / "riskwarn.duckdb"), read_only=True)
    try:  # a new record in a delivery already scored, seen without opening for writing
        assert has_pending_texts(read_only)
    finally:
        read_only.close()
