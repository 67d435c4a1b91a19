"""Opening the embedded store: one DuckDB file under the data directory, schema ensured."""

from __future__ import annotations

import contextlib

import duckdb

from riskwarn.config import Settings
from riskwarn.errors import StoreError
from riskwarn.store.schema import create_schema

__all__ = ["connect"]


def connect(settings: Settings, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open settings.store_path (creating it and its schema unless read_only).

    Threads, memory limit and the spill directory come from the settings, so big deliveries
    stay within the memory budget.
    """
    path = settings.store_path
    if read_only and not path.exists():
        raise StoreError(
            f"no store at {path}; run `riskwarn ingest DIR…` first (data directory {settings.home})"
        )
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": settings.memory_limit
    }
    if settings.threads:
        config["threads"] = settings.threads
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(path.parent / "tmp")
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=config)
    except duckdb.IOException as exc:
        raise StoreError(
            f"cannot open the store {path}: {exc} (another riskwarn process may hold it)"
        ) from exc
    # without ICU, TIMESTAMPTZ text keeps its explicit offset, which ingest parses anyway
    with contextlib.suppress(duckdb.Error):
        con.execute("SET TimeZone = 'Asia/Shanghai'")
    if not read_only:
        create_schema(con)
    return con
