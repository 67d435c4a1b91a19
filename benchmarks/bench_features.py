"""Benchmark the feature builder on a synthetic store filled with DuckDB SQL.

    .venv/bin/python benchmarks/bench_features.py --subjects 1000000 --events 10000000

Creates (once, reused when present) a store with the given subjects and events spread
over the six event feeds (about 5 % of records corrected by a later version, text
scores for complaints and sentiment), then runs, each in a fresh process:
  floor   a bare DuckDB GROUP BY: five windowed aggregates per subject over all events
  one       build_features (a DataFrame) for one as-of date
  one_file  build_feature_file (Parquet + summary, as `riskwarn features build`) for one date
  twelve    build_feature_file for 12 monthly as-of dates
  subject   build_features narrowed to one subject (on-demand scoring), five subjects in turn
and prints rows/s, wall time and peak RSS of each.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

# feed -> share of events
_MIX = {
    "complaints": 0.30,
    "inspections": 0.20,
    "penalties": 0.10,
    "blacklist": 0.05,
    "sentiment": 0.25,
    "judgments": 0.10,
}
_START = "DATE '2022-01-01'"
_ID_FORMAT = "91610000%010d"  # subject i's entity_id, in SQL printf and Python % alike
_PHASES = ("floor", "one", "one_file", "twelve", "subject")
_SPAN_DAYS = 1095


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """User + system CPU seconds of this process so far (all DuckDB threads included)."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _delivered(day_sql: str, extra_months: str = "1") -> str:
    """The first of the month after the event (+extra months) at 02:00, like the platform."""
    return (
        f"(date_trunc('month', {day_sql}) + INTERVAL ({extra_months}) MONTH)::TIMESTAMP "
        "+ INTERVAL 2 HOUR"
    )


def _event_sql(feed: str, n: int, subjects: int) -> str:
    h = f"hash(i, '{feed}')"
    ent = f"printf('{_ID_FORMAT}', ({h} % {subjects})::BIGINT)"
    day = f"({_START} + (({h} >> 20) % {_SPAN_DAYS})::INTEGER)"
    common = f"'{feed[:3]}' || i::VARCHAR AS record_id, {ent} AS entity_id"
    pick = lambda vals, shift: (  # noqa: E731
        f"(ARRAY{vals})[1 + (({h} >> {shift}) % {len(vals)})::INTEGER]"
    )
    cols = {
        "complaints": (
            f"{common}, NULL AS entity_name, {day}::TIMESTAMP + INTERVAL 10 HOUR AS received_at, "
            f"{pick(['hotline_12345', 'web', 'letter', 'media', 'transfer'], 7)} AS channel, "
            f"{pick(['食品安全', '价格', '预付卡', '燃气', '欠薪'], 11)} AS category, "
            "'投诉内容' AS text, "
            f"CASE ({h} >> 13) % 3 WHEN 0 THEN true WHEN 1 THEN false END AS substantiated, "
            f"{pick(['SAMR', 'MEE', 'MOHURD', 'NHC'], 17)} AS department"
        ),
        "inspections": (
            f"{common}, {day} AS inspected_on, "
            f"{pick(['SAMR', 'MEE', 'MEM', 'NHC'], 17)} AS department, 'M01' AS matter_code, "
            f"{pick(['random_draw', 'routine', 'targeted', 'complaint_followup', 'joint'], 7)} "
            "AS inspection_type, 0.05 AS draw_probability, "
            f"{pick(['compliant', 'compliant', 'compliant', 'minor_issue', 'violation', 'not_found_at_address'], 11)} "
            "AS result, NULL AS findings_text"
        ),
        "penalties": (
            f"{common}, {day} AS decided_on, {pick(['SAMR', 'MEE', 'MEM'], 17)} AS department, "
            f"{pick(['warning', 'fine', 'fine', 'confiscation', 'suspension'], 7)} AS severity, "
            f"(({h} >> 9) % 5000000 / 100.0)::DECIMAL(18,2) AS amount_yuan, NULL AS legal_basis, "
            "NULL::DATE AS revoked_on"
        ),
        "blacklist": (
            f"{common}, {pick(['abnormal_operation', 'serious_dishonesty', 'dishonest_debtor'], 7)} "
            f"AS list_type, {day} AS listed_on, NULL AS reason, "
            f"CASE WHEN ({h} >> 11) % 2 = 0 THEN {day} + 200 END AS removed_on"
        ),
        "sentiment": (
            f"{common}, NULL AS entity_name, {day}::TIMESTAMP + INTERVAL 8 HOUR AS published_at, "
            f"{pick(['news', 'weibo', 'wechat', 'forum'], 7)} AS source, NULL AS title, "
            f"'舆情' AS text, (({h} >> 9) % 100000)::BIGINT AS reach"
        ),
        "judgments": (
            f"{common}, {day} AS judged_on, "
            f"{pick(['civil', 'administrative', 'criminal', 'enforcement'], 7)} AS case_type, "
            f"{pick(['plaintiff', 'defendant', 'enforced_party'], 11)} AS role, "
            f"(({h} >> 9) % 10000000)::DECIMAL(18,2) AS amount_yuan, NULL AS cause"
        ),
    }[feed]
    ev = {"complaints": "received_at", "sentiment": "published_at", "inspections": "inspected_on",
          "penalties": "decided_on", "blacklist": "listed_on", "judgments": "judged_on"}[feed]  # fmt: skip
    link = (
        ", entity_id AS linked_entity_id, 'id' AS link_method"
        if feed in ("complaints", "sentiment")
        else ""
    )
    return (
        f"WITH e AS (SELECT {cols} FROM range({n}) r(i)) "
        f"SELECT *, 'd' || strftime({_delivered(f'{ev}::DATE')}, '%Y-%m') AS delivery_id, "
        f"{_delivered(f'{ev}::DATE')} AS delivered_at, {_delivered(f'{ev}::DATE')} AS known_at, "
        "1 AS delivery_seq, 'bench.csv' AS source_file, row_number() OVER () AS source_line, "
        f"NULL AS flags, NULL AS extra{link} FROM e"
    )


