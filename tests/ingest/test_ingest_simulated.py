"""Against the simulated province: every fault the simulator injected (truth/dirt.parquet) ends
where it must — quarantined with its reason, or accepted with its flag — and no clean row is lost."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from riskwarn.contract.reasons import FLAGS, REJECT_REASONS
from riskwarn.ingest import ingest

simulate = pytest.importorskip("riskwarn.simulate").simulate


@pytest.fixture(scope="module")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("province") / "sim"
    simulate(out, entities=1500, months=4, seed=3, dirt_rate=0.02)
    return out


@pytest.mark.slow
def test_simulated_dirt_reconciles_exactly(province: Path, settings) -> None:
    reports = ingest([province / "deliveries"], settings, progress=False)
    assert reports and all(r.status == "ingested" for r in reports)
    con = duckdb.connect(str(settings.store_path), read_only=True)
    try:
        con.execute(
            f"CREATE TEMP TABLE dirt AS SELECT * FROM read_parquet('{province / 'truth' / 'dirt.parquet'}')"
        )
        rejects = tuple(REJECT_REASONS)
        # every injected reject-fault is in quarantine with its expected reason
        missing = con.execute(
            "SELECT d.delivery_id, d.file, d.line, d.expected, q.reason_codes FROM dirt d "
            "LEFT JOIN quarantine q ON q.delivery_id = d.delivery_id AND q.source_file = d.file "
            "AND q.source_line = d.line WHERE d.expected IN ? "
            "AND (q.reason_codes IS NULL OR NOT list_contains(q.reason_codes, d.expected))",
            [rejects],
        ).fetchall()
        assert missing == []
        # nothing else is quarantined: every quarantined row is an injected fault
        extra = con.execute(
            "SELECT q.delivery_id, q.source_file, q.source_line, q.reasons FROM quarantine q "
            "ANTI JOIN (SELECT * FROM dirt WHERE expected IN ?) d ON q.delivery_id = d.delivery_id "
            "AND q.source_file = d.file AND q.source_line = d.line",
            [rejects],
        ).fetchall()
        assert extra == []
        # flagged and repaired faults are accepted, with their flag
        versions = " UNION ALL ".join(
            f"SELECT delivery_id, source_file, source_line, flags FROM v_{f}"
            for f in (
                "entities",
                "complaints",
                "inspections",
                "penalties",
                "blacklist",
                "sentiment",
                "judgments",
            )
        )
        not_accepted = con.execute(
            f"SELECT d.delivery_id, d.file, d.line, d.expected FROM dirt d LEFT JOIN ({versions}) v "
            "ON v.delivery_id = d.delivery_id AND v.source_file = d.file AND v.source_line = d.line "
            "WHERE d.expected NOT IN ? AND (v.flags IS NULL OR "
            "(d.expected IN ? AND NOT list_contains(v.flags, d.expected)))",
            [rejects, tuple(FLAGS)],
        ).fetchall()
        assert not_accepted == []
        # counts reconcile: every row the simulator wrote was read, read = accepted + rejected,
        # and the ledger agrees with the tables
        summary = json.loads((province / "truth" / "summary.json").read_text())
        per_feed = dict(
            con.execute("SELECT feed, sum(rows_read) FROM delivery_files GROUP BY feed").fetchall()
        )
        assert per_feed == summary["rows"]
        read, acc, rej = con.execute(
            "SELECT sum(rows_read), sum(rows_accepted), sum(rows_rejected) FROM deliveries"
        ).fetchone()
        assert read == acc + rej
        assert rej == con.execute("SELECT count(*) FROM quarantine").fetchone()[0]
        assert acc == con.execute(f"SELECT count(*) FROM ({versions})").fetchone()[0]
    finally:
        con.close()
