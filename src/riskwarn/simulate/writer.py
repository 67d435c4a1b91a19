"""Contract-format files: CSV (RFC 4180, some with a UTF-8 BOM), CSV.gz, Parquet, JSONL; manifests.

The format of a feed in a delivery is fixed by (seed, feed, delivery), so every chunk's part
file of that feed in that delivery has the same format. Output is byte-deterministic
(gzip mtime 0, no timestamps in Parquet metadata).
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from riskwarn.simulate.calendar import Calendar

__all__ = ["file_format", "write_feed_file", "write_manifests"]

_FORMATS = ("csv", "csv.gz", "parquet", "jsonl")
_BOM = b"\xef\xbb\xbf"


def file_format(seed: int, feed: str, delivery: int) -> tuple[str, bool]:
    """The format (extension) of `feed` in `delivery`, and whether its CSV starts with a BOM."""
    h = hashlib.sha256(f"{seed}:{feed}:{delivery}".encode()).digest()
    u = int.from_bytes(h[:4], "big") / 2**32
    ext = (
        _FORMATS[0]
        if u < 0.4
        else _FORMATS[1]
        if u < 0.65
        else _FORMATS[2]
        if u < 0.85
        else _FORMATS[3]
    )
    return ext, ext.startswith("csv") and h[4] < 77  # ~30% of CSVs carry a BOM


def _csv_bytes(table: pa.Table, bom: bool) -> bytes:
    buf = io.BytesIO()
    if bom:
        buf.write(_BOM)
    pacsv.write_csv(table, buf, pacsv.WriteOptions(quoting_style="needed", include_header=True))
    return buf.getvalue()


def write_feed_file(table: pa.Table, path: Path, ext: str, bom: bool) -> int:
    """Write `table` (contract columns only) to `path` in format `ext`; returns bytes written."""
    if ext == "csv":
        data = _csv_bytes(table, bom)
        path.write_bytes(data)
        return len(data)
    if ext == "csv.gz":
        raw = _csv_bytes(table, bom)
        with (
            path.open("wb") as fh,
            gzip.GzipFile(filename="", mode="wb", fileobj=fh, mtime=0, compresslevel=5) as gz,
        ):
            gz.write(raw)
        return path.stat().st_size
    if ext == "parquet":
        pq.write_table(table, path, compression="snappy")
        return path.stat().st_size
    frame = table.to_pandas()
    text = frame.to_json(orient="records", lines=True, force_ascii=False)
    data = text.encode("utf-8")
    if data and not data.endswith(b"\n"):
        data += b"\n"
    path.write_bytes(data)
    return len(data)


def write_manifests(deliveries_dir: Path, cal: Calendar) -> list[Path]:
    """One folder per delivery with its manifest.json; the first one is the history backfill."""
    folders = []
    for d in range(cal.months + 1):
        folder = deliveries_dir / cal.delivery_name(d)
        folder.mkdir(parents=True, exist_ok=True)
        manifest: dict[str, str | bool] = {
            "delivery_id": cal.delivery_name(d),
            "delivered_at": cal.delivered_at(d).isoformat(timespec="seconds") + "+08:00",
        }
        if d == 0:
            manifest["backfill"] = True
        (folder / "manifest.json").write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        folders.append(folder)
    return folders
