"""`riskwarn info`: where state lives, what is installed, and that telemetry is off."""

from __future__ import annotations

import json
import platform
from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Any

import typer

from riskwarn.cli.common import HomeOption
from riskwarn.config import get_settings

__all__ = ["collect_info", "register"]

_PACKAGES = (
    "numpy",
    "pandas",
    "pyarrow",
    "duckdb",
    "ibis-framework",
    "scikit-learn",
    "lightgbm",
    "shap",
    "mlflow",
    "fastapi",
    "apscheduler",
)


def _version(name: str) -> str:
    try:
        return version(name)
    except PackageNotFoundError:
        return "not installed"


def collect_info(home: Any = None) -> dict[str, Any]:
    """Settings, package versions and MLflow's own verdict on whether telemetry is disabled."""
    settings = get_settings(home)
    from mlflow.telemetry.utils import is_telemetry_disabled

    return {
        "riskwarn": _version("riskwarn"),
        "python": platform.python_version(),
        "home": str(settings.home.resolve()),
        "store": str(settings.store_path.resolve()),
        "mlflow_dir": str(settings.mlflow_dir.resolve()),
        "mlflow_telemetry_disabled": bool(is_telemetry_disabled()),
        "packages": {name: _version(name) for name in _PACKAGES},
    }


def register(app: typer.Typer) -> None:
    """Add `info` to the main app."""

    @app.command("info")
    def info(
        home: HomeOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    ) -> None:
        """环境信息 / Environment: data directory, versions, telemetry status."""
        data = collect_info(home)
        if as_json:
            typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
            return
        from rich.console import Console
        from rich.table import Table

        table = Table(title="riskwarn 环境 / environment")
        table.add_column("项目 / item")
        table.add_column("值 / value")
        for key, value in data.items():
            if key != "packages":
                table.add_row(key, str(value))
        for name, ver in data["packages"].items():
            table.add_row(name, ver)
        Console().print(table)
