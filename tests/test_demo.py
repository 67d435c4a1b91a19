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
        [
            sys.executable,
            "-m",
            "riskwarn.demo",
            "--home",
            str(home),
            "--entities",
            "1500",
            "--months",
            "20",
            "--seed",
            "3",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "RISKWARN_HOME": str(home)},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for stage in (
        "模拟省份 / simulating",
        "接入 / ingesting",
        "库状态 / store status",
        "文本评分 / scoring",
        "指标 / building indicators",
        "训练与注册 / training",
        "测试期评估 / held-out evaluation",
        "批量评分 / scoring every active subject",
        "风险最高的 20 个主体 / 20 riskiest subjects",
    ):
        assert stage in out, f"demo output lacks stage {stage!r}"

    con = duckdb.connect(str(home / "store" / "riskwarn.duckdb"), read_only=True)
    try:
        deliveries = con.execute("SELECT count(*) FROM deliveries").fetchone()[0]
        entities = con.execute("SELECT count(*) FROM entities").fetchone()[0]
        quarantined = con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        scored = con.execute("SELECT count(*) FROM text_scores").fetchone()[0]
    finally:
        con.close()
    assert deliveries == 21  # one backfill of history plus 20 monthly deliveries
    assert 1400 <= entities <= 1500
    assert quarantined > 0  # the simulated dirt was caught, not dropped
    assert scored > 0

    matrices = list((home / "features").glob("*.parquet"))
    assert len(matrices) == 1
    frame = pd.read_parquet(matrices[0])
    assert {"entity_id", "as_of"} <= set(frame.columns)
    assert frame["as_of"].nunique() == 3

    scores = list((home / "exports").glob("scores_*.csv"))
    assert len(scores) == 1
    scored_subjects = pd.read_csv(scores[0])
    assert {"entity_id", "score", "model_version"} <= set(scored_subjects.columns)
    assert scored_subjects["score"].between(0, 1).all()
    assert scored_subjects["score"].is_monotonic_decreasing  # riskiest first
