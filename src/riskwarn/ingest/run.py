"""`ingest(paths, settings)`: every delivery under the paths, in delivered_at order, one at a time."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from riskwarn.config import Settings
from riskwarn.ingest.delivery import discover_deliveries
from riskwarn.ingest.load import hash_delivery, load_delivery
from riskwarn.ingest.report import DeliveryReport
from riskwarn.progress import RowProgress
from riskwarn.store import connect

__all__ = ["ingest"]


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
        if not progress:
            return [load_delivery(con, d, settings) for d in deliveries]
        hashes = [hash_delivery(d) for d in deliveries]  # hashed once; also sizes the ETA
        reports: list[DeliveryReport] = []
        with RowProgress("ingest", total=sum(h[2] for h in hashes) or None) as bar:
            for d, h in zip(deliveries, hashes, strict=True):
                reports.append(load_delivery(con, d, settings, bar, hashed=h))
        return reports
    finally:
        con.close()
