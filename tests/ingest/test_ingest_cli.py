"""The ingest stage's commands as an analyst uses them: ingest, status, quarantine list/export."""

from __future__ import annotations

import csv
import datetime as dt
import random

import pyarrow.parquet as pq
from tests.ingest.factories import DeliverySpec, clean_row, make_uscc, write_delivery
from typer.testing import CliRunner

from riskwarn.cli.main import app
from riskwarn.contract.schema import FEEDS

runner = CliRunner(env={"COLUMNS": "250"})


def _province(tmp_path):
    rng = random.Random(11)
    ids = [make_uscc(rng) for _ in range(4)]
    at = dt.datetime(2024, 3, 1, 2)
    complaints = [clean_row(FEEDS["complaints"], rng, f"c{i}", at.date(), ids) for i in range(6)]
    complaints[1]["channel"] = "pigeon"
    complaints[2]["received_at"] = "2030-01-01T00:00:00"
    complaints[3]["entity_id"] = None
    complaints[3]["entity_name"] = "无此公司"
    rows = {
        "entities": [clean_row(FEEDS["entities"], rng, i, at.date(), ids) for i in ids],
        "complaints": complaints,
    }
    write_delivery(tmp_path / "deliveries", DeliverySpec("2024-02", at, rows))
    return tmp_path / "deliveries"


def test_ingest_then_status_and_quarantine(tmp_path) -> None:
    home = str(tmp_path / "home")
    result = runner.invoke(
        app, ["ingest", str(_province(tmp_path)), "--home", home, "--no-progress"]
    )
    assert result.exit_code == 0, result.output
    assert "2024-02" in result.output and "已入库 / ingested" in result.output

    again = runner.invoke(
        app, ["ingest", str(tmp_path / "deliveries"), "--home", home, "--no-progress"]
    )
    assert "已存在 / already ingested" in again.output

    status = runner.invoke(app, ["status", "--home", home])
    assert status.exit_code == 0, status.output
    for text in (
        "投诉举报 / complaints",
        "枚举值无效 invalid_enum: 1",
        "日期晚于交付时间 future_date: 1",
        "名称未找到 / unknown name",
        "按代码 / by id",
        "最近交付 / last deliveries",
    ):
        assert text in status.output, text

    listed = runner.invoke(app, ["quarantine", "list", "--home", home, "--reason", "invalid_enum"])
    assert listed.exit_code == 0, listed.output
    assert "channel: 'pigeon' is not one of" in listed.output and "future_date" not in listed.output

    out = tmp_path / "q.csv"
    exported = runner.invoke(app, ["quarantine", "export", "--home", home, "--out", str(out)])
    assert exported.exit_code == 0, exported.output
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert sorted(r["reason_codes"] for r in rows) == ["future_date", "invalid_enum"]
    assert all(r["source_file"] == "complaints_2024-02.csv" for r in rows)

    pq_out = tmp_path / "q.parquet"
    runner.invoke(
        app, ["quarantine", "export", "--home", home, "--out", str(pq_out), "--feed", "entities"]
    )
    assert pq.read_table(pq_out).num_rows == 0


def test_status_without_a_store_says_what_to_do(tmp_path) -> None:
    result = runner.invoke(app, ["status", "--home", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "riskwarn ingest" in result.output


def test_ingest_of_a_missing_folder_is_a_clear_error(tmp_path) -> None:
    result = runner.invoke(app, ["ingest", str(tmp_path / "nope"), "--home", str(tmp_path / "h")])
    assert result.exit_code == 1
    assert "not a folder" in result.output
