"""Every delivered file follows the contract, and the dirt log points at rows that really are faulty."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections import Counter, defaultdict
from pathlib import Path

import pyarrow.parquet as pq

from riskwarn.contract.reasons import FLAGS, REJECT_REASONS
from riskwarn.contract.regions import judge_region
from riskwarn.contract.schema import FEEDS
from riskwarn.contract.uscc import is_valid_uscc, normalise_uscc, uscc_problem

_INDUSTRY = re.compile(r"^[A-T]\d{1,4}$")
_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})?$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _delivered_at(folder: Path) -> dt.datetime:
    """Naive CST arrival time of a delivery, from its manifest."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return dt.datetime.fromisoformat(manifest["delivered_at"]).replace(tzinfo=None)


def _as_cst(value: str) -> dt.datetime:
    t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if t.tzinfo is not None:
        t = t.astimezone(dt.timezone(dt.timedelta(hours=8))).replace(tzinfo=None)
    return t


def _problems(feed: str, row: dict, delivered: dt.datetime) -> list[str]:
    """What is wrong with a row by the contract's rules (empty for a clean row)."""
    out = []
    limit = delivered + dt.timedelta(days=2)
    for col in FEEDS[feed].columns:
        v = row.get(col.name)
        if v is None:
            if col.required:
                out.append(f"missing_required:{col.name}")
            continue
        if col.type == "uscc" and uscc_problem(v) is not None:
            out.append("invalid_uscc" if uscc_problem(normalise_uscc(v)) else "lower_case")
        elif col.type == "enum" and v not in col.values:
            out.append(f"invalid_enum:{col.name}")
        elif col.type == "region" and judge_region(v).verdict != "known":
            out.append(judge_region(v).verdict)
        elif col.type == "industry" and not _INDUSTRY.match(v):
            out.append("invalid_industry")
        elif col.type == "date":
            try:
                if dt.datetime.combine(dt.date.fromisoformat(v), dt.time()) > limit:
                    out.append("future_date")
            except ValueError:
                out.append("invalid_date")
        elif col.type == "time":
            if not _TIME.match(v):
                out.append("invalid_time")
            elif _as_cst(v) > limit:
                out.append("future_date")
        elif col.type in ("decimal", "integer") and not _NUMBER.match(v):
            out.append("invalid_number")
        elif col.type == "bool" and v not in ("true", "false"):
            out.append("invalid_bool")
    return out


def _files(out: Path):
    for folder in sorted((out / "deliveries").iterdir()):
        for path in sorted(folder.iterdir()):
            if path.name != "manifest.json":
                yield folder, path, path.name.split("_part")[0]


def test_every_delivery_has_a_manifest_and_the_first_is_the_backfill(small_sim):
    out, summary = small_sim
    folders = sorted((out / "deliveries").iterdir(), key=_delivered_at)
    assert len(folders) == summary.months + 1
    first = json.loads((folders[0] / "manifest.json").read_text(encoding="utf-8"))
    assert first.get("backfill") is True
    assert all("backfill" not in json.loads((f / "manifest.json").read_text()) for f in folders[1:])
    arrivals = [_delivered_at(f) for f in folders]
    assert all(a.day == 1 and a.hour == 2 for a in arrivals)
    assert arrivals == sorted(set(arrivals))


def test_files_mix_every_format_and_parts(small_sim):
    out, _ = small_sim
    names = [p.name for _, p, _ in _files(out)]
    for ext in (".csv", ".csv.gz", ".parquet", ".jsonl"):
        assert any(n.endswith(ext) for n in names), ext
    assert any("_part0001" in n for n in names), "the second chunk appends its own part files"
    raw = [p.read_bytes() for _, p, _ in _files(out) if p.name.endswith(".csv")]
    assert any(b.startswith(b"\xef\xbb\xbf") for b in raw) and any(
        not b.startswith(b"\xef\xbb\xbf") for b in raw
    )


