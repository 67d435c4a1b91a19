"""Point-in-time scenarios an analyst would check by hand: corrections, backfill, windows, spam."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from features_factory import Store, new_store
from typer.testing import CliRunner

from riskwarn.cli.main import app
from riskwarn.config import get_settings
from riskwarn.features.build import (
    BATCH_ROWS,
    BUILD_ATTR,
    build_feature_file,
    build_features,
    write_feature_matrix,
)
from riskwarn.features.catalog import load_catalog
from riskwarn.features.matrix_files import write_parquet
from riskwarn.features.summary import summarize_features

A, B, C = "91610000220522345A", "91110000600037341L", "91310115MA1K3BTP2B"
D = dt.datetime
CATALOG = load_catalog()


def _registry(store: Store, *ids: str, established: dt.date = dt.date(2015, 1, 1)) -> None:
    for eid in ids:
        store.add("entities", D(2023, 1, 1, 2), entity_id=eid, name="主体", entity_type="enterprise",
                  region_code="610113", industry_code="H6210", established_on=established,
                  status="active")  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = new_store(tmp_path / "store.duckdb")
    _registry(s, A, B)
    return s


def _row(store: Store, as_of: dt.date, entity: str = A) -> pd.Series:
    df = build_features(store.con, [as_of], CATALOG)
    return df.set_index("entity_id").loc[entity]


def test_penalty_revoked_later_is_seen_as_known_at_t(store: Store) -> None:
    store.add("penalties", D(2024, 2, 1, 2), record_id="P1", entity_id=A,
              decided_on=dt.date(2024, 1, 10), amount_yuan=Decimal("12345.67"))  # fmt: skip
    store.add("penalties", D(2024, 5, 1, 2), record_id="P1", entity_id=A,
              decided_on=dt.date(2024, 1, 10), amount_yuan=Decimal("12345.67"),
              revoked_on=dt.date(2024, 4, 20))  # fmt: skip
    df = build_features(store.con, [dt.date(2024, 1, 31), dt.date(2024, 3, 31),
                                    dt.date(2024, 4, 30), dt.date(2024, 5, 1)], CATALOG)  # fmt: skip
    a = df[df.entity_id == A].set_index("as_of")
    # not yet delivered on 31 Jan; known and in force in March and April (the withdrawal
    # happened on 20 April but was only delivered on 1 May); gone from 1 May
    assert a["pen_cnt_365d"].tolist() == [0, 1, 1, 0]
    assert a["pen_amount_sum_365d"].tolist() == [0, 12345.67, 12345.67, 0]
    assert a["pen_revoked_cnt"].tolist() == [0, 0, 0, 1]
    assert a["pen_days_since_last"].isna().tolist() == [True, False, False, True]


def test_complaint_substantiated_later_counts_from_its_delivery(store: Store) -> None:
    store.add("complaints", D(2024, 3, 1, 2), record_id="C1", entity_id=A,
              received_at=D(2024, 2, 20, 23, 30))  # fmt: skip
    store.add("complaints", D(2024, 4, 1, 2), record_id="C1", entity_id=A,
              received_at=D(2024, 2, 20, 23, 30), substantiated=True)  # fmt: skip
    assert _row(store, dt.date(2024, 3, 15))["cmp_substantiated_cnt_365d"] == 0
    assert _row(store, dt.date(2024, 4, 1))["cmp_substantiated_cnt_365d"] == 1
    assert _row(store, dt.date(2024, 4, 1))["cmp_substantiated_share_365d"] == 1.0
    assert _row(store, dt.date(2024, 4, 1))["cmp_cnt_365d"] == 1


def test_backfill_rows_are_known_from_their_own_event_date(store: Store) -> None:
    store.add("inspections", D(2024, 6, 1, 2), D(2023, 5, 5), record_id="I1", entity_id=A,
              inspected_on=dt.date(2023, 5, 5), result="violation")  # fmt: skip
    row = _row(store, dt.date(2023, 12, 31))
    assert row["ins_violation_cnt_730d"] == 1
    assert row["ins_last_result"] == "violation"
    assert row["ins_days_since_last"] == (dt.date(2023, 12, 31) - dt.date(2023, 5, 5)).days


def test_windows_are_whole_days_counted_on_china_local_dates(store: Store) -> None:
    as_of = dt.date(2024, 6, 30)
    times = {
        "on": D(2024, 6, 30, 23, 59, 59),  # the as-of day itself: counted
        "next": D(2024, 7, 1, 0, 0, 0),  # the next day: not yet
        "d29": D(2024, 6, 1, 0, 0, 0),  # 29 days old: inside a 30-day window
        "d30": D(2024, 5, 31, 23, 0, 0),  # 30 days old: outside it
    }
    for rid, t in times.items():
        store.add("complaints", D(2024, 6, 1, 2), record_id=rid, entity_id=A, received_at=t)
    row = _row(store, as_of)
    assert row["cmp_cnt_30d"] == 2
    assert row["cmp_cnt_90d"] == 3
    assert row["cmp_days_since_last"] == 0


def test_subjects_follow_the_registry_known_at_t(tmp_path: Path) -> None:
    s = new_store(tmp_path / "s.duckdb")
    _registry(s, A, B)
    _registry(s, C, established=dt.date(2024, 6, 15))
    s.add("entities", D(2024, 5, 1, 2), entity_id=B, name="主体", entity_type="enterprise",
          region_code="610113", industry_code="H6210", established_on=dt.date(2015, 1, 1),
          status="deregistered")  # fmt: skip
    df = build_features(s.con, [dt.date(2024, 4, 30), dt.date(2024, 6, 30)], CATALOG)
    got = {(d.isoformat(), e) for d, e in zip(df.as_of, df.entity_id, strict=True)}
    assert got == {("2024-04-30", A), ("2024-04-30", B), ("2024-06-30", A), ("2024-06-30", C)}


def test_money_is_summed_exactly(store: Store) -> None:
    for n, amount in enumerate(["0.10", "0.20", "12345678901.23"]):
        store.add("penalties", D(2024, 2, 1, 2), record_id=f"P{n}", entity_id=A,
                  decided_on=dt.date(2024, 1, 10), amount_yuan=Decimal(amount))  # fmt: skip
    row = _row(store, dt.date(2024, 3, 1))
    assert row["pen_amount_sum_365d"] == float(Decimal("12345678901.53"))
    assert row["pen_amount_max_730d"] == 12345678901.23


def test_unlinked_texts_are_reported_not_counted(store: Store) -> None:
    store.add("complaints", D(2024, 3, 1, 2), record_id="C1", entity_id=None,
              entity_name="某某饭店", received_at=D(2024, 2, 1, 9))  # fmt: skip
    store.add(
        "complaints", D(2024, 3, 1, 2), record_id="C2", entity_id=A, received_at=D(2024, 2, 1, 9)
    )
    df = build_features(store.con, [dt.date(2024, 3, 31)], CATALOG)
    assert df.set_index("entity_id")["cmp_cnt_90d"].to_dict() == {A: 1, B: 0}
    assert df.attrs[BUILD_ATTR]["unlinked"]["2024-03-31"]["complaints"] == 1


def _spam(store: Store, entity: str, n: int) -> None:
    for i in range(n):
        did = store.add("sentiment", D(2024, 3, 1, 2), record_id=f"S{entity}{i}", entity_id=entity,
                        published_at=D(2024, 2, 1 + i, 9), reach=10**6, text="加微信领红包")  # fmt: skip
        store.score("sentiment", f"S{entity}{i}", did, is_spam=True, negativity=0.99,
                    topics=["fraud", "illegal_fundraising"])  # fmt: skip
        did = store.add("complaints", D(2024, 3, 1, 2), record_id=f"C{entity}{i}", entity_id=entity,
                        received_at=D(2024, 2, 1 + i, 9), text="点击下载APP")  # fmt: skip
        store.score("complaints", f"C{entity}{i}", did, is_spam=True, negativity=0.99)


def test_spam_only_texts_never_raise_features(store: Store) -> None:
    as_of = [dt.date(2024, 2, 28), dt.date(2024, 3, 31)]
    clean = build_features(store.con, as_of, CATALOG)
    _spam(store, A, 5)
    spammed = build_features(store.con, as_of, CATALOG)
    pd.testing.assert_frame_equal(clean, spammed)
    a = spammed.set_index(["as_of", "entity_id"]).loc[(dt.date(2024, 3, 31), A)]
    b = spammed.set_index(["as_of", "entity_id"]).loc[(dt.date(2024, 3, 31), B)]
    pd.testing.assert_series_equal(a, b, check_names=False)


@pytest.mark.parametrize("batch_rows", [BATCH_ROWS, 1])
def test_one_subject_on_demand_matches_the_batch_row(store: Store, batch_rows: int) -> None:
    store.add("inspections", D(2024, 2, 1, 2), record_id="I1", entity_id=A,
              inspected_on=dt.date(2024, 1, 5), result="violation")  # fmt: skip
    store.add("inspections", D(2024, 2, 1, 2), record_id="I2", entity_id=B,
              inspected_on=dt.date(2024, 1, 5), result="compliant")  # fmt: skip
    store.add("inspections", D(2024, 3, 15, 2), record_id="I3", entity_id=B,
              inspected_on=dt.date(2024, 2, 5), result="violation")  # fmt: skip
    # batch_rows=1: each date in a batch of its own, with its own peer keys
    as_of = [dt.date(2024, 3, 1), dt.date(2024, 4, 1)]
    batch = build_features(store.con, as_of, CATALOG)
    one = build_features(store.con, as_of, CATALOG, entity_ids=[A], batch_rows=batch_rows)
    assert one.entity_id.tolist() == [A, A]
    pd.testing.assert_frame_equal(
        one.reset_index(drop=True), batch[batch.entity_id == A].reset_index(drop=True)
    )
    # the peer rate of A is B's record, shrunk toward the province rate: 1 of 2 on
    # 2024-03-01 (I3 is not known yet), then 2 of 3
    rates = one["x_base_rate_industry_city"].tolist()
    assert rates == pytest.approx([(0 + 20 * 1 / 2) / (1 + 20), (1 + 20 * 2 / 3) / (2 + 20)])


def test_cli_builds_matrix_with_metadata_and_summary(tmp_path: Path) -> None:
    home = tmp_path / "home"
    settings = get_settings(home)
    settings.store_path.parent.mkdir(parents=True)
    s = new_store(settings.store_path)
    _registry(s, A, B)
    s.add(
        "penalties", D(2024, 2, 1, 2), record_id="P1", entity_id=A, decided_on=dt.date(2024, 1, 10)
    )
    s.con.close()
    runner = CliRunner()
    res = runner.invoke(app, ["features", "build", "--as-of", "2024-03-31", "--as-of",
                              "2024-04-30", "--home", str(home)])  # fmt: skip
    assert res.exit_code == 0, res.output
    [path] = settings.features_dir.glob("*.parquet")
    meta = pq.read_schema(path).metadata
    assert meta[b"riskwarn.catalog_version"].decode() == CATALOG.version
    assert json.loads(meta[b"riskwarn.as_of"]) == ["2024-03-31", "2024-04-30"]
    df = pd.read_parquet(path)
    assert list(df.columns) == ["entity_id", "as_of", *CATALOG.ids]
    assert len(df) == 4
    summary = json.loads(Path(f"{path.with_suffix('')}.summary.json").read_text())
    by_id = {r["id"]: r for r in summary["indicators"]}
    assert by_id["pen_cnt_365d"]["coverage"] == 0.5
    assert by_id["cmp_days_since_last"]["missing_share"] == 1.0
    bad = runner.invoke(app, ["features", "build", "--as-of", "2024-13-01", "--home", str(home)])
    assert bad.exit_code != 0 and "2024-13-01" in bad.output
    page = tmp_path / "ref.md"
    res = runner.invoke(app, ["features", "describe", "--out", str(page)])
    assert res.exit_code == 0, res.output
    assert "预警指标体系 / Indicator catalog" in page.read_text(encoding="utf-8")


def test_write_feature_matrix_refuses_a_matrix_of_another_catalog(
    store: Store, tmp_path: Path
) -> None:
    df = build_features(store.con, [dt.date(2024, 1, 1)], CATALOG).drop(columns=["pen_cnt_all"])
    with pytest.raises(ValueError, match="pen_cnt_all"):
        write_feature_matrix(df, get_settings(tmp_path), CATALOG)


def test_the_summary_streamed_with_the_file_equals_the_pandas_summary_of_the_frame(
    store: Store, tmp_path: Path
) -> None:
    """Below the sampling threshold the summary `features build` streams is exact: the same
    coverage, missing share, moments, quantiles and top values as the pandas one (training's)."""
    store.add("penalties", D(2024, 2, 1, 2), record_id="P1", entity_id=A,
              decided_on=dt.date(2024, 1, 10), amount_yuan=Decimal("500.00"))  # fmt: skip
    store.add("penalties", D(2024, 3, 1, 2), record_id="P2", entity_id=B,
              decided_on=dt.date(2024, 2, 10), amount_yuan=Decimal("1200.00"))  # fmt: skip
    dates = [dt.date(2024, 3, 31), dt.date(2024, 4, 30)]
    df = build_features(store.con, dates, CATALOG)
    path = build_feature_file(store.con, dates, get_settings(tmp_path), CATALOG, batch_rows=1)
    doc = json.loads(Path(f"{path.with_suffix('')}.summary.json").read_text())
    got = pd.DataFrame(doc["indicators"])
    want = summarize_features(df, CATALOG)
    pd.testing.assert_frame_equal(
        got[want.columns].set_index("id"), want.set_index("id"), check_dtype=False, atol=1e-12
    )
    assert doc["build"]["rows_per_as_of"] == {"2024-03-31": 2, "2024-04-30": 2}


def test_file_and_frame_agree_in_rows_order_and_values_however_dates_are_batched(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    settings = get_settings(home)
    s = new_store(tmp_path / "store.duckdb")
    _registry(s, C, A, B)  # registered out of entity_id order
    for n, (eid, day) in enumerate([(A, 5), (B, 40), (C, 70), (A, 100)]):
        decided = dt.date(2024, 1, 1) + dt.timedelta(days=day)
        s.add("penalties", D.combine(decided, dt.time(2)) + dt.timedelta(days=1),
              record_id=f"P{n}", entity_id=eid, decided_on=decided)  # fmt: skip
    dates = [dt.date(2024, m, 28) for m in (5, 2, 3, 4)]
    whole = build_features(s.con, dates, CATALOG)
    one_per_batch = build_features(s.con, dates, CATALOG, batch_rows=1)
    path = build_feature_file(s.con, dates, settings, CATALOG, batch_rows=1)
    from_file = pd.read_parquet(path).sort_values(["as_of", "entity_id"], ignore_index=True)
    from_file = from_file.astype({c: object for c in whole if whole[c].dtype == object})
    assert whole.attrs[BUILD_ATTR]["batches"] == 1
    assert one_per_batch.attrs[BUILD_ATTR]["batches"] == 4
    expected = sorted((d, e) for d in sorted(dates) for e in (A, B, C))
    assert list(zip(whole["as_of"], whole["entity_id"], strict=True)) == expected
    pd.testing.assert_frame_equal(one_per_batch, whole)
    pd.testing.assert_frame_equal(from_file, whole)
    # entity_id order is B, C, A; A's second penalty is on 10 April
    assert whole["pen_cnt_all"].tolist() == [1, 0, 1, 1, 1, 1, 1, 1, 2, 1, 1, 2]
    # what training and scoring rely on: floats, text indicators as objects, string ids
    for ind in CATALOG.indicators:
        assert whole[ind.id].dtype == ("float64" if ind.kind == "numeric" else object), ind.id
    assert pd.api.types.is_string_dtype(whole["entity_id"])
    assert all(isinstance(d, dt.date) for d in whole["as_of"])


def test_a_failed_write_raises_and_leaves_no_half_file(tmp_path: Path) -> None:
    batch = pa.RecordBatch.from_pydict({"as_of_day": [1], "_sid": [1], "x": [0.5]})

    def readers():  # type: ignore[no-untyped-def]
        yield pa.RecordBatchReader.from_batches(batch.schema, [batch])
        raise RuntimeError("the engine failed on the second chunk")

    target = tmp_path / "m.parquet"
    with pytest.raises(RuntimeError, match="second chunk"):
        write_parquet(readers(), target, {})
    assert not target.exists()
