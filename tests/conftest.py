"""Shared fixtures: every test runs with a clean environment and its own data directory."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def clean_environ(tmp_path: Path) -> Iterator[None]:
    """Keep os.environ as it was, with RISKWARN_* unset and a private home per test."""
    saved = dict(os.environ)
    for key in list(os.environ):
        if key.startswith("RISKWARN_") or key == "MLFLOW_TRACKING_URI":
            del os.environ[key]
    os.environ["RISKWARN_HOME"] = str(tmp_path / "home")
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)
