"""Benchmark `riskwarn simulate`: entities, events, rows/s, wall time and peak RSS.

    .venv/bin/python benchmarks/bench_simulate.py --entities 200000 --months 36 --out /tmp/sim-bench

Peak RSS is the largest of this process and its worker processes (getrusage of self and children).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import sys
import time
from pathlib import Path

from riskwarn.simulate import simulate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--entities", type=int, default=20_000)
    parser.add_argument("--months", type=int, default=36)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=0, help="0 = up to 2 processes")
    parser.add_argument("--out", type=Path, default=Path("var/bench/simulate"))
    parser.add_argument(
        "--keep", action="store_true", help="keep an existing --out by refusing to overwrite"
    )
    args = parser.parse_args(argv)
    if args.out.exists() and not args.keep:
        shutil.rmtree(args.out)
    t0 = time.perf_counter()
    summary = simulate(
        args.out,
        entities=args.entities,
        months=args.months,
        seed=args.seed,
        workers=args.workers or None,
    )
    wall = time.perf_counter() - t0
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    cpu = sum(
        getattr(resource.getrusage(w), f)
        for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
        for f in ("ru_utime", "ru_stime")
    )
    rows = sum(summary.rows.values())
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file()) / 2**20
    print(f"entities        {summary.entities:,}")
    print(f"months          {summary.months} (+12 history months in the backfill)")
    print(f"events          {summary.events:,}")
    print(f"rows written    {rows:,} (entities feed included)")
    print(f"rows/s          {rows / wall:,.0f}")
    print(f"wall s          {wall:,.1f}")
    print(f"cpu s           {cpu:,.1f}")
    print(
        f"peak RSS MiB    {max(rss_self, rss_children):,.0f} (parent {rss_self:,.0f}, largest worker {rss_children:,.0f})"
    )
    print(f"output MiB      {size:,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
