"""Fixtures for ingest tests: settings with a private data directory, a store reader."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from riskwarn.config import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    s = get_settings(tmp_path / "home")
    return s.model_copy(update={"threads": 2, "memory_limit": "1GB"})


def query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    """Run a read-only query against the store."""
    con = duckdb.connect(str(settings.store_path), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()
