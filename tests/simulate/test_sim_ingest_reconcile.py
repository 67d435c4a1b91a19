"""End to end: what the simulator says ingest must do with each faulty row is what ingest does."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from riskwarn.config import get_settings
from riskwarn.ingest import ingest
from riskwarn.simulate import simulate


@pytest.mark.slow
def test_dirt_log_and_quarantine_reconcile_exactly(tmp_path: Path):
    sim = tmp_path / "sim"
    simulate(sim, entities=1200, months=3, seed=21, dirt_rate=0.03, progress=False)
    settings = get_settings(tmp_path / "home")
    settings.ensure_dirs()
    ingest([sim / "deliveries"], settings, progress=False)
    con = duckdb.connect(str(settings.store_path), read_only=True)
    con.execute(f"CREATE TEMP VIEW dirt AS SELECT * FROM '{sim / 'truth' / 'dirt.parquet'}'")
    con.execute(
        f"CREATE TEMP VIEW mentions AS SELECT * FROM '{sim / 'truth' / 'name_mentions.parquet'}'"
    )
    on = "d.delivery_id = q.delivery_id AND d.file = q.source_file AND d.line = q.source_line"
    unexplained = con.execute(
        f"SELECT count(*) FROM quarantine q ANTI JOIN dirt d ON {on}"
    ).fetchone()[0]
    missed = con.execute(
        f"SELECT count(*) FROM dirt d ANTI JOIN quarantine q ON {on} "
        "WHERE d.expected NOT IN ('accepted', 'unknown_county')"
    ).fetchone()[0]
    wrong = con.execute(
        f"SELECT count(*) FROM dirt d JOIN quarantine q ON {on} WHERE NOT list_contains(q.reason_codes, d.expected)"
    ).fetchone()[0]
    assert (unexplained, missed, wrong) == (0, 0, 0)
    flagged = con.execute(
        "SELECT count(*) FROM dirt d JOIN v_entities e ON d.delivery_id = e.delivery_id "
        "AND d.file = e.source_file AND d.line = e.source_line "
        "WHERE d.expected = 'unknown_county' AND list_contains(e.flags, 'unknown_county')"
    ).fetchone()[0]
    assert (
        flagged
        == con.execute("SELECT count(*) FROM dirt WHERE expected = 'unknown_county'").fetchone()[0]
    )
    for feed in ("complaints", "sentiment"):
        disagree = con.execute(
            f"SELECT count(*) FROM mentions m JOIN v_{feed} c ON c.record_id = m.record_id "
            f"AND c.delivery_id = m.delivery_id WHERE m.feed = '{feed}' AND c.link_method <> m.expected_link"
        ).fetchone()[0]
        assert disagree == 0, feed
