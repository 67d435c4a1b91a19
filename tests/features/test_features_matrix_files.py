"""Matrix files are written from readers pulled one batch ahead on a producer thread: every
row arrives once and in order, at most two batches are out of the engine, and a failure on
either side stops both threads and leaves no file.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from riskwarn.features.matrix_files import write_parquet

SCHEMA = pa.schema([("as_of_day", pa.int32()), ("_sid", pa.int32()), ("x", pa.float64())])


class Engine:
    """Readers over numbered rows that count the batches pulled from them."""

    def __init__(self, sizes: list[list[int]]) -> None:
        self.sizes = sizes
        self.pulled = 0
        self.lock = threading.Lock()

    def readers(self) -> Iterator[pa.RecordBatchReader]:
        first = 0
        for chunk in self.sizes:
            batches = []
            for n in chunk:
                ids = list(range(first, first + n))
                first += n
                batches.append(
                    pa.RecordBatch.from_pydict(
                        {"as_of_day": [1] * n, "_sid": ids, "x": [i / 2 for i in ids]}, SCHEMA
                    )
                )
            yield pa.RecordBatchReader.from_batches(SCHEMA, self._counted(batches))

    def _counted(self, batches: list[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for b in batches:
            with self.lock:
                self.pulled += 1
            yield b


def _producers_alive() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "riskwarn_batches"]


@settings(max_examples=40, deadline=None)
@given(sizes=st.lists(st.lists(st.integers(1, 7), max_size=4), max_size=5))
def test_every_row_is_written_once_in_order_with_at_most_two_batches_out(
    sizes: list[list[int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    engine = Engine(sizes)
    seen: list[int] = []
    out_of_engine: list[int] = []

    def observe(batch: pa.RecordBatch) -> None:  # the batch being written
        out_of_engine.append(engine.pulled - len(seen))
        seen.append(batch.num_rows)

    target = tmp_path_factory.mktemp("m") / "m.parquet"
    write_parquet(engine.readers(), target, {"k": "v"}, drop=("as_of_day",), on_batch=observe)
    rows = sum(sum(c) for c in sizes)
    if any(sizes):  # a file exists once some reader has a schema
        table = pq.read_table(target)
        assert table.column_names == ["_sid", "x"]
        assert table.column("_sid").to_pylist() == list(range(rows))
        assert table.schema.metadata[b"k"] == b"v"
    assert seen == [n for chunk in sizes for n in chunk]
    assert all(n <= 2 for n in out_of_engine), out_of_engine
    assert not _producers_alive()


def test_a_failed_writer_stops_the_producer_and_leaves_no_file(tmp_path: Path) -> None:
    engine = Engine([[3] * 50])

    def observe(batch: pa.RecordBatch) -> None:
        if batch.column("_sid")[0].as_py() == 6:  # the third batch
            raise ValueError("the summary failed")

    target = tmp_path / "m.parquet"
    with pytest.raises(ValueError, match="summary failed"):
        write_parquet(engine.readers(), target, {}, on_batch=observe)
    assert not target.exists()
    assert not _producers_alive()
    assert engine.pulled <= 5  # the failed batch, the one after, and no more than one in flight
