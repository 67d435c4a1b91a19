"""`make demo` runs `python -m riskwarn.demo`; this test runs the same path on a smaller province."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest


@pytest.mark.slow
def test_demo_runs_every_stage_and_leaves_a_queryable_store(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    result = subprocess.run(
        [sys.executable, "-m", "riskwarn.demo", "--home", str(home),
         "--entities", "800", "--months", "14", "--seed", "3"],
        capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "RISKWARN_HOME": str(home)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for stage in ("模拟省份 / simulating", "接入 / ingesting", "库状态 / store status",
                  "文本评分 / scoring", "指标 / building indicators"):
        assert stage in out, f"demo output lacks stage {stage!r}"

    con = duckdb.connect(str(home / "store" / "riskwarn.duckdb"), read_only=True)
    try:
        deliveries = con.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        entities = con.execute("SELECT count(*) FROM entities").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        scored = con.execute("SELECT count(*) FROM text_scores").fetchone()[0]
    finally:
        con.close()
    assert deliveries == 15  # one backfill of history plus 14 monthly deliveries
    assert 700 <= entities <= 800
    assert quarantined > 0  # the simulated dirt was caught, not dropped
    assert scored > 0

    matrices = list((home / "features").glob("*.parquet"))
    assert len(matrices) == 1
    frame = pd.read_parquet(matrices[0])
    assert {"entity_id", "as_of"} <= set(frame.columns)
    assert frame["as_of"].nunique() == 3
