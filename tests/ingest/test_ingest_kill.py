"""Atomicity: a process killed (SIGKILL) in the middle of a delivery leaves the store as before."""

from __future__ import annotations

import datetime as dt
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from tests.ingest.factories import DeliverySpec, clean_row, make_uscc, write_delivery
from tests.ingest.test_ingest_properties import snapshot

from riskwarn.contract.schema import FEEDS
from riskwarn.ingest import ingest

# runs ingest in a child process that stops for good inside the delivery's transaction, after
# every feed's versions and quarantine rows are written and before the ledger row and COMMIT
CHILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import riskwarn.ingest.load as load
    from riskwarn.config import get_settings
    from riskwarn.ingest import ingest

    real_defer = load.defer_relink
    def defer_then_hang(con, *args, **kwargs):
        real_defer(con, *args, **kwargs)
        Path(sys.argv[3]).write_text("inside the transaction")
        time.sleep(600)
    load.defer_relink = defer_then_hang
    s = get_settings(sys.argv[1]).model_copy(update={"threads": 2, "memory_limit": "1GB"})
    ingest([Path(sys.argv[2])], s, progress=False)
    """
)


def _delivery(delivery_id: str, at: dt.datetime, seed: int, n: int) -> DeliverySpec:
    rng = random.Random(seed)
    ids = [make_uscc(rng) for _ in range(50)]
    rows = {
        "entities": [clean_row(FEEDS["entities"], rng, i, at.date(), ids) for i in ids],
        "complaints": [
            clean_row(FEEDS["complaints"], rng, f"c{k}", at.date(), ids) for k in range(n)
        ],
        "inspections": [
            clean_row(FEEDS["inspections"], rng, f"i{k}", at.date(), ids) for k in range(n)
        ],
    }
    rows["complaints"][0]["entity_id"] = "not-a-uscc"  # something for the quarantine too
    return DeliverySpec(delivery_id, at, rows, formats={"inspections": "parquet"})


@pytest.mark.slow
def test_sigkill_inside_a_delivery_leaves_the_store_as_before(tmp_path, settings) -> None:
    first = write_delivery(tmp_path / "in", _delivery("d1", dt.datetime(2024, 1, 1, 2), 1, 500))
    second = write_delivery(tmp_path / "in", _delivery("d2", dt.datetime(2024, 2, 1, 2), 2, 20000))
    ingest([first], settings, progress=False)
    before = snapshot(settings)
    marker = tmp_path / "inside"
    root = Path(__file__).resolve().parents[2]  # the child runs this checkout's code
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(root / "src"), str(root)]))
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(settings.home), str(second), str(marker)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()[1].decode()
            assert time.monotonic() < deadline, "child never reached the middle of the delivery"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert snapshot(settings) == before
    # and the store is healthy: the delivery goes in cleanly afterwards
    [report] = ingest([second], settings, progress=False)
    assert report.status == "ingested" and report.rows_accepted == 50 + 2 * 20000 - 1
