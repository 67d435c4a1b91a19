"""The ground truth: complete, consistent with the deliveries, and with the risk structure documented."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from riskwarn.contract.reasons import FLAGS, REJECT_REASONS
from riskwarn.simulate.calendar import HISTORY_MONTHS


def _truth(out: Path, name: str) -> str:
    return f"'{out / 'truth' / (name + '.parquet')}'"


def _delivered(out: Path) -> dict[str, str]:
    return {
        f.name: json.loads((f / "manifest.json").read_text())["delivered_at"]
        for f in (out / "deliveries").iterdir()
    }


def test_truth_covers_every_subject_month(small_sim):
    out, summary = small_sim
    con = duckdb.connect()
    n_ent = con.execute(
        f"SELECT count(*), count(DISTINCT entity_id) FROM {_truth(out, 'entities')}"
    ).fetchone()
    assert n_ent == (1500, 1500)
    row = con.execute(
        f"SELECT count(*), count(DISTINCT (entity_id, month)), min(p_violation), max(p_violation), "
        f"count(DISTINCT month) FROM {_truth(out, 'entity_month')}"
    ).fetchone()
    months = summary.months + HISTORY_MONTHS
    assert row[0] == row[1] == 1500 * months
    assert row[2] > 0 and row[3] < 1
    assert row[4] == months
    missing = con.execute(
        f"SELECT count(*) FROM {_truth(out, 'entities')} e ANTI JOIN {_truth(out, 'entity_month')} m USING (entity_id)"
    ).fetchone()[0]
    assert missing == 0


def test_dirt_codes_come_from_the_shared_vocabulary(small_sim):
    out, _ = small_sim
    codes = {
        r[0]
        for r in duckdb.connect()
        .execute(f"SELECT DISTINCT expected FROM {_truth(out, 'dirt')}")
        .fetchall()
    }
    assert codes <= set(REJECT_REASONS) | set(FLAGS) | {"accepted"}
    assert {"invalid_uscc", "missing_required", "future_date", "duplicate_row", "accepted"} <= codes


def test_corrections_are_new_versions_delivered_later(small_sim, reader):
    out, _ = small_sim
    corrections = pq.read_table(out / "truth" / "corrections.parquet").to_pylist()
    assert {c["kind"] for c in corrections} >= {
        "complaint_verified",
        "blacklist_removed",
        "entity_status",
    }
    when = _delivered(out)
    versions = defaultdict(dict)  # (feed, record_id) -> {delivery: row}
    wanted = {(c["feed"], c["record_id"]) for c in corrections}
    for folder in (out / "deliveries").iterdir():
        for path in folder.iterdir():
            if path.name == "manifest.json":
                continue
            feed = path.name.split("_part")[0]
            key = "entity_id" if feed == "entities" else "record_id"
            for row in reader(path)[1]:
                if (feed, row[key]) in wanted:
                    versions[(feed, row[key])][folder.name] = row
    for c in corrections:
        seen = versions[(c["feed"], c["record_id"])]
        assert when[c["correction_delivery_id"]] > when[c["original_delivery_id"]]
        assert seen[c["correction_delivery_id"]][c["field"]] == c["new_value"], c
        if c["original_delivery_id"] in seen:  # absent only when dirt corrupted the original's id
            assert seen[c["original_delivery_id"]][c["field"]] != c["new_value"], c


def test_name_mentions_are_delivered_without_id(small_sim, reader):
    out, _ = small_sim
    mentions = pq.read_table(out / "truth" / "name_mentions.parquet").to_pylist()
    assert {m["expected_link"] for m in mentions} == {"name", "ambiguous_name", "unknown_name"} or {
        m["expected_link"] for m in mentions
    } >= {"name", "unknown_name"}
    assert {m["variant"] for m in mentions} >= {"exact", "spaces", "width", "short", "unregistered"}
    by_id = {(m["feed"], m["record_id"]): m for m in mentions}
    hits = 0
    for folder in (out / "deliveries").iterdir():
        for path in folder.iterdir():
            feed = path.name.split("_part")[0]
            if feed not in ("complaints", "sentiment"):
                continue
            for row in reader(path)[1]:
                m = by_id.get((feed, row["record_id"]))
                if m and m["delivery_id"] == folder.name:
                    hits += 1
                    assert row["entity_id"] is None and row["entity_name"] == m["given_name"]
    assert hits == len(mentions)


def test_risk_structure_is_visible_but_not_perfect(small_sim, reader):
    """Enforcement cases and violations found point at riskier subjects on average, yet not always."""
    out, _ = small_sim
    truth = pq.read_table(out / "truth" / "entity_month.parquet").to_pandas()
    groups = pq.read_table(
        out / "truth" / "entities.parquet", columns=["entity_id", "industry_group"]
    ).to_pandas()
    truth["month"] = truth["month"].astype(str).str[:7]
    p = truth.set_index(["entity_id", "month"])["p_violation"]
    enforced, found = set(), {"violation": [], "compliant": []}
    for folder in (out / "deliveries").iterdir():
        for path in folder.iterdir():
            feed = path.name.split("_part")[0]
            if feed == "judgments":
                enforced |= {
                    r["entity_id"] for r in reader(path)[1] if r["case_type"] == "enforcement"
                }
            elif feed == "inspections":
                for r in reader(path)[1]:
                    key = (r["entity_id"], (r["inspected_on"] or "")[:7])
                    if r["result"] in found and key in p.index:
                        found[r["result"]].append(p[key])
    operating = truth[truth["operating"]]
    mean_all = operating["p_violation"].mean()
    assert operating[operating["entity_id"].isin(enforced)]["p_violation"].mean() > mean_all
    mean_v = sum(found["violation"]) / len(found["violation"])
    mean_c = sum(found["compliant"]) / len(found["compliant"])
    assert mean_v > mean_c, "inspections find violations where the true probability is higher"
    assert min(found["violation"]) < mean_all < max(found["compliant"]), "but not perfectly"
    by_group = (
        operating.merge(groups, on="entity_id").groupby("industry_group")["p_violation"].mean()
    )
    assert by_group["food_service"] > by_group["ordinary"]
    assert 0.02 < mean_all < 0.3