def test_clean_rows_follow_the_contract(small_sim, reader):
    """Columns are the contract's; a row the dirt log does not name has no fault at all."""
    out, _ = small_sim
    dirt = pq.read_table(out / "truth" / "dirt.parquet").to_pylist()
    faulty = {(d["delivery_id"], d["file"], d["line"]) for d in dirt}
    checked = Counter()
    keys = (
        set()
    )  # (delivery, feed, key): a key appears once per delivery, or ingest sees duplicate_key
    for folder, path, feed in _files(out):
        header, rows = reader(path)
        assert header == list(FEEDS[feed].column_names), path
        delivered = _delivered_at(folder)
        seen = set()
        for line, row in enumerate(rows, start=1):
            if (folder.name, path.name, line) in faulty:
                continue
            assert _problems(feed, row, delivered) == [], (path, line, row)
            key = tuple(row.values())
            assert key not in seen, (path, line, "clean rows are never exact duplicates")
            seen.add(key)
            record = (folder.name, feed, row[FEEDS[feed].key])
            assert record not in keys, (path, line, "no duplicate_key within a delivery")
            keys.add(record)
            checked[feed] += 1
    assert set(checked) == set(FEEDS)


def test_texts_carry_commas_quotes_newlines_and_times_vary_in_offset(small_sim, reader):
    out, _ = small_sim
    texts, times = [], []
    for _, path, feed in _files(out):
        if feed in ("complaints", "sentiment"):
            _, rows = reader(path)
            texts += [r["text"] for r in rows if r["text"]]
            col = "received_at" if feed == "complaints" else "published_at"
            times += [r[col] for r in rows if r[col]]
    assert any("\n" in t for t in texts) and any("," in t or "，" in t for t in texts)
    assert any('"' in t for t in texts)
    assert any("http" in t or "www." in t for t in texts) and any("<" in t for t in texts)
    assert any(t.endswith("Z") for t in times)
    assert any(t.endswith("+08:00") for t in times)
    assert any(_TIME.match(t) and t[-6] not in "+-" and not t.endswith("Z") for t in times)


def test_dirt_log_points_at_rows_with_that_fault(small_sim, reader):
    out, _ = small_sim
    dirt = pq.read_table(out / "truth" / "dirt.parquet").to_pylist()
    assert len({d["kind"] for d in dirt}) >= 9, "every kind of dirt shows up at this rate"
    by_file = defaultdict(list)
    for d in dirt:
        assert (
            d["expected"] == "accepted" or d["expected"] in REJECT_REASONS or d["expected"] in FLAGS
        )
        by_file[(d["delivery_id"], d["file"])].append(d)
    for (delivery, name), entries in by_file.items():
        folder = out / "deliveries" / delivery
        _, rows = reader(folder / name)
        feed = entries[0]["feed"]
        for d in entries:
            row = rows[d["line"] - 1]
            assert row[FEEDS[feed].key] == d["record_id"]
            found = _problems(feed, row, _delivered_at(folder))
            kind, exp = d["kind"], d["expected"]
            if kind == "duplicate_row":
                assert found == [] and row in rows[: d["line"] - 1], d
            elif kind == "lower_case_id":
                assert found == ["lower_case"] and is_valid_uscc(row["entity_id"]), d
            elif exp == "missing_required":
                assert found == [f"missing_required:{d['column']}"], d
            elif exp == "invalid_enum":
                assert found == [f"invalid_enum:{d['column']}"], d
            elif exp == "invalid_region":
                assert found == ["invalid"], d
            else:
                assert found == [exp], (d, found)


def test_random_draws_carry_their_inclusion_probability(small_sim, reader):
    out, _ = small_sim
    dirt = pq.read_table(out / "truth" / "dirt.parquet").to_pylist()
    faulty = {(d["delivery_id"], d["file"], d["line"]) for d in dirt}
    draws = 0
    for folder, path, feed in _files(out):
        if feed != "inspections":
            continue
        for line, row in enumerate(reader(path)[1], start=1):
            if (folder.name, path.name, line) in faulty:
                continue
            if row["inspection_type"] == "random_draw":
                draws += 1
                assert 0 < float(row["draw_probability"]) <= 1
            else:
                assert row["draw_probability"] is None
    assert draws > 20
