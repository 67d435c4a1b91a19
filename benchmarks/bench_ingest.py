"""Benchmark: `riskwarn ingest` of a simulated province vs DuckDB's bare read of the same files.

    .venv/bin/python benchmarks/bench_ingest.py --data /tmp/prov200k      # an existing province
    .venv/bin/python benchmarks/bench_ingest.py --entities 20000 --months 36  # simulate one first

Prints rows, rows/s, wall seconds, peak RSS (MiB), CPU seconds (user + system) and the load
average when it ended (the machine may be shared: compare CPU seconds) for each; each
measurement runs in its own process so peak RSS is its own. The floor is DuckDB reading every
feed file (read_csv / read_parquet / read_json, all columns as text) and counting rows — no
validation, no writes.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_INGEST = """
import json, resource, sys, time
from pathlib import Path
from riskwarn.config import get_settings
from riskwarn.ingest import ingest
s = get_settings(sys.argv[1])
t = time.monotonic()
reports = ingest([Path(sys.argv[2])], s, progress=True)
print(json.dumps({"rows": sum(r.rows_read for r in reports), "seconds": time.monotonic() - t,
                  "deliveries": len(reports), "rejected": sum(r.rows_rejected for r in reports),
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}))
"""

_FLOOR = """
import json, resource, sys, time
from pathlib import Path
import duckdb
from riskwarn.ingest.delivery import discover_deliveries
con = duckdb.connect(config={"memory_limit": sys.argv[2]})
t = time.monotonic()
rows = 0
for d in discover_deliveries([Path(sys.argv[1])]):
    for f in d.files:
        p = str(f.path).replace("'", "''")
        src = {"csv": f"read_csv('{p}', all_varchar=true, header=true, ignore_errors=true)",
               "csv.gz": f"read_csv('{p}', all_varchar=true, header=true, ignore_errors=true)",
               "parquet": f"read_parquet('{p}')",
               "jsonl": f"read_json('{p}', format='newline_delimited', ignore_errors=true)"}[f.format]
        rows += con.execute(f"SELECT count(*) FROM (SELECT * FROM {src})").fetchone()[0]
print(json.dumps({"rows": rows, "seconds": time.monotonic() - t,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cpu_s": sum(resource.getrusage(resource.RUSAGE_SELF)[:2])}))
"""


def _run(code: str, *args: str) -> tuple[dict, float, float]:
    """Run `code` in a child; returns its JSON result, wall seconds and its own peak RSS MiB."""
    t = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, *args], stdout=subprocess.PIPE, check=True)
    wall = time.monotonic() - t
    result = json.loads(proc.stdout.decode().strip().splitlines()[-1])
    return result, wall, float(result["rss_mib"])


def _print(label: str, result: dict, wall: float, rss: float) -> None:
    rows = result["rows"]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"{label:<28} rows={rows:>12,}  rows/s={rows / wall:>12,.0f}  wall_s={wall:>8.1f}  "
        f"peak_rss_MiB={rss:>8,.0f}  cpu_s={result.get('cpu_s', float('nan')):>8.1f}  "
        f"load_avg_1/5/15m_at_end={load}",
        flush=True,
    )


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--data", type=Path, help="a simulated province (its deliveries/ folder or parent)"
    )
    ap.add_argument("--entities", type=int, help="simulate a province of this many subjects first")
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--home", type=Path, help="data directory for the store (default: a temp dir)")
    ap.add_argument("--memory-limit", default="6GB")
    ap.add_argument(
        "--skip-floor", action="store_true", help="measure the ingest only (no bare-read floor)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
        data = args.data
        if data is None:
            if not args.entities:
                ap.error("give --data DIR or --entities N")
            from riskwarn.simulate import simulate

            data = Path(tmp) / "province"
            t = time.monotonic()
            simulate(data, entities=args.entities, months=args.months, seed=0)
            print(
                f"simulated {args.entities:,} subjects × {args.months} months in "
                f"{time.monotonic() - t:.1f}s → {data}",
                flush=True,
            )
        deliveries = data / "deliveries" if (data / "deliveries").is_dir() else data
        size = sum(p.stat().st_size for p in deliveries.rglob("*") if p.is_file())
        print(f"data: {deliveries} ({size / 2**20:,.0f} MiB on disk)", flush=True)
        # the floor first: it also warms the page cache for both runs alike
        fwall = None
        if not args.skip_floor:
            floor, fwall, frss = _run(_FLOOR, str(deliveries), args.memory_limit)
            _print("duckdb bare read (floor)", floor, fwall, frss)
        home = args.home or Path(tmp) / "home"
        result, wall, rss = _run(_INGEST, str(home), str(deliveries))
        _print("riskwarn ingest", result, wall, rss)
        ratio = f"  ingest/floor wall = {wall / max(fwall, 1e-9):.2f}×" if fwall else ""
        print(
            f"deliveries={result['deliveries']}  rejected={result['rejected']:,}{ratio}",
            flush=True,
        )


if __name__ == "__main__":
    main()
