"""Engine adapters: the only engine-specific code of the feature builders.

Builders speak Ibis; an adapter gives them tables, a small as-of table, a way to
materialise an intermediate result and a way to stream the output as Arrow. The
DuckDB adapter works on an open store connection. (A Spark adapter, with the same
methods, belongs to the scale issue.)
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import duckdb
import pyarrow as pa

from riskwarn.store.pit import as_of_cutoff

__all__ = ["Chunks", "DuckDBEngine", "Engine"]

# an expression with integer parameters (ibis.param) and the values of each run of it
Chunks = tuple[Any, Sequence[Mapping[Any, int]]]

_EPOCH = dt.date(1970, 1, 1)
# rows per Arrow batch of arrow_readers (a Parquet row group each); two are out of the
# engine while a file is written (matrix_files._prefetched): about 0.9 GB at 106 columns
_BATCH_ROWS = 500_000
_counter = itertools.count()
# the optimizer that may swap a join's sides; see DuckDBEngine
_KEEP_BUILD_SIDE = "build_side_probe_side"


class Engine(Protocol):
    """What a builder needs from an engine."""

    def table(self, name: str) -> Any: ...
    def has_table(self, name: str) -> bool: ...
    def as_of_table(self, dates: Sequence[dt.date]) -> Any: ...
    def materialize(self, expr: Any, label: str) -> Any: ...
    def release(self, table: Any) -> None: ...
    def arrow_readers(self, chunked: Iterable[Chunks]) -> Iterator[pa.RecordBatchReader]: ...
    def scratch_dir(self) -> Path | None: ...
    def scalar_rows(self, expr: Any) -> list[tuple[Any, ...]]: ...
    def close(self) -> None: ...


class DuckDBEngine:
    """Ibis over an existing DuckDB connection; intermediates are TEMP tables.

    Works on read-only connections too (DuckDB allows temp tables there). Ibis 12's
    `list_tables`/`sql` call a DuckDB method that DuckDB 2.0 removed, so this adapter
    looks tables up through DuckDB itself and only uses `backend.table` and execution.

    While it is open, `preserve_insertion_order` is off (no builder relies on row order,
    and keeping it costs memory in big CREATE TABLE AS and COPY), and so is DuckDB's
    `build_side_probe_side` optimizer: builders write every join as `big.join(lookup)`,
    and DuckDB, misled by its estimates after filters, would otherwise build the hash
    table on the big side with its every payload column (at 1M subjects the complaints
    prepared-versions query took 4.0 CPU-s instead of 2.45). `close` restores both.
    Memory limit and spill directory are the connection's (store/connection.py).
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        import ibis

        self.con = con
        self.backend = ibis.duckdb.from_connection(con)
        self._prefix = f"_rw_feat_{next(_counter)}_"
        self._temps: list[str] = []
        [(self._insertion_order,)] = con.execute(
            "SELECT current_setting('preserve_insertion_order')"
        ).fetchall()
        con.execute("SET preserve_insertion_order = false")
        [(self._disabled,)] = con.execute(
            "SELECT current_setting('disabled_optimizers')"
        ).fetchall()
        off = [o for o in self._disabled.split(",") if o.strip()] + [_KEEP_BUILD_SIDE]
        con.execute(f"SET disabled_optimizers = '{','.join(dict.fromkeys(off))}'")

    def table(self, name: str) -> Any:
        """An Ibis table over store table/view `name`."""
        import warnings

        with warnings.catch_warnings():  # Ibis 12 reads the schema via a deprecated DuckDB call
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.backend.table(name)

    def has_table(self, name: str) -> bool:
        """Whether a table or view `name` exists (e.g. text_scores before text scoring ran)."""
        row = self.con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name = ? "
            "UNION ALL SELECT count(*) FROM duckdb_views() WHERE view_name = ?",
            [name, name],
        ).fetchall()
        return sum(r[0] for r in row) > 0

    def as_of_table(self, dates: Sequence[dt.date]) -> Any:
        """A temp table (as_of DATE, cutoff TIMESTAMP, as_of_day INTEGER) of the as-of dates.

        cutoff follows store/pit.py (known_at < as_of + 1 day); as_of_day is days since
        1970-01-01, computed once here so every window is integer arithmetic.
        """
        name = self._name("as_of")
        self.con.execute(
            f"CREATE TEMP TABLE {name} (as_of DATE, cutoff TIMESTAMP, as_of_day INTEGER)"
        )
        rows = [(d, as_of_cutoff(d), (d - _EPOCH).days) for d in sorted(set(dates))]
        self.con.executemany(f"INSERT INTO {name} VALUES (?, ?, ?)", rows)
        self._temps.append(name)
        return self.table(name)

    def materialize(self, expr: Any, label: str) -> Any:
        """Run `expr` into a temp table and return an Ibis table over it."""
        import ibis

        name = self._name(label)
        sql = ibis.to_sql(expr, dialect="duckdb")
        self.con.execute(f"CREATE TEMP TABLE {name} AS {sql}")
        self._temps.append(name)
        return self.table(name)

    def release(self, table: Any) -> None:
        """Drop a table `materialize` made, once no later step reads it (frees its memory)."""
        name = table.get_name()
        if name in self._temps:
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
            self._temps.remove(name)

    def arrow_readers(self, chunked: Iterable[Chunks]) -> Iterator[pa.RecordBatchReader]:
        """Run each expression once per binding of its integer parameters (chunks of one
        result), one at a time, each streamed as Arrow record batches of at most
        `_BATCH_ROWS` rows. A single query over their UNION ALL would let DuckDB build every
        chunk's join tables first (it spilled GBs). `chunked` may be a generator that builds
        more work between expressions; a reader is valid until the next. An expression is
        compiled once (Ibis took 0.5 s for the assembly's 86 KB of SQL: 36 s for the 72
        chunks of 12 dates at 6M), its parameters then written into the SQL.
        """
        for expr, bindings in chunked:
            template = _SqlTemplate(expr, list(bindings[0]) if bindings else [])
            for binding in bindings:
                yield self.con.sql(template.sql(binding)).to_arrow_reader(_BATCH_ROWS)

    def scratch_dir(self) -> Path | None:
        """DuckDB's spill directory (created if missing), for files a build spools."""
        [(temp,)] = self.con.execute("SELECT current_setting('temp_directory')").fetchall()
        if not temp:
            return None
        Path(temp).mkdir(parents=True, exist_ok=True)
        return Path(temp)

    def scalar_rows(self, expr: Any) -> list[tuple[Any, ...]]:
        """Execute a small expression and return its rows as tuples."""
        import ibis

        return self.con.execute(ibis.to_sql(expr, dialect="duckdb")).fetchall()

    def close(self) -> None:
        """Drop this engine's temp tables (the connection stays open)."""
        for name in reversed(self._temps):
            self.con.execute(f"DROP TABLE IF EXISTS {name}")
        self._temps.clear()
        self.con.execute(f"SET preserve_insertion_order = {bool(self._insertion_order)}")
        self.con.execute(f"SET disabled_optimizers = '{self._disabled}'")
        self._give_back_memory()

    def _give_back_memory(self) -> None:
        """Make DuckDB return the memory of dropped tables to the system.

        DuckDB keeps freed blocks (and cached blocks of the store) until it needs room:
        after a 6M-subject build that was 6 GB still held while pandas read the matrix.
        Lowering the limit for a moment makes it evict and free them; the limit is then
        restored. Best effort: memory still in use elsewhere stays.
        """
        [(limit,)] = self.con.execute("SELECT current_setting('memory_limit')").fetchall()
        try:
            self.con.execute("SET memory_limit = '64MB'")
        except duckdb.Error:
            pass
        finally:
            self.con.execute(f"SET memory_limit = '{limit}'")

    def _name(self, label: str) -> str:
        return f"{self._prefix}{label}"


class _SqlTemplate:
    """An expression's SQL compiled once, its integer parameters as marks to fill in."""

    _MARK = -7_918_273_645_500  # compiled in place of the first parameter, then -…501, …

    def __init__(self, expr: Any, params: Sequence[Any]) -> None:
        import ibis

        marks = {p: self._MARK - n for n, p in enumerate(params)}
        sql = ibis.to_sql(expr, dialect="duckdb", params=marks)
        by_text = {str(m): p for p, m in marks.items()}
        pattern = "|".join(re.escape(t) for t in by_text)
        pieces = re.split(f"(?<![0-9])({pattern})(?![0-9])", sql) if pattern else [sql]
        # even pieces are SQL, odd ones the parameter whose value goes there
        self._pieces = [by_text[x] if n % 2 else x for n, x in enumerate(pieces)]

    def sql(self, binding: Mapping[Any, int]) -> str:
        """The SQL with each parameter's value (in parentheses, so a negative one cannot
        follow a minus sign as a comment)."""
        return "".join(f"({int(binding[x])})" if n % 2 else x for n, x in enumerate(self._pieces))
