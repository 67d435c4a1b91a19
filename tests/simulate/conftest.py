"""A small simulated province shared by the simulator's tests, and a plain reader of its files."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import json
from collections.abc import Callable
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from riskwarn.simulate import SimulationSummary, simulate

Row = dict[str, str | None]


def read_rows(path: Path) -> tuple[list[str], list[Row]]:
    """Header and rows of one delivered file, every value as text ('' and null read as None)."""
    name = path.name
    if name.endswith(".parquet"):
        table = pq.read_table(path)
        rows = [
            {k: (None if v in (None, "") else str(v)) for k, v in r.items()}
            for r in table.to_pylist()
        ]
        return table.column_names, rows
    if name.endswith(".jsonl"):
        lines = path.read_text(encoding="utf-8").splitlines()
        rows = [
            {k: (None if v in (None, "") else str(v)) for k, v in json.loads(x).items()}
            for x in lines
        ]
        return (list(rows[0]) if rows else []), rows
    raw = gzip.decompress(path.read_bytes()) if name.endswith(".gz") else path.read_bytes()
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header = next(reader)
    rows = [
        {k: (v if v != "" else None) for k, v in zip(header, rec, strict=True)} for rec in reader
    ]
    return header, rows


@pytest.fixture(scope="session")
def small_sim(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, SimulationSummary]:
    """1,500 subjects × 4 months in two chunks, with a high dirt rate so every kind shows up."""
    out = tmp_path_factory.mktemp("sim") / "province"
    summary = simulate(
        out,
        entities=1500,
        months=4,
        seed=11,
        dirt_rate=0.04,
        workers=1,
        chunk_size=800,
        progress=False,
        start=dt.date(2023, 1, 1),
    )
    return out, summary


@pytest.fixture(scope="session")
def reader() -> Callable[[Path], tuple[list[str], list[Row]]]:
    return read_rows