def generate(path: Path, subjects: int, events: int) -> None:
    """Fill a fresh store at `path` with synthetic subjects, events, corrections and scores."""
    import duckdb

    from riskwarn.store.schema import create_schema

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "features"))
    from features_factory import TEXT_SCORES_DDL

    path.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    con.execute("SET threads = 2")
    create_schema(con)
    con.execute(TEXT_SCORES_DDL)
    t0 = time.monotonic()
    h = "hash(i, 'ent')"
    con.execute(
        f"""INSERT INTO v_entities SELECT printf('{_ID_FORMAT}', i), '主体' || i,
        (ARRAY['enterprise','individual_business','farmer_coop','non_market'])[1 + ({h} % 4)::INTEGER],
        (ARRAY['610113','610302','610402','610502','610602','610702','610802','610902','611002','610203'])[1 + (({h} >> 4) % 10)::INTEGER],
        (ARRAY['H6210','F5265','C2710','C1311','E4700','O8010','P8331','F5211','J6620','I6510'])[1 + (({h} >> 8) % 10)::INTEGER],
        DATE '2000-01-01' + (({h} >> 12) % 8766)::INTEGER,
        (({h} >> 24) % 100000)::DECIMAL(18,4),
        CASE WHEN ({h} >> 30) % 20 = 0 THEN 'deregistered' ELSE 'active' END,
        CASE WHEN ({h} >> 34) % 5 = 0 THEN '食品;重点监管' END, NULL, NULL,
        TIMESTAMP '2021-12-31 02:00:00', 'd2021-12', TIMESTAMP '2021-12-31 02:00:00',
        TIMESTAMP '2021-12-31 02:00:00', 0, 'bench.csv', i + 1, NULL, NULL
        FROM range({subjects}) r(i)"""
    )
    for feed, share in _MIX.items():
        con.execute(
            f"INSERT INTO v_{feed} BY NAME {_event_sql(feed, int(events * share), subjects)}"
        )
        # ~5 % of records corrected by a later version (a complaint verified, a penalty revoked)
        fix = {
            "complaints": "REPLACE (true AS substantiated)",
            "penalties": "REPLACE (decided_on + 40 AS revoked_on)",
            "blacklist": "REPLACE (listed_on + 60 AS removed_on)",
        }.get(feed, "")
        con.execute(
            f"""INSERT INTO v_{feed} BY NAME
            SELECT * EXCLUDE (delivery_id, delivered_at, known_at, delivery_seq) {fix},
            delivery_id || '-fix' AS delivery_id,
            delivered_at + INTERVAL 2 MONTH AS delivered_at, known_at + INTERVAL 2 MONTH AS known_at,
            2 AS delivery_seq FROM v_{feed} WHERE hash(record_id, 'fix') % 20 = 0"""
        )
    for feed in ("complaints", "sentiment"):
        con.execute(
            f"""INSERT INTO text_scores SELECT '{feed}', record_id, delivery_id,
            hash(record_id, 'spam') % 25 = 0, (hash(record_id, 'neg') % 1000) / 1000.0,
            CASE WHEN hash(record_id, 't') % 10 = 0 THEN ['food_safety'] ELSE [] END, 'bench'
            FROM v_{feed}"""
        )
    con.execute("CHECKPOINT")
    n = sum(con.execute(f"SELECT count(*) FROM v_{f}").fetchone()[0] for f in _MIX)  # type: ignore[index]
    con.close()
    print(json.dumps({"phase": "generate", "subjects": subjects, "event_versions": n,
                      "wall_s": round(time.monotonic() - t0, 1), "peak_rss_mib": round(_peak_rss_mib())}))  # fmt: skip


