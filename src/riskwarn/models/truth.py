"""Simulator ground truth joined to (subject, as-of) rows, for oracle and ceiling comparisons."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd

from riskwarn.errors import ModelError

__all__ = ["truth_columns"]


def truth_columns(truth_dir: Path, subjects: pd.DataFrame, horizon_days: int) -> pd.DataFrame:
    """p_now (true violation probability in the as-of month) and p_future (its mean over the
    months starting in (as_of, as_of + H]) for each row of `subjects`, in order."""
    path = Path(truth_dir) / "entity_month.parquet"
    if not path.exists():
        raise ModelError(f"truth: {path} not found (expected the simulator's truth/ folder)")
    frame = pd.DataFrame(
        {
            "entity_id": subjects["entity_id"].astype(str).to_numpy(),
            "as_of": pd.to_datetime(subjects["as_of"]).to_numpy(),
            "_row": range(len(subjects)),
        }
    )
    con = duckdb.connect()
    try:
        con.register("_truth_subjects", frame)
        out = con.execute(
            f"""
            WITH t AS (SELECT entity_id, month::DATE AS month, p_violation
                       FROM read_parquet('{path.as_posix()}'))
            SELECT s._row,
              max(t.p_violation) FILTER (WHERE t.month = date_trunc('month', s.as_of)::DATE) AS p_now,
              avg(t.p_violation) FILTER (WHERE t.month > s.as_of::DATE
                  AND t.month <= s.as_of::DATE + INTERVAL {int(horizon_days)} DAY) AS p_future
            FROM _truth_subjects s LEFT JOIN t ON t.entity_id = s.entity_id
            GROUP BY s._row ORDER BY s._row
            """
        ).df()
    finally:
        con.close()
    return out.drop(columns="_row").reset_index(drop=True)
