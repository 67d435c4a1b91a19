"""Labels are point-in-time: an outcome counts only once the platform knew it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from riskwarn.errors import ModelError
from riskwarn.models.labels import LABEL_COLUMNS, LABELS, build_labels, describe_labels
from riskwarn.store.schema import create_schema

E1 = "91610100000000001X"
E2 = "92610100000000002X"


def _store(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(tmp_path / "s.duckdb"))
    create_schema(con)
    return con


def _inspection(
    con, record_id, entity, day, result, kind="random_draw", p=0.1, delivered=None, seq=1
):  # type: ignore[no-untyped-def]
    delivered = delivered or dt.datetime.combine(day + dt.timedelta(days=5), dt.time(2))
    con.execute(
        "INSERT INTO v_inspections BY NAME SELECT ? AS record_id, ? AS entity_id, ? AS inspected_on, "
        "'SAMR' AS department, 'M1' AS matter_code, ? AS inspection_type, ? AS draw_probability, "
        "? AS result, 'd' AS delivery_id, ? AS delivered_at, ? AS known_at, ? AS delivery_seq, "
        "'f.csv' AS source_file, 1 AS source_line",
        [
            record_id,
            entity,
            day,
            kind,
            p if kind == "random_draw" else None,
            result,
            delivered,
            delivered,
            seq,
        ],
    )


def _subjects(*pairs: tuple[str, dt.date]) -> pd.DataFrame:
    return pd.DataFrame({"entity_id": [e for e, _ in pairs], "as_of": [d for _, d in pairs]})


AS_OF = dt.date(2024, 1, 31)


def test_inspection_delivered_after_the_label_cutoff_is_not_a_label(tmp_path: Path) -> None:
    con = _store(tmp_path)
    _inspection(
        con, "a", E1, dt.date(2024, 2, 10), "violation", delivered=dt.datetime(2024, 6, 2, 2)
    )
    subjects = _subjects((E1, AS_OF))
    before = build_labels(con, subjects, 90, label_cutoff=dt.date(2024, 6, 1))
    after = build_labels(con, subjects, 90, label_cutoff=dt.date(2024, 6, 2))
    assert pd.isna(before.loc[0, "label"]) and not before.loc[0, "any_inspection"]
    assert after.loc[0, "label"] == 1 and after.loc[0, "any_random_draw"]


def test_a_correction_counts_only_from_its_own_delivery(tmp_path: Path) -> None:
    con = _store(tmp_path)
    day = dt.date(2024, 2, 10)
    _inspection(con, "a", E1, day, "compliant", delivered=dt.datetime(2024, 3, 1, 2), seq=1)
    _inspection(con, "a", E1, day, "violation", delivered=dt.datetime(2024, 5, 1, 2), seq=2)
    subjects = _subjects((E1, AS_OF))
    assert build_labels(con, subjects, 90, dt.date(2024, 4, 30)).loc[0, "label"] == 0
    assert build_labels(con, subjects, 90, dt.date(2024, 5, 1)).loc[0, "label"] == 1


def test_window_is_after_as_of_and_within_horizon(tmp_path: Path) -> None:
    con = _store(tmp_path)
    _inspection(con, "on_as_of", E1, AS_OF, "violation")
    _inspection(con, "last_day", E2, AS_OF + dt.timedelta(days=30), "violation")
    _inspection(con, "too_late", E2, AS_OF + dt.timedelta(days=31), "compliant", kind="targeted")
    out = build_labels(con, _subjects((E1, AS_OF), (E2, AS_OF)), 30, dt.date(2024, 12, 31))
    assert pd.isna(out.loc[0, "label"])  # the as-of day itself is history, not future
    assert (
        out.loc[1, "label"] == 1
        and out.loc[1, "n_inspections"] == 1
        and out.loc[1, "n_targeted"] == 0
    )


def test_inconclusive_results_count_as_inspections_but_not_labels(tmp_path: Path) -> None:
    con = _store(tmp_path)
    _inspection(con, "a", E1, dt.date(2024, 2, 5), "not_found_at_address", kind="routine")
    out = build_labels(con, _subjects((E1, AS_OF)), 60, dt.date(2024, 12, 31))
    assert (
        out.loc[0, "any_inspection"]
        and pd.isna(out.loc[0, "label"])
        and out.loc[0, "n_routine"] == 1
    )


def test_random_draw_label_and_probability_are_kept_apart_from_targeted(tmp_path: Path) -> None:
    con = _store(tmp_path)
    _inspection(con, "a", E1, dt.date(2024, 2, 5), "compliant", p=0.04)
    _inspection(con, "b", E1, dt.date(2024, 2, 20), "violation", kind="targeted")
    out = build_labels(con, _subjects((E1, AS_OF)), 60, dt.date(2024, 12, 31))
    row = out.loc[0]
    assert row["label"] == 1 and row["random_draw_label"] == 0
    assert row["draw_probability"] == pytest.approx(0.04)
    assert row["first_inspected_on"] == pd.Timestamp("2024-02-05")


def test_serious_event_ignores_warnings_and_revoked_penalties(tmp_path: Path) -> None:
    con = _store(tmp_path)
    known = dt.datetime(2024, 4, 1, 2)
    for rid, ent, sev, revoked in (
        ("w", E1, "warning", None),
        ("f", E2, "fine", dt.date(2024, 3, 15)),
    ):
        con.execute(
            "INSERT INTO v_penalties BY NAME SELECT ? AS record_id, ? AS entity_id, DATE '2024-02-10' AS decided_on, "
            "'SAMR' AS department, ? AS severity, ? AS revoked_on, 'd' AS delivery_id, ? AS delivered_at, "
            "? AS known_at, 1 AS delivery_seq, 'p.csv' AS source_file, 1 AS source_line",
            [rid, ent, sev, revoked, known, known],
        )
    con.execute(
        "INSERT INTO v_blacklist BY NAME SELECT 'b' AS record_id, ? AS entity_id, 'serious_dishonesty' AS list_type, "
        "DATE '2024-02-11' AS listed_on, 'd' AS delivery_id, ? AS delivered_at, ? AS known_at, "
        "1 AS delivery_seq, 'b.csv' AS source_file, 1 AS source_line",
        [E1, known, known],
    )
    out = build_labels(con, _subjects((E1, AS_OF), (E2, AS_OF)), 60, dt.date(2024, 12, 31))
    assert out["serious_event"].tolist() == [True, False]
    early = build_labels(con, _subjects((E1, AS_OF)), 60, dt.date(2024, 3, 31))
    assert not early.loc[0, "serious_event"]  # the listing was not known yet


def test_labels_keep_row_order_and_columns(tmp_path: Path) -> None:
    con = _store(tmp_path)
    subjects = _subjects((E2, AS_OF), (E1, AS_OF), (E2, dt.date(2024, 2, 29)))
    out = build_labels(con, subjects, 180, dt.date(2024, 6, 1))
    assert list(out.columns) == list(LABEL_COLUMNS)
    assert out["entity_id"].tolist() == subjects["entity_id"].tolist()
    assert out["window_closed"].tolist() == [False, False, False]
    assert build_labels(con, subjects, 30, dt.date(2024, 3, 29))["window_closed"].tolist() == [
        True,
        True,
        False,
    ]


def test_bad_input_is_refused_with_the_field_named(tmp_path: Path) -> None:
    con = _store(tmp_path)
    with pytest.raises(ModelError, match="as_of"):
        build_labels(con, pd.DataFrame({"entity_id": [E1]}), 30, AS_OF)
    with pytest.raises(ModelError, match="horizon_days"):
        build_labels(con, _subjects((E1, AS_OF)), 0, AS_OF)


def test_describe_labels_documents_every_label_bilingually() -> None:
    page = describe_labels(180)
    assert "180 days" in page
    for col, (zh, en, _text) in LABELS.items():
        assert f"`{col}`" in page and zh in page and en in page
