"""The CLI starts, documents itself, and every process it starts has MLflow telemetry off."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "riskwarn.cli.main", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def _env_without_telemetry_switches(home: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "CI")
    }
    env["RISKWARN_HOME"] = str(home)
    return env


def test_info_reports_telemetry_disabled_even_when_environment_does_not(tmp_path: Path) -> None:
    result = _run(["info", "--json"], _env_without_telemetry_switches(tmp_path / "h"))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mlflow_telemetry_disabled"] is True
    assert data["home"] == str((tmp_path / "h").resolve())


def test_help_names_every_stage(tmp_path: Path) -> None:
    result = _run(["--help"], _env_without_telemetry_switches(tmp_path))
    assert result.returncode == 0, result.stderr
    for command in ("simulate", "ingest", "status", "quarantine", "features", "info"):
        assert command in result.stdout, f"`riskwarn --help` does not list {command}"
