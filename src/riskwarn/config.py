"""One settings object for every process riskwarn starts; nothing happens at import time."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings", "disable_telemetry", "get_settings"]


def disable_telemetry() -> None:
    """Turn off MLflow's usage telemetry: a government system must not call outside hosts."""
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ["DO_NOT_TRACK"] = "true"


class Settings(BaseSettings):
    """Where riskwarn keeps its state; every path derives from `home` (RISKWARN_HOME)."""

    model_config = SettingsConfigDict(env_prefix="RISKWARN_", env_file=".env", extra="ignore")

    home: Path = Field(default=Path("var"), description="the one data directory")
    threads: int = Field(default=0, ge=0, description="DuckDB threads; 0 = all cores")
    memory_limit: str = Field(default="6GB", description="DuckDB memory limit")
    future_tolerance_hours: float = Field(
        default=48.0, ge=0, description="how far a row's date may lie after its delivery"
    )
    grades_file: Path | None = Field(
        default=None,
        description="warning levels and credit classes (YAML); None = the packaged grades.yaml",
    )

    @cached_property
    def store_path(self) -> Path:
        """The embedded DuckDB store."""
        return self.home / "store" / "riskwarn.duckdb"

    @cached_property
    def features_dir(self) -> Path:
        return self.home / "features"

    @cached_property
    def mlflow_dir(self) -> Path:
        return self.home / "mlflow"

    @cached_property
    def exports_dir(self) -> Path:
        return self.home / "exports"

    def ensure_dirs(self) -> None:
        """Create the data directory tree (called by commands, never at import)."""
        for d in (self.store_path.parent, self.features_dir, self.mlflow_dir, self.exports_dir):
            d.mkdir(parents=True, exist_ok=True)


def get_settings(home: Path | str | None = None) -> Settings:
    """Settings from the environment, with `home` overriding RISKWARN_HOME when given."""
    disable_telemetry()
    if home is not None:
        return Settings(home=Path(home))
    return Settings()
