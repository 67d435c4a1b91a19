"""`ingest(paths, settings)`: every delivery under the paths, in delivered_at order, one at a time."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from riskwarn.config import Settings
from riskwarn.ingest.delivery import Delivery, discover_deliveries
from riskwarn.ingest.link import relink
from riskwarn.ingest.load import (
    PreparedDeliveries,
    estimate_delivery,
    hash_delivery,
    prepare_deliveries,
    store_batch,
)
from riskwarn.ingest.report import DeliveryReport
from riskwarn.progress import NullProgress, RowProgress
from riskwarn.store import connect

__all__ = ["ingest"]

# DuckDB checkpoints whenever the WAL passes 16 MB by default, which puts a 1-4 s rewrite of
# the growing version tables into most deliveries' COMMIT; during ingest it checkpoints only
# every ~1 GB of WAL (bounding un-checkpointed data) and once at the end. Commits stay atomic:
# the WAL is written at COMMIT and replayed on the next open.
_INGEST_CHECKPOINT_THRESHOLD = "1GB"

# deliveries are read and validated together up to this many (estimated) records: enough to
# pay the fixed costs of scans and statements (and the batch's one look-up of its name keys
# in the registry, which grows with the store) once for several deliveries, few enough that
# the batch's validated rows stay well inside the memory limit (a first backfill, one
# delivery, is usually far bigger anyway)
BATCH_RECORDS = 4_000_000


def ingest(
    paths: Sequence[Path], settings: Settings, progress: bool = True
) -> list[DeliveryReport]:
    """Ingest delivery folders (or folders of them) into settings.store_path.

    Deliveries go in delivered_at order, each in its own transaction (read and validated a
    batch at a time beforehand); one already in the store with the same content is reported
    as such and changes nothing. Stored rows whose name link the run's registry changes
    altered are re-linked once, at the end (link.py).
    """
    deliveries = discover_deliveries(paths)
    con = connect(settings)
    try:
        con.execute(f"SET checkpoint_threshold = '{_INGEST_CHECKPOINT_THRESHOLD}'")
        try:
            reports = _ingest_all(con, deliveries, settings, progress)
        except Exception:
            # the deliveries committed before the failure still get their re-linking (after
            # an interrupt or a kill, the next run does it)
            with contextlib.suppress(duckdb.Error):
                relink(con)
            raise
        relink(con)  # once per run: stored rows whose name key the deliveries changed
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
    """Load the deliveries a batch at a time, with a progress bar sized by their estimated
    records. Files are hashed (for the ledger) in one thread, ahead of the batch that needs
    them; the next batch is read and validated in another, on a cursor of the store's
    instance, while this one is stored (the stored part waits on its commits' writes and
    inserts on one core, the preparing part reads on both)."""
    records = [estimate_delivery(d) for d in deliveries]
    batches = _batches(deliveries, records)
    reports: list[DeliveryReport] = []
    hash_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rw-hash")
    prep_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="rw-prepare")
    cursor = con.cursor()
    ahead: Future[PreparedDeliveries] | None = None
    try:
        hashes = [hash_pool.submit(hash_delivery, d) for d in deliveries]

        def prepare(k: int) -> PreparedDeliveries:
            return prepare_deliveries(
                cursor,
                [deliveries[i] for i in batches[k]],
                [hashes[i].result() for i in batches[k]],
                settings,
                f"rw_batch_{k}",
            )

        with (
            RowProgress("ingest", total=sum(records) or None) if progress else NullProgress() as bar
        ):
            ahead = prep_pool.submit(prepare, 0) if batches else None
            for k in range(len(batches)):
                assert ahead is not None
                prepared = ahead.result()
                ahead = prep_pool.submit(prepare, k + 1) if k + 1 < len(batches) else None
                reports += store_batch(con, prepared, bar)
    finally:
        if ahead is not None:  # an error stopped the run: stop and free the batch being read
            cursor.interrupt()
            with contextlib.suppress(BaseException):
                if (p := ahead.result()).batch is not None:
                    p.batch.drop(cursor)
        prep_pool.shutdown(wait=True, cancel_futures=True)
        hash_pool.shutdown(wait=True, cancel_futures=True)  # an error stops the hashing too
        cursor.close()
    return reports


def _batches(deliveries: Sequence[Delivery], records: Sequence[int]) -> list[list[int]]:
    """Consecutive runs of deliveries of at most BATCH_RECORDS estimated records (at least one
    delivery each), a run ending before a delivery id it already holds (a folder given twice
    must be found already ingested after its first time commits)."""
    batches: list[list[int]] = []
    current: list[int] = []
    ids: set[str] = set()
    size = 0
    for i, d in enumerate(deliveries):
        if current and (size + records[i] > BATCH_RECORDS or d.delivery_id in ids):
            batches.append(current)
            current, ids, size = [], set(), 0
        current.append(i)
        ids.add(d.delivery_id)
        size += records[i]
    if current:
        batches.append(current)
    return batches
