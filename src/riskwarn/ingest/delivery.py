"""Delivery folders: finding them, reading manifest.json, classifying files by feed and format.

A delivery is a folder of feed files (`<feed>*.csv|.csv.gz|.parquet|.jsonl`) with an
optional manifest. Its content hash is over (file name, sha256) of the feed files, so
re-delivering the same bytes is recognised and different bytes under the same id are not.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from riskwarn.contract.schema import FEED_NAMES
from riskwarn.errors import DeliveryError
from riskwarn.ingest.timeparse import parse_iso_to_cst

__all__ = [
    "Delivery",
    "DeliveryFile",
    "FileFormat",
    "classify_file",
    "discover_deliveries",
    "estimate_records",
    "hash_file",
    "now_cst",
    "read_delivery",
]

FileFormat = Literal["csv", "csv.gz", "parquet", "jsonl"]
_SUFFIXES: tuple[tuple[str, FileFormat], ...] = (
    (".csv.gz", "csv.gz"),
    (".csv", "csv"),
    (".parquet", "parquet"),
    (".jsonl", "jsonl"),
)
MANIFEST = "manifest.json"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class DeliveryFile:
    """One feed file of a delivery."""

    path: Path
    feed: str
    format: FileFormat

    @property
    def name(self) -> str:
        return self.path.name


@dataclass
class Delivery:
    """A delivery folder with its identity, time and feed files (sorted by feed, then name)."""

    folder: Path
    delivery_id: str
    delivered_at: dt.datetime  # naive China Standard Time
    backfill: bool
    manifest: dict[str, Any] | None
    files: list[DeliveryFile]
    ignored: list[str] = field(default_factory=list)

    def files_of(self, feed: str) -> list[DeliveryFile]:
        return [f for f in self.files if f.feed == feed]


def now_cst() -> dt.datetime:
    """The current time as naive China Standard Time (the store's convention)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + dt.timedelta(hours=8)


def classify_file(name: str) -> tuple[str, FileFormat] | None:
    """(feed, format) of a file named `<feed>*.<ext>`, or None when it is not a feed file."""
    lower = name.lower()
    for suffix, fmt in _SUFFIXES:
        if lower.endswith(suffix):
            # the longest feed name that prefixes the file name
            feeds = [f for f in FEED_NAMES if name.startswith(f)]
            if feeds:
                return max(feeds, key=len), fmt
            return None
    return None


def _is_delivery(folder: Path) -> bool:
    if (folder / MANIFEST).is_file():
        return True
    return any(p.is_file() and classify_file(p.name) for p in folder.iterdir())


def _read_manifest(folder: Path) -> dict[str, Any] | None:
    path = folder / MANIFEST
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DeliveryError(f"{path}: manifest is not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise DeliveryError(f"{path}: manifest must be a JSON object, got {type(data).__name__}")
    return data


def read_delivery(folder: Path, ingest_time: dt.datetime | None = None) -> Delivery:
    """Describe one delivery folder: id and delivered_at from its manifest, else folder name and now."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DeliveryError(f"{folder}: not a folder")
    manifest = _read_manifest(folder)
    delivery_id = folder.name
    delivered_at = ingest_time or now_cst()
    backfill = False
    if manifest is not None:
        raw_id = manifest.get("delivery_id", folder.name)
        if not isinstance(raw_id, str) or not raw_id.strip():
            raise DeliveryError(
                f"{folder / MANIFEST}: delivery_id must be a non-empty string, got {raw_id!r}"
            )
        delivery_id = raw_id.strip()
        if "delivered_at" in manifest:
            raw_at = manifest["delivered_at"]
            parsed = parse_iso_to_cst(raw_at) if isinstance(raw_at, str) else None
            if parsed is None:
                raise DeliveryError(
                    f"{folder / MANIFEST}: delivered_at {raw_at!r} is not an ISO 8601 time "
                    "(e.g. 2024-05-01T02:00:00+08:00)"
                )
            delivered_at = parsed
        raw_backfill = manifest.get("backfill", False)
        if not isinstance(raw_backfill, bool):
            raise DeliveryError(
                f"{folder / MANIFEST}: backfill must be true or false, got {raw_backfill!r}"
            )
        backfill = raw_backfill
    files: list[DeliveryFile] = []
    ignored: list[str] = []
    for p in sorted(folder.iterdir()):
        if not p.is_file() or p.name == MANIFEST:
            continue
        kind = classify_file(p.name)
        if kind is None:
            ignored.append(p.name)
        else:
            files.append(DeliveryFile(p, kind[0], kind[1]))
    files.sort(key=lambda f: (FEED_NAMES.index(f.feed), f.name))
    return Delivery(folder, delivery_id, delivered_at, backfill, manifest, files, ignored)


def discover_deliveries(paths: Iterable[Path]) -> list[Delivery]:
    """Every delivery under `paths` (each a delivery folder or a folder of them), by delivered_at."""
    ingest_time = now_cst()
    found: list[Delivery] = []
    for path in paths:
        path = Path(path)
        if not path.is_dir():
            raise DeliveryError(
                f"{path}: not a folder (expected a delivery folder or a folder of them)"
            )
        if _is_delivery(path):
            found.append(read_delivery(path, ingest_time))
            continue
        subs = [p for p in sorted(path.iterdir()) if p.is_dir() and _is_delivery(p)]
        if not subs:
            raise DeliveryError(
                f"{path}: holds no delivery (no manifest.json and no <feed>*.csv/.csv.gz/.parquet/"
                f".jsonl files; feeds are {', '.join(FEED_NAMES)})"
            )
        found.extend(read_delivery(p, ingest_time) for p in subs)
    _check_unique(found)
    return sorted(found, key=lambda d: (d.delivered_at, d.delivery_id))


def _check_unique(deliveries: Sequence[Delivery]) -> None:
    seen: dict[str, Path] = {}
    for d in deliveries:
        if d.delivery_id in seen and seen[d.delivery_id].resolve() != d.folder.resolve():
            raise DeliveryError(
                f"delivery id {d.delivery_id!r} is used by two folders: {seen[d.delivery_id]} and {d.folder}"
            )
        seen[d.delivery_id] = d.folder


def hash_file(path: Path) -> tuple[str, int]:
    """(sha256 hex, size in bytes) of a file."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)  # releases the GIL: hashing runs beside DuckDB's work
            size += len(chunk)
    return digest.hexdigest(), size


def estimate_records(path: Path, fmt: FileFormat) -> int:
    """Records in a feed file, estimated from a glance at it (it only sizes ingest's batches and
    the progress display's ETA): text files' newlines (counted in the first MiB and scaled by
    the file size), gzip's likewise over the decompressed size, a Parquet file's row count."""
    try:
        size = path.stat().st_size
        if fmt == "parquet":
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        if fmt == "csv.gz":
            lines = _gzip_lines_estimate(path, size)
        else:
            with open(path, "rb") as fh:
                head = fh.read(_CHUNK)
            lines = head.count(b"\n")
            if len(head) < size:
                lines = round(lines * size / len(head))
    except Exception:  # noqa: BLE001 - a file that cannot be read is reported by the reader
        return 0
    return max(lines - 1, 0) if fmt != "jsonl" else lines  # CSV header


def _gzip_lines_estimate(path: Path, size: int) -> int:
    """Newlines in a gzip file, estimated without decompressing all of it: the first MiB's
    newline density times the decompressed size its trailer records (ISIZE, modulo 2**32)."""
    try:
        with gzip.open(path, "rb") as gz:
            head = gz.read(_CHUNK)
        with open(path, "rb") as fh:
            fh.seek(max(size - 4, 0))
            isize = int.from_bytes(fh.read(4), "little")
    except (OSError, EOFError):
        return 0  # a corrupt archive is reported by the reader
    if len(head) < _CHUNK or isize <= len(head):
        return head.count(b"\n")
    return round(head.count(b"\n") * isize / len(head))