def _subjects(con) -> int:  # type: ignore[no-untyped-def]
    return int(con.execute("SELECT count(DISTINCT entity_id) FROM v_entities").fetchone()[0])


def _event_rows(con) -> int:  # type: ignore[no-untyped-def]
    return sum(con.execute(f"SELECT count(*) FROM v_{f}").fetchone()[0] for f in _MIX)


def run_phase(path: Path, phase: str, threads: int, memory: str) -> None:
    """Run one measured phase in this process and print one JSON line."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    con.execute(f"SET threads = {threads}")
    con.execute(f"SET memory_limit = '{memory}'")
    events = _event_rows(con)
    t0, cpu0 = time.monotonic(), _cpu_s()
    if phase == "floor":
        union = " UNION ALL ".join(
            f"SELECT {'linked_entity_id' if f in ('complaints', 'sentiment') else 'entity_id'} AS e, "
            f"({ {'complaints': 'received_at::DATE', 'sentiment': 'published_at::DATE', 'inspections': 'inspected_on', 'penalties': 'decided_on', 'blacklist': 'listed_on', 'judgments': 'judged_on'}[f] }) AS day FROM v_{f}"
            for f in _MIX
        )
        out = con.execute(
            f"""SELECT count(*) FROM (SELECT e, count(*) FILTER (WHERE d < 30) AS c30,
            count(*) FILTER (WHERE d < 90) AS c90, count(*) FILTER (WHERE d < 365) AS c365,
            count(*) FILTER (WHERE d < 730) AS c730, min(d) AS last
            FROM (SELECT e, DATE '2024-12-31' - day AS d FROM ({union})) WHERE d >= 0 GROUP BY e)"""
        ).fetchone()[0]  # type: ignore[index]
        dates = [dt.date(2024, 12, 31)]
    else:
        from riskwarn.config import get_settings
        from riskwarn.features.build import build_feature_file, build_features

        if phase == "one":
            dates = [dt.date(2024, 12, 31)]
            df = build_features(con, dates, progress=True)
            out = len(df)
            steps = df.attrs["riskwarn_build"]["step_seconds"]
        elif phase == "subject":  # what one on-demand score query would build
            dates, calls, n = [dt.date(2024, 12, 31)], [], _subjects(con)
            for k in range(5):
                sid = _ID_FORMAT % ((k * 1_000_003 + 12_345) % n)
                call_t = time.monotonic()
                df = build_features(con, dates, entity_ids=[sid])
                calls.append(round(time.monotonic() - call_t, 2))
            out = {"rows": len(df), "seconds_per_call": calls}
            steps = df.attrs["riskwarn_build"]["step_seconds"]
        else:  # streamed to Parquet, as `riskwarn features build` does
            one = phase == "one_file"
            dates = [dt.date(2024, 12, 31)] if one else [dt.date(2024, m, 1) for m in range(1, 13)]
            target = path.parent / ("matrix_1.parquet" if one else "matrix_12.parquet")
            build_feature_file(con, dates, get_settings(path.parent), path=target, progress=True)
            build = json.loads(target.with_suffix(".summary.json").read_text())["build"]
            out, steps = build["rows"], build["step_seconds"]
    wall = time.monotonic() - t0
    steps = locals().get("steps", {})
    print(json.dumps({
        "phase": phase, "as_of_dates": len(dates), "event_versions": events,
        "output_rows": out, "wall_s": round(wall, 1), "cpu_s": round(_cpu_s() - cpu0, 1),
        "event_rows_per_s": round(events * len(dates) / wall),
        "peak_rss_mib": round(_peak_rss_mib()), "threads": threads,
        "load_avg_1m": round(__import__("os").getloadavg()[0], 1), "step_seconds": steps,
    }))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subjects", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--dir", type=Path, default=Path("var/bench_features"))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--memory", default="6GB")
    ap.add_argument("--phases", default="floor,one,one_file,twelve,subject")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    args = ap.parse_args()
    unknown = set(args.phases.split(",")) - set(_PHASES)
    if unknown:
        ap.error(f"--phases: unknown {sorted(unknown)}; choose from {', '.join(_PHASES)}")
    path = args.dir / f"store_{args.subjects}_{args.events}.duckdb"
    if args.phase:
        run_phase(path, args.phase, args.threads, args.memory)
        return
    if not path.exists():
        generate(path, args.subjects, args.events)
    for phase in args.phases.split(","):
        subprocess.run(
            [sys.executable, __file__, "--subjects", str(args.subjects), "--events",
             str(args.events), "--dir", str(args.dir), "--threads", str(args.threads),
             "--memory", args.memory, "--phase", phase],
            check=True,
        )  # fmt: skip


if __name__ == "__main__":
    main()
