"""Fixtures of the model tests; the factories live in model_factories.py."""

from __future__ import annotations

from pathlib import Path

import pytest
from model_factories import ToyCatalog, build_province


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One synthetic store shared (read-only) by the model tests."""
    return build_province(tmp_path_factory.mktemp("province") / "store.duckdb")


@pytest.fixture
def toy_catalog() -> ToyCatalog:
    return ToyCatalog()
