"""`ingest(paths, settings)`: every delivery under the paths, in delivered_at order, one at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb

from riskwarn.config import Settings
from riskwarn.ingest.delivery import Delivery, discover_deliveries
from riskwarn.ingest.load import hash_delivery, load_delivery
from riskwarn.ingest.report import DeliveryReport
from riskwarn.progress import RowProgress
from riskwarn.store import connect

__all__ = ["ingest"]

# DuckDB checkpoints whenever the WAL passes 16 MB by default, which puts a 1-4 s rewrite of
# the growing version tables into most deliveries' COMMIT; during ingest it checkpoints only
# every ~1 GB of WAL (bounding un-checkpointed data) and once at the end. Commits stay atomic:
# the WAL is written at COMMIT and replayed on the next open.
_INGEST_CHECKPOINT_THRESHOLD = "1GB"


def ingest(
    paths: Sequence[Path], settings: Settings, progress: bool = True
) -> list[DeliveryReport]:
    """Ingest delivery folders (or folders of them) into settings.store_path.

    Deliveries go in delivered_at order, each in its own transaction; one already in the
    store with the same content is reported as such and changes nothing.
    """
    deliveries = discover_deliveries(paths)
    con = connect(settings)
    try:
        con.execute(f"SET checkpoint_threshold = '{_INGEST_CHECKPOINT_THRESHOLD}'")
        reports = _ingest_all(con, deliveries, settings, progress)
        con.execute("CHECKPOINT")
        return reports
    finally:
        con.close()


def _ingest_all(
    con: duckdb.DuckDBPyConnection,
    deliveries: Sequence[Delivery],
    settings: Settings,
    progress: bool,
) -> list[DeliveryReport]:
    """Load each delivery in turn, with a progress bar sized by the deliveries' line counts."""
    if not progress:
        return [load_delivery(con, d, settings) for d in deliveries]
    hashes = [hash_delivery(d) for d in deliveries]  # hashed once; also sizes the ETA
    reports: list[DeliveryReport] = []
    with RowProgress("ingest", total=sum(h[2] for h in hashes) or None) as bar:
        for d, h in zip(deliveries, hashes, strict=True):
            reports.append(load_delivery(con, d, settings, bar, hashed=h))
    return reports
