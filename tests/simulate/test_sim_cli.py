"""`riskwarn simulate` writes a province and says what it wrote; bad options are refused."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from riskwarn.cli.main import app


def test_simulate_command_writes_deliveries_and_truth(tmp_path: Path):
    out = tmp_path / "p"
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--entities",
            "300",
            "--months",
            "2",
            "--seed",
            "4",
            "--out",
            str(out),
            "--start",
            "2024-03-01",
            "--dirt-rate",
            "0.02",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "simulated" in result.output and "complaints" in result.output
    summary = json.loads((out / "truth" / "summary.json").read_text())
    assert summary["entities"] == 300 and summary["start"] == "2024-03-01"
    assert [d["delivery_id"] for d in summary["deliveries"]] == [
        "backfill-2024-02",
        "2024-03",
        "2024-04",
    ]
    assert (out / "deliveries" / "2024-04" / "manifest.json").exists()


def test_simulate_command_refuses_a_bad_start(tmp_path: Path):
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            "--entities",
            "10",
            "--months",
            "1",
            "--out",
            str(tmp_path / "q"),
            "--start",
            "2024-03-15",
        ],
    )
    assert result.exit_code == 2
    assert "first day of a month" in result.output
